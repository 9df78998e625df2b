// make_detector: the built-in music detector's recipe. Material: music from the synthesiser,
// speech (espeak-ng), noise and tones (sox), speech over quiet music; a tiny ResNet (2 s
// windows) with a four-class tagger head, trained by mulan's own tagger pre-training.
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "mulan/atomic_file.h"
#include "mulan/config.h"
#include "mulan/error.h"
#include "mulan/model.h"
#include "mulan/music_detector.h"
#include "mulan/random.h"
#include "mulan/synth.h"
#include "mulan/synth_crawl.h"
#include "mulan/train_tagger.h"
#include "util/time_text.h"

namespace mulan::mine {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr int kRate = 16000;
const std::vector<std::string> kClasses = {"Music", "Speech", "Noise", "Sine wave"};

enum class Kind { music, speech, noise, tone, speech_over_music, part_music_low, part_music_high };
const char* kind_name(Kind k) {
  switch (k) {
    case Kind::music: return "music";
    case Kind::speech: return "speech";
    case Kind::noise: return "noise";
    case Kind::tone: return "tone";
    case Kind::speech_over_music: return "speech_over_music";
    case Kind::part_music_low: return "part_music (music 20-35%)";
    default: return "part_music (music 65-80%)";
  }
}

struct Maker {
  std::string soundfont;
  std::unique_ptr<synth::Renderer> renderer;

  std::vector<float> music(double seconds, uint64_t seed) {
    if (!renderer) renderer = std::make_unique<synth::Renderer>(synth::find_soundfont(soundfont), synth::RenderOptions{kRate});
    Rng rng(seed);
    const synth::Factors f = synth::sample_factors(rng, false);
    return renderer->render(synth::compose(f, seconds, seed, kRate));
  }
  std::vector<float> make(Kind k, double seconds, uint64_t seed) {
    switch (k) {
      case Kind::music: return music(seconds, seed);
      case Kind::speech: return synth::make_nonmusic(synth::NonMusic::speech, seconds, seed, kRate, soundfont);
      case Kind::noise: return synth::make_nonmusic(synth::NonMusic::noise, seconds, seed, kRate, soundfont);
      case Kind::tone: return synth::make_nonmusic(synth::NonMusic::tone, seconds, seed, kRate, soundfont);
      case Kind::speech_over_music:
        return synth::make_nonmusic(synth::NonMusic::speech_over_music, seconds, seed, kRate, soundfont);
      case Kind::part_music_low: {
        Rng rng(seed);
        return synth::make_part_music(seconds, 0.2 + 0.15 * rng.uniform(), seed, kRate, soundfont);
      }
      default: {
        Rng rng(seed);
        return synth::make_part_music(seconds, 0.65 + 0.15 * rng.uniform(), seed, kRate, soundfont);
      }
    }
  }
};

std::string label_of(Kind k) {
  switch (k) {
    case Kind::music: return "Music";
    case Kind::noise: return "Noise";
    case Kind::tone: return "Sine wave";
    default: return "Speech";
  }
}

}  // namespace

DetectorAccuracy evaluate_detector(const MusicDetector& detector, uint64_t seed, int clips_per_kind, double seconds,
                                   const std::string& soundfont) {
  Maker maker{soundfont, nullptr};
  DetectorAccuracy acc;
  const Kind kinds[] = {Kind::music, Kind::speech, Kind::noise, Kind::tone, Kind::speech_over_music,
                        Kind::part_music_low, Kind::part_music_high};
  for (Kind k : kinds) {
    const bool is_music = k == Kind::music || k == Kind::part_music_high;
    std::vector<std::vector<float>> clips;
    for (int i = 0; i < clips_per_kind; ++i) {
      // A purpose the recipe never uses: none of these seeds made training material.
      clips.push_back(maker.make(k, seconds, derive_seed(seed, static_cast<uint64_t>(i), 0xE7A1000 + static_cast<uint64_t>(k))));
    }
    std::vector<const std::vector<float>*> ptrs;
    for (const auto& c : clips) ptrs.push_back(&c);
    const auto probs = detector.probabilities(ptrs);
    int64_t right = 0;
    for (const auto& p : probs) right += (music_fraction(p) >= 0.5) == is_music;
    acc.clips += clips_per_kind;
    acc.correct += right;
    acc.per_kind.emplace_back(kind_name(k), clips_per_kind ? static_cast<double>(right) / clips_per_kind : 0.0);
  }
  return acc;
}

