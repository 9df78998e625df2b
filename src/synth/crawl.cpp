// The crawl driver: plans every row from the seed (kind, length, file format, factors, text,
// playlists), renders the audio on worker threads (which thread renders a row changes nothing),
// then writes crawl.jsonl and, last, crawl-truth.json.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "mulan/atomic_file.h"
#include "mulan/error.h"
#include "mulan/synth.h"
#include "mulan/synth_crawl.h"
#include "mulan/threads.h"
#include "synth/crawl_audio.h"
#include "synth/crawl_text.h"
#include "synth/draw.h"
#include "synth/render_pool.h"

namespace mulan::synth {
namespace crawl {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Seed purposes of the crawl's streams (other numbers than the corpus's).
enum Purpose : uint64_t {
  kOrder = 20, kLength = 21, kFactorDraw = 22, kTextDraw = 23, kAudioDraw = 24, kFileDraw = 25, kPlaylistDraw = 26
};

struct Row {
  std::string id, audio;
  Kind kind = Kind::music;
  int64_t frames = 0, speech_frames = 0;
  double music_fraction = 0;
  bool has_factors = false;
  Factors factors;
  FileFormat format = FileFormat::flac;
  int channels = 1;
  RowText text;
  std::vector<std::string> playlists;
};

std::vector<int> kind_counts(const CrawlMix& m, int n) {
  const std::vector<double> w = {m.music,      m.speech,            m.noise,
                                 m.tone,       m.speech_over_music, m.part_music,
                                 m.unreadable, m.too_short};
  double total = 0;
  for (double x : w) total += x;
  std::vector<int> counts(w.size());
  std::vector<std::pair<double, size_t>> rest;
  int used = 0;
  for (size_t k = 0; k < w.size(); ++k) {
    const double exact = w[k] / total * n;
    counts[k] = static_cast<int>(exact);
    if (n >= 20 && w[k] > 0) counts[k] = std::max(counts[k], 1);
    used += counts[k];
    rest.push_back({exact - static_cast<int>(exact), k});
  }
  std::stable_sort(rest.begin(), rest.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t i = 0; used < n; i = (i + 1) % rest.size())
    if (w[rest[i].second] > 0) ++counts[rest[i].second], ++used;
  while (used > n) {  // the minimum of one each overshot: take from the largest
    const auto big = std::max_element(counts.begin(), counts.end()) - counts.begin();
    --counts[static_cast<size_t>(big)], --used;
  }
  return counts;
}

std::string row_id(int index) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "v%04d", index + 1);
  return buf;
}

// Bytes that look like a downloaded audio file and are not: an error page, random bytes, a
// header cut short. Checked: libsndfile must refuse them.
std::string garbage(Rng& rng) {
  for (int attempt = 0; attempt < 16; ++attempt) {
    std::string b;
    switch (rng.uniform_int(0, 3)) {
      case 0:
        b = "<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>\n<body><h1>Not Found</h1>"
            "<p>The requested URL was not found on this server.</p></body></html>\n";
        break;
      case 1:
        b = std::string(static_cast<size_t>(rng.uniform_int(512, 8192)), '\0');
        for (char& c : b) c = static_cast<char>(rng.next() & 0xff);
        break;
      case 2:
        b = std::string("RIFF\x24\x10\x00\x00WAVEfmt ", 16);
        b += std::string(static_cast<size_t>(rng.uniform_int(3, 11)), '\0');
        for (size_t i = 16; i < b.size(); ++i) b[i] = static_cast<char>(rng.next() & 0xff);
        break;
      default:
        b = "fLaC" + std::string(static_cast<size_t>(rng.uniform_int(60, 2044)), '\0');
        for (size_t i = 4; i < b.size(); ++i) b[i] = static_cast<char>(rng.next() & 0xff);
        break;
    }
    if (!sndfile_opens(b)) return b;
  }
  throw Error("synth: could not make an unreadable file that libsndfile refuses");
}

