// The corpus driver: plans every clip (split, factors, texts) from the seed, renders the
// audio on worker threads (one fluidsynth each; which thread renders a clip changes nothing),
// then writes tags, queries and, last, the manifest.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "mulan/error.h"
#include "synth/draw.h"
#include "synth/render_pool.h"
#include "synth/styles.h"
#include "mulan/synth.h"
#include "mulan/atomic_file.h"
#include "mulan/threads.h"

namespace mulan::synth {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Seed purposes: each stream of draws has its own, so adding draws to one never shifts another.
enum Purpose : uint64_t { kFactors = 0, kTexts = 1, kMusic = 2, kQueries = 3 };

struct Clip {
  std::string id, split;
  Factors factors;
  ClipTexts texts;
  std::vector<std::string> tags;
};

std::string clip_id(int index) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "clip-%06d", index + 1);
  return buf;
}

const char* kKeyNames[12] = {"C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"};

json clip_json(const Clip& c, double seconds) {
  const Factors& f = c.factors;
  json factors = {{"style", f.style},
                  {"lead", f.lead},
                  {"accompaniment", f.accomp},
                  {"tempo", tempo_tag(f.tempo)},
                  {"bpm", f.bpm},
                  {"mode", f.mode == Mode::Minor ? "minor" : "major"},
                  {"key", kKeyNames[f.key]},
                  {"dynamics", f.dynamics == Dynamics::Loud ? "loud" : "soft"},
                  {"drums", f.drums}};
  return {{"id", c.id},
          {"audio", "audio/" + c.id + ".flac"},
          {"texts", {{"sf", c.texts.sf}, {"lf", c.texts.lf}, {"pl", c.texts.pl}, {"aset", c.texts.aset}}},
          {"tags", c.tags},
          {"labels", c.tags},
          {"split", c.split},
          {"bpm", f.bpm},
          {"seconds", seconds},
          {"factors", factors}};
}

void validate(const CorpusOptions& o) {
  if (o.out_dir.empty()) throw OptionError("out_dir", "is required");
  if (o.clips < 1 || o.clips > 10'000'000)
    throw OptionError("clips", "must be between 1 and 10000000, got " + std::to_string(o.clips));
  if (!(o.seconds >= 0.5 && o.seconds <= 3600)) throw OptionError("seconds", "must be between 0.5 and 3600");
  if (o.jobs < 0 || o.jobs > 1024) throw OptionError("jobs", "must be between 0 (all cores) and 1024");
  if (o.sample_rate < 8000 || o.sample_rate > 96000) throw UsageError("synth: sample rate must be 8000 to 96000 Hz");
}

// Renders clips[i] for every i on `jobs` threads; calls progress from this thread.
void render_all(const std::vector<Clip>& clips, const CorpusOptions& o, const std::string& soundfont, int jobs,
                const std::function<void(int, int)>& progress) {
  render_in_parallel(static_cast<int>(clips.size()), jobs, soundfont, o.sample_rate, [&](Renderer& renderer, int i) {
    const Clip& c = clips[static_cast<size_t>(i)];
    const Composition comp =
        compose(c.factors, o.seconds, derive_seed(o.seed, static_cast<uint64_t>(i), kMusic), o.sample_rate);
    const std::string flac = encode_flac(renderer.render(comp), o.sample_rate);
    write_file_atomic((fs::path(o.out_dir) / "audio" / (c.id + ".flac")).string(), flac);
  }, progress);
}

// Queries over the test split: for each test clip, one query in tag words and one in unseen
// words, each naming 1 to 3 of its factors; targets are all test clips with those tags.
json make_queries(const std::vector<Clip>& clips, uint64_t seed) {
  Rng rng(derive_seed(seed, 0, kQueries));
  std::vector<const Clip*> test;
  for (const auto& c : clips)
    if (c.split == "test") test.push_back(&c);
  json out = json::array();
  std::set<std::pair<std::vector<std::string>, bool>> seen;
  for (const Clip* c : test) {
    for (bool unseen : {false, true}) {
      std::map<std::string, std::vector<std::string>> by_category;
      for (const auto& t : c->tags) by_category[tag_category(t)].push_back(t);
      std::vector<std::string> categories;
      for (const auto& [cat, _] : by_category) categories.push_back(cat);
      shuffle(rng, categories);
      const size_t m = 1 + pick_weighted(rng, {0.3, 0.45, 0.25});
      std::vector<std::string> tags;
      for (size_t k = 0; k < m && k < categories.size(); ++k) tags.push_back(pick(rng, by_category[categories[k]]));
      std::sort(tags.begin(), tags.end());
      if (!seen.insert({tags, unseen}).second) continue;
      std::vector<std::string> targets;
      for (const Clip* t : test)
        if (std::all_of(tags.begin(), tags.end(), [&](const std::string& x) {
              return std::find(t->tags.begin(), t->tags.end(), x) != t->tags.end();
            }))
          targets.push_back(t->id);
      if (targets.empty()) continue;
      char id[32];
      std::snprintf(id, sizeof id, "q%04d", static_cast<int>(out.size()) + 1);
      out.push_back({{"id", id},
                     {"text", make_query_text(tags, unseen, rng)},
                     {"targets", targets},
                     {"tags", tags},
                     {"phrasing", unseen ? "unseen words" : "tag words"}});
    }
  }
  return out;
}

