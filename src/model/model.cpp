#include "mulan/model.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cmath>
#include <mutex>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "model/int8.h"
#include "model/linear.h"
#include "model/mulan_model.h"
#include "model/weights_fit.h"
#include "mulan/error.h"
#include "mulan/atomic_file.h"
#include "util/read_file.h"

namespace mulan {
namespace fs = std::filesystem;

namespace model {
MulanModelImpl::MulanModelImpl(const MulanConfig& c) {
  if (c.audio) audio = register_module("audio", AudioTower(*c.audio, c.embed_dim));
  if (c.text) text = register_module("text", TextTower(*c.text, c.embed_dim));
  log_tau = register_parameter("log_tau", torch::tensor(std::log(c.tau_init), torch::kFloat32));
}
}  // namespace model

struct Model::Impl {
  MulanConfig config;
  model::MulanModel net{nullptr};
  c10::Device device{c10::kCPU};
  // An int8 model's weights as its file holds them (int8 tensors and their scales); the
  // modules hold q * scale in float.
  TensorMap int8;

  // The audio tower, for the inference entry points: never switched to eval mode here (two
  // threads would race); a model that training put in training mode is refused instead.
  model::AudioTowerImpl& audio_for_inference() {
    if (!net->audio) throw Error("this model has no audio tower");
    if (net->audio->is_training()) throw Error("the audio tower is in training mode: inference needs Model::set_training(false)");
    return *net->audio;
  }
};

namespace {
std::string shape_str(at::IntArrayRef s) {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < s.size(); ++i) os << (i ? ", " : "") << s[i];
  return os.str() + "]";
}
}  // namespace

namespace {
// Builds the towers from a seed without touching the state of torch's global generator, which
// the modules' constructors and initialisers draw from: its state is put back afterwards, and
// one model is built at a time, so that a seed always gives the same weights.
// initialise = false: only what the modules' constructors do (for a load, which overwrites every
// tensor: Hugging Face's initialisation of bert-base alone took most of a second).
model::MulanModel build_net(const MulanConfig& config, uint64_t seed, bool initialise = true) {
  static std::mutex building;
  std::lock_guard<std::mutex> one_at_a_time(building);
  at::Generator gen = at::detail::getDefaultCPUGenerator();  // a handle on the one global generator
  at::Tensor saved;
  {
    std::lock_guard<std::mutex> lock(gen.mutex());
    saved = gen.get_state();
  }
  {
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_current_seed(seed);
  }
  model::MulanModel net{nullptr};
  try {
    net = model::MulanModel(config);
    if (initialise && net->audio) model::init_audio_weights(*net->audio);
    if (initialise && net->text) model::init_bert_weights(*net->text);
  } catch (...) {
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(saved);
    throw;
  }
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(saved);
  return net;
}
}  // namespace

Model Model::init(const MulanConfig& config, uint64_t seed, c10::Device device) {
  config.validate("model config");
  Model m;
  m.impl_ = std::make_shared<Impl>();
  m.impl_->config = config;
  m.impl_->net = build_net(config, seed);
  m.impl_->net->eval();  // inference until training asks otherwise (set_training)
  m.impl_->net->to(device);
  m.impl_->device = device;
  return m;
}

namespace {
// Every Linear of the towers whose weight the file holds in int8 gets its int8 inference form.
void attach_int8(model::MulanModelImpl& net, const TensorMap& int8) {
  for (const auto& item : net.named_modules()) {
    auto* linear = item.value()->as<model::LinearImpl>();
    if (!linear) continue;
    const std::string weight = item.key() + ".weight";
    const auto q = int8.find(weight);
    if (q != int8.end()) linear->set_int8(q->second, int8.at(weight + model::kScaleSuffix));
  }
}
}  // namespace

Model Model::from_stored(const MulanConfig& config, const TensorMap& stored, const std::string& where, c10::Device device) {
  // An int8 file's weights become float one at a time, in load_state.
  TensorMap int8 = model::check_int8_tensors(stored, config.quantization == "int8", where);
  // Before a tower is built: a config that asks for more layers or wider ones than the file holds
  // would otherwise allocate all of them first.
  model::ShapeMap shapes;
  for (const auto& [name, t] : stored) {
    if (!int8.count(name) || !name.ends_with(model::kScaleSuffix)) shapes.emplace(name, t.sizes().vec());
  }
  model::check_weights_fit_config(shapes, config, where);
  config.validate(where);
  Model m;
  m.impl_ = std::make_shared<Impl>();
  m.impl_->config = config;
  m.impl_->net = build_net(config, 0, /*initialise=*/false);  // every tensor is replaced below
  m.impl_->net->eval();
  m.impl_->device = c10::Device(c10::kCPU);
  m.load_state(stored, where);
  m.impl_->net->to(device);
  m.impl_->device = device;
  m.impl_->int8 = std::move(int8);
  attach_int8(*m.impl_->net, m.impl_->int8);
  return m;
}