void validate(const CrawlOptions& o) {
  if (o.out_dir.empty()) throw OptionError("out_dir", "is required");
  if (o.recordings < 1 || o.recordings > 1'000'000)
    throw OptionError("recordings", "must be between 1 and 1000000, got " + std::to_string(o.recordings));
  if (!(o.seconds_min >= 4 && o.seconds_min <= 3600))
    throw OptionError("seconds_min", "must be between 4 and 3600 (recordings under 3 s are the too_short kind)");
  if (!(o.seconds_max >= o.seconds_min && o.seconds_max <= 3600))
    throw OptionError("seconds_max", "must be between seconds_min and 3600");
  if (o.jobs < 0 || o.jobs > 1024) throw OptionError("jobs", "must be between 0 (all cores) and 1024");
  if (o.sample_rate < 8000 || o.sample_rate > 96000)
    throw OptionError("sample_rate", "must be between 8000 and 96000 Hz");
  const CrawlMix& m = o.mix;
  double total = 0;
  for (double w : {m.music, m.speech, m.noise, m.tone, m.speech_over_music, m.part_music, m.unreadable, m.too_short}) {
    if (!(w >= 0 && w < 1e9)) throw OptionError("mix", "weights must be non-negative numbers");
    total += w;
  }
  if (!(total > 0)) throw OptionError("mix", "needs at least one positive weight");
}

std::vector<Row> plan(const CrawlOptions& o) {
  const int n = o.recordings;
  const std::vector<int> counts = kind_counts(o.mix, n);
  std::vector<Kind> kinds;
  for (int k = 0; k < kKinds; ++k) kinds.insert(kinds.end(), static_cast<size_t>(counts[static_cast<size_t>(k)]), Kind(k));
  Rng order(derive_seed(o.seed, 0, kOrder));
  shuffle(order, kinds);

  std::vector<Row> rows(static_cast<size_t>(n));
  int part = 0;
  for (int i = 0; i < n; ++i) {
    Row& r = rows[static_cast<size_t>(i)];
    const auto item = static_cast<uint64_t>(i);
    r.id = row_id(i);
    r.kind = kinds[static_cast<size_t>(i)];
    Rng len(derive_seed(o.seed, item, kLength));
    const double seconds = r.kind == Kind::too_short ? 1.0 + 1.5 * len.uniform()
                                                     : o.seconds_min + (o.seconds_max - o.seconds_min) * len.uniform();
    r.frames = r.kind == Kind::unreadable ? 0 : std::max<int64_t>(1, std::llround(seconds * o.sample_rate));
    switch (r.kind) {
      case Kind::music:
      case Kind::too_short: r.music_fraction = 1; break;
      case Kind::part_music: {
        // Alternately mostly speech (music 0.2-0.35) and mostly music (0.65-0.8), never near 0.5.
        const double f = (part++ % 2 == 0 ? 0.2 : 0.65) + 0.15 * len.uniform();
        r.speech_frames = std::llround(static_cast<double>(r.frames) * (1 - f));
        r.music_fraction = static_cast<double>(r.frames - r.speech_frames) / static_cast<double>(r.frames);
        break;
      }
      default: r.music_fraction = 0; break;
    }
    r.has_factors = r.kind == Kind::music || r.kind == Kind::too_short || r.kind == Kind::part_music ||
                    r.kind == Kind::speech_over_music || r.kind == Kind::unreadable;
    if (r.has_factors) {
      Rng fr(derive_seed(o.seed, item, kFactorDraw));
      r.factors = sample_factors(fr, false);
    }
    Rng file(derive_seed(o.seed, item, kFileDraw));
    r.format = static_cast<FileFormat>(pick_weighted(file, {0.45, 0.2, 0.1, 0.25}));
    r.channels = chance(file, 0.3) ? 2 : 1;
    std::string ext = extension(r.format);
    if (r.kind == Kind::unreadable) ext = pick(file, std::vector<std::string>{"flac", "wav", "ogg", "mp3"});
    r.audio = "audio/" + r.id + "." + ext;
    RowTopic topic;
    topic.kind = r.kind;
    topic.factors = r.has_factors ? &r.factors : nullptr;
    topic.music_fraction = r.kind == Kind::unreadable ? 1.0 : r.music_fraction;
    Rng tr(derive_seed(o.seed, item, kTextDraw));
    r.text = make_row_text(topic, tr);
  }

  // Playlists: most gather clips that share a tag, the rest are miscellaneous.
  Rng pr(derive_seed(o.seed, 0, kPlaylistDraw));
  std::vector<size_t> tagged;
  for (size_t i = 0; i < rows.size(); ++i)
    if (rows[i].has_factors && rows[i].music_fraction >= 0.5 && rows[i].kind != Kind::unreadable) tagged.push_back(i);
  const int playlists = std::clamp(n / 2, 1, 15);
  std::vector<std::string> titles;
  for (int p = 0; p < playlists; ++p) {
    std::vector<size_t> members;
    std::string title;
    if (!tagged.empty() && p < playlists * 2 / 3) {
      for (int attempt = 0; attempt < 8 && (title.empty() || std::count(titles.begin(), titles.end(), title)); ++attempt) {
        const Row& seed_row = rows[pick(pr, tagged)];
        std::vector<std::string> themes;  // what people name playlists after: style, instrument, mood
        for (const auto& t : tags_of(seed_row.factors)) {
          const std::string cat = tag_category(t);
          if (cat == "style" || cat == "instrument" || cat == "mood") themes.push_back(t);
        }
        const std::string tag = pick(pr, themes);
        members.clear();
        for (size_t i : tagged) {
          const auto t = tags_of(rows[i].factors);
          if (std::find(t.begin(), t.end(), tag) != t.end()) members.push_back(i);
        }
        title = playlist_title(tag, pr);
      }
    } else {
      for (int attempt = 0; attempt < 8 && (title.empty() || std::count(titles.begin(), titles.end(), title)); ++attempt)
        title = playlist_title("", pr);
      for (size_t i = 0; i < rows.size(); ++i) members.push_back(i);
    }
    if (std::count(titles.begin(), titles.end(), title)) continue;  // no unused title left: fewer playlists
    titles.push_back(title);
    shuffle(pr, members);
    members.resize(std::min<size_t>(members.size(), static_cast<size_t>(pr.uniform_int(3, 8))));
    std::sort(members.begin(), members.end());
    for (size_t i : members) rows[i].playlists.push_back(title);
  }
  return rows;
}

