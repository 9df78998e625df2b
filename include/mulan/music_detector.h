// The music detector of mining (docs/mining.md): a model directory with a tagger head gives,
// for each window of a clip, the probability of one of its classes ("Music"); a clip is music
// when enough of its windows are.
//
// Two kinds of detector are real here: any mulan model directory with a tagger head and a
// labels file (the public AST AudioSet checkpoint imported with its head kept, with AudioSet's
// class names), and the built-in one, trained by make_detector() on music from the synthesiser
// against speech (espeak-ng), noise and tones (sox) and speech over quiet music, and compiled
// into the library (models/music-detector).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace mulan::mine {

class MusicDetector {
 public:
  // dir "" = the built-in detector. labels "" = DIR/labels.txt (one class name a line, line i
  // is tagger class i). Throws naming the directory when the model has no tagger head, the
  // labels do not match it, or the class is not among them.
  MusicDetector(const std::string& dir, const std::string& labels = "", const std::string& class_name = "Music");
  ~MusicDetector();
  MusicDetector(MusicDetector&&) noexcept;
  MusicDetector& operator=(MusicDetector&&) noexcept;

  // Mono 16 kHz clips -> the class's probability for each window of each clip (the model's
  // window length; consecutive windows from the start, the last aligned to the end, a clip
  // shorter than a window padded with silence). Windows of all clips go through the model in
  // batches.
  std::vector<std::vector<float>> probabilities(const std::vector<const std::vector<float>*>& clips) const;
  double window_seconds() const;
  std::string name() const;  // the directory, or "built-in"; with the class

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The fraction of windows whose probability is at least 0.5.
double music_fraction(const std::vector<float>& window_probabilities);

// The recipe of the built-in detector: mulan's own tagger pre-training on material the project
// makes itself. Classes (AudioSet names): Music, Speech, Noise, Sine wave.
struct DetectorRecipe {
  std::string out_dir;        // the detector's model directory (config.json, model.safetensors, labels.txt, detector.json)
  uint64_t seed = 7;
  int clips_per_kind = 160;   // training clips of each kind (music, speech, noise, tone, speech over music)
  double seconds = 6;         // length of each training clip
  int64_t steps = 600;        // tagger pre-training steps
  std::string soundfont;      // "" = the usual places
  std::string work_dir;       // where the training material goes ("" = OUT_DIR/work, removed at the end)
  std::function<void(const std::string&)> progress;
};

// Held-out accuracy: clips of every kind made from seeds the training never used, each clip
// called music when music_fraction >= 0.5. part_music clips (speech then music) are music when
// more than half is music.
struct DetectorAccuracy {
  int64_t clips = 0, correct = 0;
  std::vector<std::pair<std::string, double>> per_kind;  // kind -> accuracy
  double accuracy() const { return clips ? static_cast<double>(correct) / static_cast<double>(clips) : 0; }
};

struct DetectorSummary {
  DetectorAccuracy heldout;
  double train_seconds = 0;
};

DetectorSummary make_detector(const DetectorRecipe& recipe);
DetectorAccuracy evaluate_detector(const MusicDetector& detector, uint64_t seed, int clips_per_kind, double seconds,
                                   const std::string& soundfont = "");

}  // namespace mulan::mine