std::string jsonl(const json& rows) {
  std::string s;
  for (const auto& r : rows) s += r.dump() + "\n";
  return s;
}

}  // namespace

std::string split_of(int index) {
  const int r = index % 10;
  return r == 2 || r == 7 ? "test" : r == 5 ? "val" : "train";
}

CorpusSummary make_corpus(const CorpusOptions& o, const std::function<void(int, int)>& progress) {
  validate(o);
  const auto t0 = std::chrono::steady_clock::now();
  CorpusSummary sum;
  sum.soundfont = find_soundfont(o.soundfont);
  std::error_code ec;
  fs::create_directories(fs::path(o.out_dir) / "audio", ec);
  if (ec) throw Error(file_error(o.out_dir, "cannot create output folder: " + ec.message()));

  std::vector<Clip> clips(static_cast<size_t>(o.clips));
  for (int i = 0; i < o.clips; ++i) {
    Clip& c = clips[static_cast<size_t>(i)];
    c.id = clip_id(i);
    c.split = split_of(i);
    Rng fr(derive_seed(o.seed, static_cast<uint64_t>(i), kFactors));
    c.factors = sample_factors(fr, c.split == "test");
    Rng tr(derive_seed(o.seed, static_cast<uint64_t>(i), kTexts));
    c.texts = make_texts(c.factors, tr);
    c.tags = tags_of(c.factors);
    (c.split == "train" ? sum.train : c.split == "val" ? sum.val : sum.test)++;
  }

  // A small file first: an unwritable folder fails here, before any rendering.
  json held_out = json::array();
  for (const auto& s : styles()) held_out.push_back({s.tag, s.held_out_lead});
  const json info = {{"generator", "mulan synth"},
                     {"seed", o.seed},
                     {"clips", o.clips},
                     {"seconds", o.seconds},
                     {"sample_rate", o.sample_rate},
                     {"soundfont", fs::path(sum.soundfont).filename().string()},
                     {"splits", {{"train", sum.train}, {"val", sum.val}, {"test", sum.test}}},
                     {"held_out_style_lead_pairs", held_out}};
  write_file_atomic((fs::path(o.out_dir) / "synth.json").string(), info.dump(2) + "\n");

  sum.jobs = std::max(1, std::min(o.jobs > 0 ? o.jobs : util::available_cores(), o.clips));
  render_all(clips, o, sum.soundfont, sum.jobs, progress);

  // The tag vocabulary: every tag the training split uses, in canonical order.
  std::set<std::string> train_tags;
  for (const auto& c : clips)
    if (c.split == "train") train_tags.insert(c.tags.begin(), c.tags.end());
  std::string tags_txt;
  for (const auto& t : all_tags())
    if (train_tags.count(t)) tags_txt += t + "\n", ++sum.tags;
  write_file_atomic((fs::path(o.out_dir) / "tags.txt").string(), tags_txt);

  const json queries = make_queries(clips, o.seed);
  sum.queries = static_cast<int>(queries.size());
  write_file_atomic((fs::path(o.out_dir) / "queries.jsonl").string(), jsonl(queries));

  json rows = json::array();
  for (const auto& c : clips) rows.push_back(clip_json(c, o.seconds));
  write_file_atomic((fs::path(o.out_dir) / "manifest.jsonl").string(), jsonl(rows));

  sum.clips = o.clips;
  sum.audio_seconds = o.clips * o.seconds;
  sum.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return sum;
}

}  // namespace mulan::synth