std::vector<float> render_row(const Row& r, const CrawlOptions& o, uint64_t seed, Renderer& renderer) {
  const int sr = o.sample_rate;
  switch (r.kind) {
    case Kind::music:
    case Kind::too_short: return music(r.factors, r.frames, seed, sr, renderer);
    case Kind::speech: return speech(r.frames, seed, sr);
    case Kind::noise: return noise(r.frames, seed, sr);
    case Kind::tone: return tone(r.frames, seed, sr);
    case Kind::speech_over_music:
      return speech_over(speech(r.frames, derive_seed(seed, 0, 0), sr),
                         music(r.factors, r.frames, derive_seed(seed, 0, 1), sr, renderer));
    case Kind::part_music: return part_music(r.frames, r.speech_frames, r.factors, seed, sr, renderer);
    case Kind::unreadable: break;
  }
  throw Error("synth: no audio for an unreadable row");
}

void render_all(const std::vector<Row>& rows, const CrawlOptions& o, const std::string& soundfont, int jobs,
                const std::function<void(int, int)>& progress) {
  render_in_parallel(static_cast<int>(rows.size()), jobs, soundfont, o.sample_rate, [&](Renderer& renderer, int i) {
    const Row& r = rows[static_cast<size_t>(i)];
    const auto item = static_cast<uint64_t>(i);
    std::string bytes;
    if (r.kind == Kind::unreadable) {
      Rng g(derive_seed(o.seed, item, kAudioDraw));
      bytes = garbage(g);
    } else {
      const std::vector<float> mono = render_row(r, o, derive_seed(o.seed, item, kAudioDraw), renderer);
      const auto serial = static_cast<uint32_t>(derive_seed(o.seed, item, kFileDraw) >> 32);
      bytes = encode(mono, o.sample_rate, r.channels, r.format, serial);
    }
    write_file_atomic((fs::path(o.out_dir) / r.audio).string(), bytes);
  }, progress);
}

json manifest_row(const Row& r) {
  json j = {{"id", r.id}, {"audio", r.audio}, {"title", r.text.title}};
  if (!r.text.tags.empty()) j["tags"] = r.text.tags;
  j["description"] = r.text.description;
  if (!r.text.comments.empty()) j["comments"] = r.text.comments;
  if (!r.playlists.empty()) j["playlists"] = r.playlists;
  return j;
}

}  // namespace
}  // namespace crawl

