// A MuLan model: its config and its towers, loaded from or saved to a model directory
// (docs/model-format.md: config.json, model.safetensors, vocab.txt).
//
//   mulan::Model m = mulan::Model::load("my-model");        // validates config and tensors
//   at::Tensor e = m.embed_tokens(ids, mask);               // [B, L] -> [B, 128], unit length
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mulan/config.h"
#include "mulan/safetensors.h"

namespace mulan {
class Model;
namespace model {
struct MulanModelImpl;
// The towers as LibTorch modules, for training (declared for the library's own training code;
// the definition of MulanModelImpl is private to the library).
MulanModelImpl& modules_of(Model& model);
}  // namespace model
}  // namespace mulan
namespace mulan::text {
class Tokenizer;
}

namespace mulan {

// Which towers of a model directory to load: a program that embeds audio only need not read,
// build and check the text tower (bert-base is four fifths of a base-resnet file).
enum class Towers { both, audio, text };

class Model {
 public:
  // A randomly initialised model (Hugging Face's BERT initialisation), the same for a seed.
  // Neither init nor load changes the state of torch's global random generator.
  static Model init(const MulanConfig& config, uint64_t seed, c10::Device device = c10::Device("cpu"));
  // Reads DIR/config.json and DIR/model.safetensors. Refuses, naming the file and the tensor,
  // a config that does not fit the tensors, missing, extra or misshapen tensors, and a
  // vocab.txt whose length differs from text.vocab_size. towers = audio or text loads that
  // tower alone (the model then says it has no other; the directory must hold the one asked for).
  static Model load(const std::string& dir, c10::Device device = c10::Device("cpu"), Towers towers = Towers::both);

  // An int8 model directory (config.json "quantization": "int8") loads as q * scale in float,
  // and its linear layers run int8 kernels on the CPU where LibTorch has them (oneDNN); it is
  // for inference only: set_training(true) and load_state refuse it.
  bool is_int8() const;

  // Writes DIR/config.json, DIR/model.safetensors and DIR/vocab.txt (copied from vocab_path),
  // each file atomically. Creates DIR.
  void save(const std::string& dir, const std::string& vocab_path) const;

  const MulanConfig& config() const;
  c10::Device device() const;
  bool has_text() const;
  bool has_audio() const;

  // windows: [B, F, T] log-mel windows (the config's front end) -> [B, embed_dim], unit rows.
  at::Tensor embed_windows(const at::Tensor& windows) const;
  // windows: [B, F, T] -> [B, pooled] trunk output before the projection (2048 for ResNet-50).
  at::Tensor pooled_audio(const at::Tensor& windows) const;
  // windows: [B, F, T] -> [B, audio.tagger_classes] logits of the AudioSet tagger head (a
  // sigmoid per class gives probabilities); throws when the model has no tagger.
  at::Tensor tag_logits(const at::Tensor& windows) const;

  // ids, mask: [B, L] int64 token ids and attention mask -> [B, embed_dim] float32, unit rows.
  // Inference: no autograd, eval mode.
  at::Tensor embed_tokens(const at::Tensor& ids, const at::Tensor& mask) const;

  // Every tensor under its docs/model-format.md name (CPU copies).
  TensorMap state() const;
  // Replaces the tensors; refuses missing, extra or misshapen ones, naming each (where = file).
  void load_state(const TensorMap& tensors, const std::string& where);

  // Training mode (dropout, batch statistics) for every module, or inference mode. Models
  // come out of init() and load() in inference mode; the inference methods above refuse a
  // model in training mode rather than switch it (two threads would race).
  void set_training(bool on);

  // A model from a config and a file's tensors (where names the file in errors): what load
  // does after reading config.json and model.safetensors. Int8 tensors need the config's
  // "quantization": "int8".
  static Model from_stored(const MulanConfig& config, const TensorMap& stored, const std::string& where,
                           c10::Device device = c10::Device("cpu"));

 private:
  friend model::MulanModelImpl& model::modules_of(Model& model);
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// The int8 form of a float model (docs/model-format.md, "int8 models"): every weight of rank 2
// or more as int8 with a float scale per output channel. Saved, it is what `mulan quantize`
// writes. Throws for a model that is already int8.
Model quantize_int8(const Model& model);

// The tokenizer of a model directory: DIR/vocab.txt, truncating to the config's
// text.max_length.
text::Tokenizer load_tokenizer(const std::string& dir, const Model& model);

// texts -> [N, embed_dim] float32 on the CPU, in input order, batch_size texts per forward
// pass. Batches group texts of similar token counts (each padded to its longest member only),
// so mixed lengths cost little padding; the grouping changes nothing beyond float rounding.
at::Tensor embed_texts(const Model& model, const text::Tokenizer& tokenizer,
                       const std::vector<std::string>& texts, int64_t batch_size = 32);

// "cpu", "cuda" or "cuda:N" -> the device. Throws mulan::UsageError for anything else, and for
// a CUDA device when this build of LibTorch has no CUDA or the machine has no such GPU.
c10::Device parse_device(const std::string& name);

// Lines of a vocab.txt (for checking it against text.vocab_size).
int64_t count_vocab_lines(const std::string& path);

}  // namespace mulan