Model Model::load(const std::string& dir, c10::Device device, Towers towers) {
  const std::string config_path = (fs::path(dir) / "config.json").string();
  if (!fs::exists(dir)) throw FileNotFound(file_error(dir, "no such model directory"));
  if (!fs::is_directory(dir)) throw Error(file_error(dir, "is not a model directory"));
  MulanConfig config = load_config(config_path);
  if (towers == Towers::audio && !config.audio) throw Error(file_error(dir, "holds no audio tower"));
  if (towers == Towers::text && !config.text) throw Error(file_error(dir, "holds no text tower"));
  if (towers == Towers::audio) config.text.reset();
  if (towers == Towers::text) config.audio.reset();
  const std::string weights = (fs::path(dir) / "model.safetensors").string();
  TensorMap stored = read_safetensors(weights).tensors;  // bounded by the file's size
  if (towers != Towers::both) {  // the other tower's tensors are not checked or kept
    const std::string other = towers == Towers::audio ? "text." : "audio.";
    std::erase_if(stored, [&](const auto& item) { return item.first.starts_with(other); });
  }
  Model m = from_stored(config, stored, "'" + weights + "'", device);
  if (m.has_text()) {
    const std::string vocab = (fs::path(dir) / "vocab.txt").string();
    const int64_t lines = count_vocab_lines(vocab);
    if (lines != m.config().text->vocab_size) {
      throw Error(file_error(vocab, "has " + std::to_string(lines) + " tokens but " + config_path +
                                        " says text.vocab_size = " + std::to_string(m.config().text->vocab_size)));
    }
  }
  return m;
}

Model quantize_int8(const Model& model) {
  if (model.is_int8()) throw Error("the model is already int8");
  MulanConfig config = model.config();
  config.quantization = "int8";
  return Model::from_stored(config, model::quantize_weights(model.state()), "quantize_int8", model.device());
}

bool Model::is_int8() const { return impl_->config.quantization == "int8"; }