DetectorSummary make_detector(const DetectorRecipe& r) {
  if (r.out_dir.empty()) throw OptionError("out_dir", "is required");
  if (r.clips_per_kind < 4) throw OptionError("clips_per_kind", "must be at least 4");
  if (!(r.seconds >= 2.5 && r.seconds <= 60)) throw OptionError("seconds", "must be in [2.5, 60]");
  if (r.steps < 1) throw OptionError("steps", "must be at least 1");
  auto say = [&](const std::string& s) {
    if (r.progress) r.progress(s);
  };
  const auto t0 = std::chrono::steady_clock::now();
  const fs::path work = r.work_dir.empty() ? fs::path(r.out_dir) / "work" : fs::path(r.work_dir);
  fs::create_directories(work / "audio");

  // The material: every kind but part music (its label would be half wrong at any crop).
  Maker maker{r.soundfont, nullptr};
  const Kind kinds[] = {Kind::music, Kind::speech, Kind::noise, Kind::tone, Kind::speech_over_music};
  std::string manifest;
  int made = 0;
  const int total = r.clips_per_kind * 5;
  for (Kind k : kinds) {
    for (int i = 0; i < r.clips_per_kind; ++i) {
      const uint64_t s = derive_seed(r.seed, static_cast<uint64_t>(i), 0xDE7E000 + static_cast<uint64_t>(k));
      const std::string id = std::string(kind_name(k)) + "-" + std::to_string(i);
      const std::string file = "audio/" + id + ".flac";
      write_file_atomic((work / file).string(), synth::encode_flac(maker.make(k, r.seconds, s), kRate));
      json row = {{"id", id}, {"audio", file}, {"labels", {label_of(k)}}, {"split", i % 10 == 9 ? "val" : "train"}};
      manifest += row.dump() + "\n";
      if (++made % 50 == 0 || made == total) say("make-detector: material " + std::to_string(made) + "/" + std::to_string(total));
    }
  }
  write_file_atomic((work / "manifest.jsonl").string(), manifest);
  std::string labels;
  for (const auto& c : kClasses) labels += c + "\n";
  write_file_atomic((work / "labels.txt").string(), labels);

  // The model: the tiny preset's audio tower with 2 s windows and the four-class head.
  MulanConfig config;
  config.audio = AudioConfig::tiny();
  config.audio->window_frames = 200;
  config.audio->tagger_classes = static_cast<int>(kClasses.size());
  config.validate("detector config");
  Model::init(config, r.seed).save((work / "init").string(), "");

  train::TaggerRun run;
  run.labels = (work / "labels.txt").string();
  run.base.model_dir = (work / "init").string();
  run.base.data = (work / "manifest.jsonl").string();
  run.base.out_dir = (work / "run").string();
  run.base.progress = static_cast<bool>(r.progress);
  train::TrainConfig& c = run.base.config;
  c.steps = r.steps;
  c.batch = 32;
  c.lr = c.trunk_lr = 1e-3;
  c.warmup_steps = std::min<int64_t>(50, r.steps);
  c.seed = r.seed;
  c.val_every = r.steps;
  c.checkpoint_every = r.steps;
  c.spec_time_width = 40;
  say("make-detector: training " + std::to_string(r.steps) + " steps on " + std::to_string(total) + " clips");
  const train::TaggerSummary ts = train::pretrain_tagger(run);

  fs::create_directories(r.out_dir);
  for (const char* f : {"config.json", "model.safetensors"}) {
    fs::copy_file(work / "run" / "model" / f, fs::path(r.out_dir) / f, fs::copy_options::overwrite_existing);
  }
  write_file_atomic((fs::path(r.out_dir) / "labels.txt").string(), labels);

  DetectorSummary summary;
  const MusicDetector detector(r.out_dir, "", "Music");
  say("make-detector: held-out evaluation");
  summary.heldout = evaluate_detector(detector, r.seed, std::max(8, r.clips_per_kind / 4), r.seconds, r.soundfont);
  summary.train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  json per_kind = json::object();
  for (const auto& [k, a] : summary.heldout.per_kind) per_kind[k] = a;
  json info = {{"recipe",
                {{"seed", r.seed}, {"clips_per_kind", r.clips_per_kind}, {"seconds", r.seconds}, {"steps", r.steps},
                 {"classes", kClasses}, {"window_seconds", 2.0}}},
               {"validation", {{"roc_auc", ts.val_roc_auc}, {"loss", ts.val_loss}}},
               {"heldout", {{"clips", summary.heldout.clips}, {"accuracy", summary.heldout.accuracy()}, {"per_kind", per_kind}}},
               {"made", util::utc_now_iso8601()}};
  write_file_atomic((fs::path(r.out_dir) / "detector.json").string(), info.dump(2) + "\n");
  if (r.work_dir.empty()) {
    std::error_code ec;
    fs::remove_all(work, ec);
  }
  return summary;
}

}  // namespace mulan::mine
