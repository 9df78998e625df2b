#include "mulan/music_detector.h"

#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "mine/builtin_detector.h"
#include "mulan/error.h"
#include "mulan/frontend.h"
#include "mulan/model.h"
#include "mulan/windows.h"

namespace mulan::mine {
namespace fs = std::filesystem;

namespace {

std::vector<std::string> read_labels(const std::string& path) {
  std::ifstream in(path);
  if (!fs::exists(path)) throw FileNotFound(file_error(path, "no labels file (one class name a line)"));
  if (!in) throw Error(file_error(path, "cannot open labels file"));
  std::vector<std::string> labels;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    labels.push_back(line);
  }
  return labels;
}

// AudioSet's class_labels_indices.csv (index,mid,display_name) or a plain list.
std::vector<std::string> read_class_names(const std::string& path) {
  std::vector<std::string> lines = read_labels(path);
  if (lines.empty() || lines[0].rfind("index,mid,display_name", 0) != 0) return lines;
  std::vector<std::string> names;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    if (l.empty()) continue;
    const std::size_t a = l.find(','), b = a == std::string::npos ? a : l.find(',', a + 1);
    if (b == std::string::npos) throw Error(path + ":" + std::to_string(i + 1) + ": expected index,mid,display_name");
    std::string name = l.substr(b + 1);
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"') name = name.substr(1, name.size() - 2);
    names.push_back(name);
  }
  return names;
}

}  // namespace

struct MusicDetector::Impl {
  Model model;
  std::string name;
  int64_t column = 0;
  audio::Frontend frontend;
  int64_t window_frames = 0;
  Impl(Model m, std::string n, int64_t c)
      : model(std::move(m)), name(std::move(n)), column(c), frontend(model.config().audio->frontend_config()),
        window_frames(model.config().audio->window_frames) {}
};

MusicDetector::MusicDetector(const std::string& dir, const std::string& labels, const std::string& class_name) {
  std::string model_dir = dir, labels_path = labels, name = dir;
  std::unique_ptr<BuiltinDetectorFiles> builtin;
  if (dir.empty()) {
    builtin = std::make_unique<BuiltinDetectorFiles>();
    model_dir = builtin->dir();
    name = "built-in";
  }
  if (labels_path.empty()) labels_path = (fs::path(model_dir) / "labels.txt").string();
  Model model = Model::load(model_dir);
  if (!model.has_audio() || model.config().audio->tagger_classes <= 0) {
    throw Error(file_error(name, "has no tagger head (audio.tagger_classes = 0): it cannot detect music"));
  }
  const std::vector<std::string> names = read_class_names(labels_path);
  const int classes = model.config().audio->tagger_classes;
  if (static_cast<int>(names.size()) != classes) {
    throw Error(file_error(labels.empty() && builtin ? "built-in detector labels" : labels_path,
                           std::to_string(names.size()) + " class names, but the model has " + std::to_string(classes) +
                               " tagger classes"));
  }
  int64_t column = -1;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == class_name) column = static_cast<int64_t>(i);
  }
  if (column < 0) {
    throw UsageError(file_error(labels.empty() && builtin ? "built-in detector labels" : labels_path,
                                "no class named '" + printable(class_name) + "'"));
  }
  impl_ = std::make_unique<Impl>(std::move(model), name + " (class " + class_name + ")", column);
}

MusicDetector::~MusicDetector() = default;
MusicDetector::MusicDetector(MusicDetector&&) noexcept = default;
MusicDetector& MusicDetector::operator=(MusicDetector&&) noexcept = default;

double MusicDetector::window_seconds() const {
  const auto& fe = impl_->frontend.config();
  return static_cast<double>(impl_->window_frames * fe.hop_length) / fe.sample_rate;
}

std::string MusicDetector::name() const { return impl_->name; }

std::vector<std::vector<float>> MusicDetector::probabilities(const std::vector<const std::vector<float>*>& clips) const {
  c10::InferenceMode guard;
  const int64_t W = impl_->window_frames;
  const float pad = impl_->frontend.silence_value();
  const int64_t frame_length = impl_->frontend.config().frame_length();
  std::vector<at::Tensor> windows;
  std::vector<int64_t> counts;
  for (const std::vector<float>* clip : clips) {
    std::vector<float> samples = *clip;
    if (static_cast<int64_t>(samples.size()) < frame_length) samples.resize(static_cast<std::size_t>(frame_length), 0.0f);
    const at::Tensor wave = torch::from_blob(samples.data(), {static_cast<int64_t>(samples.size())}, torch::kFloat32);
    const at::Tensor spec = impl_->frontend(wave);
    const std::vector<int64_t> starts = audio::inference_window_starts(spec.size(1), W);
    windows.push_back(audio::cut_windows(spec, starts, W, pad));
    counts.push_back(static_cast<int64_t>(starts.size()));
  }
  std::vector<std::vector<float>> out(clips.size());
  if (windows.empty()) return out;
  const at::Tensor all = torch::cat(windows);
  std::vector<at::Tensor> probs;
  constexpr int64_t kBatch = 64;
  for (int64_t s = 0; s < all.size(0); s += kBatch) {
    probs.push_back(torch::sigmoid(impl_->model.tag_logits(all.slice(0, s, s + kBatch)).select(1, impl_->column)));
  }
  const at::Tensor p = torch::cat(probs).to(torch::kFloat32).contiguous();
  const float* data = p.data_ptr<float>();
  int64_t at = 0;
  for (std::size_t i = 0; i < clips.size(); ++i) {
    out[i].assign(data + at, data + at + counts[i]);
    at += counts[i];
  }
  return out;
}

double music_fraction(const std::vector<float>& p) {
  if (p.empty()) return 0;
  int64_t n = 0;
  for (float x : p) n += x >= 0.5f;
  return static_cast<double>(n) / static_cast<double>(p.size());
}

}  // namespace mulan::mine