void Model::save(const std::string& dir, const std::string& vocab_path) const {
  const TensorMap tensors = state();
  for (const auto& [name, t] : tensors) {  // a model that would compute garbage is never written
    if (t.is_floating_point() && !torch::isfinite(t).all().item<bool>()) {
      throw Error(file_error(dir, "not written: tensor '" + name + "' holds values that are not finite numbers (NaN or Inf)"));
    }
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error(file_error(dir, "cannot create: " + ec.message()));
  write_safetensors((fs::path(dir) / "model.safetensors").string(), tensors, {{"format", "mulan"}});
  if (has_text()) {
    const fs::path dst = fs::path(dir) / "vocab.txt";
    if (!fs::exists(dst) || !fs::equivalent(vocab_path, dst)) {
      write_file_atomic(dst.string(), read_file(vocab_path, kMaxVocabBytes, "a vocab.txt"));
    }
  }
  save_config((fs::path(dir) / "config.json").string(), config());
}

const MulanConfig& Model::config() const { return impl_->config; }
c10::Device Model::device() const { return impl_->device; }
bool Model::has_text() const { return static_cast<bool>(impl_->net->text); }
bool Model::has_audio() const { return static_cast<bool>(impl_->net->audio); }

namespace {
// An embedding that is not finite is never handed out: it would rank and compare as garbage.
at::Tensor finite_or_throw(at::Tensor e, const char* tower) {
  if (!torch::isfinite(e).all().item<bool>()) {
    throw Error(std::string("the ") + tower + " tower produced values that are not finite numbers (NaN or Inf) for this input");
  }
  return e;
}
}  // namespace

at::Tensor Model::embed_windows(const at::Tensor& windows) const {
  c10::InferenceMode guard;
  return finite_or_throw(impl_->audio_for_inference().forward(windows.to(impl_->device, torch::kFloat32)), "audio");
}

at::Tensor Model::tag_logits(const at::Tensor& windows) const {
  c10::InferenceMode guard;
  return impl_->audio_for_inference().tag_logits(windows.to(impl_->device, torch::kFloat32));
}

at::Tensor Model::pooled_audio(const at::Tensor& windows) const {
  c10::InferenceMode guard;
  return impl_->audio_for_inference().pooled(windows.to(impl_->device, torch::kFloat32));
}
model::MulanModelImpl& model::modules_of(Model& m) { return *m.impl_->net; }
void Model::set_training(bool on) {
  if (on && is_int8()) {
    throw UsageError("this is an int8 model (config.json \"quantization\": \"int8\", made by mulan quantize): it is for "
                     "inference only; train the float model it was made from");
  }
  impl_->net->train(on);
}

at::Tensor Model::embed_tokens(const at::Tensor& ids, const at::Tensor& mask) const {
  if (!has_text()) throw Error("this model has no text tower");
  if (ids.dim() != 2 || ids.sizes() != mask.sizes()) throw Error("embed_tokens: ids and mask must both be [B, L]");
  if (ids.size(1) > impl_->config.text->max_position_embeddings) {
    throw Error("embed_tokens: " + std::to_string(ids.size(1)) + " tokens exceed max_position_embeddings");
  }
  if (impl_->net->text->is_training()) throw Error("the text tower is in training mode: inference needs Model::set_training(false)");
  c10::InferenceMode guard;
  return finite_or_throw(impl_->net->text->forward(ids.to(impl_->device), mask.to(impl_->device)), "text");
}

TensorMap Model::state() const {
  TensorMap out;
  for (const auto& item : impl_->net->named_parameters()) out.emplace(item.key(), item.value().detach().to(torch::kCPU));
  for (const auto& item : impl_->net->named_buffers()) out.emplace(item.key(), item.value().detach().to(torch::kCPU));
  for (const auto& [name, t] : impl_->int8) out.insert_or_assign(name, t);  // as the file holds them
  return out;
}

void Model::load_state(const TensorMap& tensors, const std::string& where) {
  if (!impl_->int8.empty()) throw Error(where + ": an int8 model's tensors cannot be replaced (quantize the float model again)");
  torch::NoGradGuard no_grad;
  std::map<std::string, at::Tensor> targets;
  for (const auto& item : impl_->net->named_parameters()) targets.emplace(item.key(), item.value());
  for (const auto& item : impl_->net->named_buffers()) targets.emplace(item.key(), item.value());
  const bool int8 = is_int8();  // a weight may come as int8 q with its scale (checked by check_int8_tensors)
  for (const auto& [name, t] : tensors) {
    if (int8 && tensors.count(model::scaled_weight(name))) continue;  // a weight's scale
    if (!targets.count(name)) throw Error(where + ": unexpected tensor '" + name + "' (the config has no place for it)");
  }
  for (auto& [name, target] : targets) {
    const auto it = tensors.find(name);
    const bool optional = name.ends_with("num_batches_tracked");
    if (it == tensors.end() && optional) continue;  // optional on import (docs/model-format.md)
    if (it == tensors.end()) throw Error(where + ": missing tensor '" + name + "'");
    if (it->second.sizes() != target.sizes()) {
      throw Error(where + ": tensor '" + name + "' has shape " + shape_str(it->second.sizes()) +
                  ", the config needs " + shape_str(target.sizes()));
    }
    const bool quantized = int8 && it->second.scalar_type() == at::kChar && tensors.count(name + model::kScaleSuffix);
    if (!quantized && it->second.is_floating_point() != target.is_floating_point()) {
      throw Error(where + ": tensor '" + name + "' has dtype " + c10::toString(it->second.scalar_type()) + ", expected " +
                  c10::toString(target.scalar_type()));
    }
    const at::Tensor t = quantized ? model::dequantize(it->second, tensors.at(name + model::kScaleSuffix)) : it->second;
    if (t.is_floating_point() && !torch::isfinite(t).all().item<bool>()) {
      throw Error(where + ": tensor '" + name + "' holds values that are not finite numbers (NaN or Inf)");
    }
    if (name.ends_with("running_var") && (t < 0).any().item<bool>()) {
      throw Error(where + ": tensor '" + name + "' holds negative variances");
    }
    target.copy_(t.to(target.dtype()));
  }
}

int64_t count_vocab_lines(const std::string& path) {
  std::istringstream in(read_file(path, kMaxVocabBytes, "a vocab.txt"));
  int64_t n = 0;
  std::string line;
  while (std::getline(in, line)) ++n;
  return n;
}

}  // namespace mulan
