// The inference context: a model directory loaded once, immutable after loading, and safe to
// call from many threads at once. The CLI, the server and the Python module embed and score
// through this and nothing below it.
//
//   mulan::ContextParams params = mulan::default_params();   // every default in one place
//   params.device = "cpu";
//   auto ctx = mulan::Context::load("my-model", params);       // std::shared_ptr<const Context>
//   at::Tensor t = ctx->embed_texts({"sad piano in a minor key"});          // [1, 128]
//   ctx->embed_audio({mulan::AudioSource::file("song.flac")},
//                    [](mulan::AudioEmbedding&& e) { /* e.embedding, or e.failure */ });
//   at::Tensor s = mulan::cosine_scores(audio_embeddings, t);                // [A, 1]
//
// Thread safety: every const member function may be called concurrently from any number of
// threads on one Context. Loading leaves torch's global random generator as it was (the towers'
// constructors draw from it; its state is saved and put back, one model built at a time, so a
// program that seeds it sees the same stream with or without loading a model; a thread that
// draws from it while another thread loads may see draws interleaved), and the towers are put
// in inference mode once, at load.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mulan/audio_embed.h"
#include "mulan/config.h"
#include "mulan/error.h"
#include "mulan/params.h"

namespace mulan {

class Model;
namespace text {
class Tokenizer;
}

class Context {
 public:
  // Reads DIR (config.json, model.safetensors, vocab.txt) onto params.device. Throws
  // mulan::Error naming the file, the field or the tensor that is wrong, and for a device that
  // does not exist or is not built in.
  static std::shared_ptr<const Context> load(const std::string& dir, const ContextParams& params = default_params());

  const std::string& dir() const;
  const MulanConfig& config() const;
  const ContextParams& params() const;
  bool has_text() const;
  bool has_audio() const;
  int64_t embed_dim() const;

  // texts -> [N, embed_dim] float32 on the CPU, unit rows, in input order. Texts are batched
  // params.text_batch at a time, texts of similar length together, each batch padded only to
  // its longest member. Throws when the model has no text tower.
  at::Tensor embed_texts(const std::vector<std::string>& texts) const;
  // The same with text_batch texts per forward pass for this call (mulan::OptionError when < 1).
  at::Tensor embed_texts(const std::vector<std::string>& texts, int text_batch) const;

  // Embeds each source by the long-audio policy (windows of the model's length, their mean
  // embedding normalised again), decoding params.decode_threads sources ahead of the model.
  // on_result is called once per source, in input order, on the calling thread; a source
  // that cannot be embedded comes back with its failure filled, and the others go on.
  void embed_audio(const std::vector<AudioSource>& sources, const std::function<void(AudioEmbedding&&)>& on_result,
                   bool keep_windows = false) const;
  // The same with other options for this call (windows per batch, decode threads, keep_windows).
  void embed_audio(const std::vector<AudioSource>& sources, const std::function<void(AudioEmbedding&&)>& on_result,
                   const AudioEmbedOptions& options) const;
  // One source, at once: its embedding, or mulan::Error with the failure's one-line reason.
  AudioEmbedding embed_audio(const AudioSource& source, bool keep_windows = false) const;

  // Zero-shot tag scores: the cosine of every audio embedding [A, d] with the text embedding of
  // each tag put into the prompt (every "{}" becomes the tag) -> [A, T] float32, in tag order.
  // Throws mulan::OptionError("prompt", ...) when the prompt has no "{}", mulan::UsageError when
  // the embeddings are not [A, embed_dim], mulan::Error when the model has no text tower.
  at::Tensor tag_scores(const at::Tensor& audio_embeddings, const std::vector<std::string>& tags,
                        const std::string& prompt = "{}") const;

  // The underlying model and tokenizer, for code that needs tensors below the embeddings
  // (evaluation's tagger logits). Both are immutable once the context exists.
  const Model& model() const;
  const text::Tokenizer& tokenizer() const;  // throws when the model has no text tower

  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

 private:
  struct Impl;
  explicit Context(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The prompt with every "{}" replaced by the tag ("a recording with a {} feel"); throws
// mulan::OptionError("prompt", ...) when it has no "{}".
std::string expand_prompt(const std::string& prompt, const std::string& tag);

// Zero-shot scores: the cosine of every audio row with every text row, [A, d] x [T, d] ->
// [A, T], float64 when either input is, else float32. Rows need not be unit length; a zero
// row scores 0.
at::Tensor cosine_scores(const at::Tensor& audio, const at::Tensor& text);

// One hit of a top-K search.
struct Hit {
  int64_t index = 0;  // row of the searched matrix
  double score = 0;   // cosine similarity
};
// The k rows of `items` [N, d] most similar to `query` [d] by cosine, best first; ties in
// row order. k larger than N gives all N.
std::vector<Hit> top_k(const at::Tensor& query, const at::Tensor& items, int64_t k);

}  // namespace mulan