CrawlSummary make_crawl(const CrawlOptions& o, const std::function<void(int, int)>& progress) {
  using namespace crawl;
  validate(o);
  const auto t0 = std::chrono::steady_clock::now();
  CrawlSummary sum;
  sum.soundfont = find_soundfont(o.soundfont);
  std::error_code ec;
  fs::create_directories(fs::path(o.out_dir) / "audio", ec);
  if (ec) throw Error(file_error(o.out_dir, "cannot create output folder: " + ec.message()));

  const std::vector<Row> rows = plan(o);
  sum.jobs = std::max(1, std::min(o.jobs > 0 ? o.jobs : util::available_cores(), o.recordings));
  render_all(rows, o, sum.soundfont, sum.jobs, progress);

  std::string jsonl;
  json truth_rows = json::array();
  json kinds = json::object();
  for (int k = 0; k < kKinds; ++k) kinds[kind_name(Kind(k))] = 0, sum.kinds[kind_name(Kind(k))] = 0;
  std::vector<std::string> all_playlists;
  for (const Row& r : rows) {
    jsonl += manifest_row(r).dump() + "\n";
    const bool nonmusic = r.kind == Kind::speech || r.kind == Kind::noise || r.kind == Kind::tone ||
                          r.kind == Kind::speech_over_music || (r.kind == Kind::part_music && r.music_fraction < 0.5);
    const bool music = r.kind == Kind::music || r.kind == Kind::too_short ||
                       (r.kind == Kind::part_music && r.music_fraction >= 0.5);
    ++sum.kinds[kind_name(r.kind)];
    sum.non_music += nonmusic ? 1 : 0;
    json sf = json::array(), lf = json::array();
    for (const auto& t : r.text.sf) {
      sf.push_back({{"text", t.text},
                    {"boilerplate_tokens", t.boilerplate_tokens},
                    {"tokens", t.tokens},
                    {"has_music", t.has_music}});
      ++sum.sf_texts, sum.sf_tokens += t.tokens, sum.boilerplate_tokens += t.boilerplate_tokens;
      sum.sf_texts_without_music += t.has_music ? 0 : 1;
    }
    for (const auto& s : r.text.lf) {
      lf.push_back({{"text", s.text}, {"music", s.music}, {"tokens", s.tokens}});
      ++sum.lf_sentences, sum.lf_music_sentences += s.music ? 1 : 0;
    }
    sum.pl_texts += static_cast<int>(r.playlists.size());
    for (const auto& p : r.playlists)
      if (std::find(all_playlists.begin(), all_playlists.end(), p) == all_playlists.end()) all_playlists.push_back(p);
    const bool has_music_audio = r.has_factors && r.kind != Kind::unreadable;
    truth_rows.push_back({{"id", r.id},
                          {"kind", kind_name(r.kind)},
                          {"audio", r.audio},
                          {"format", r.kind == Kind::unreadable ? "garbage" : extension(r.format)},
                          {"channels", r.kind == Kind::unreadable ? 0 : r.channels},
                          {"sample_rate", r.kind == Kind::unreadable ? 0 : o.sample_rate},
                          {"frames", r.frames},
                          {"seconds", static_cast<double>(r.frames) / o.sample_rate},
                          {"music_fraction", r.music_fraction},
                          {"music", music},
                          {"clip_tags", has_music_audio ? tags_of(r.factors) : std::vector<std::string>{}},
                          {"sf", sf},
                          {"lf", lf},
                          {"playlists", r.playlists}});
    sum.audio_seconds += static_cast<double>(r.frames) / o.sample_rate;
  }
  for (const auto& [k, v] : sum.kinds) kinds[k] = v;
  sum.recordings = o.recordings;
  sum.playlists = static_cast<int>(all_playlists.size());
  const json truth = {
      {"generator", "mulan synth --crawl"},
      {"seed", o.seed},
      {"recordings", o.recordings},
      {"sample_rate", o.sample_rate},
      {"kinds", kinds},
      {"non_music", sum.non_music},
      {"sf",
       {{"texts", sum.sf_texts},
        {"tokens", sum.sf_tokens},
        {"boilerplate_tokens", sum.boilerplate_tokens},
        {"texts_without_music", sum.sf_texts_without_music}}},
      {"lf", {{"sentences", sum.lf_sentences}, {"music_sentences", sum.lf_music_sentences}}},
      {"pl", {{"texts", sum.pl_texts}, {"playlists", sum.playlists}}},
      {"rows", truth_rows}};
  write_file_atomic((fs::path(o.out_dir) / "crawl.jsonl").string(), jsonl);
  write_file_atomic((fs::path(o.out_dir) / "crawl-truth.json").string(), truth.dump(1) + "\n");
  sum.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return sum;
}

}  // namespace mulan::synth
