#include "mulan/context.h"

#include <torch/torch.h>

#include <algorithm>
#include <optional>

#include "mulan/model.h"
#include "mulan/tokenizer.h"

namespace mulan {

ContextParams default_params() { return ContextParams{}; }

namespace {
AudioEmbedOptions audio_options(const ContextParams& p, bool keep_windows) {
  return AudioEmbedOptions{p.audio_batch_windows, p.decode_threads, keep_windows};
}
}  // namespace

void ContextParams::validate(const std::string& where) const {
  parse_device(device);
  if (text_batch < 1) throw UsageError(where + ": text_batch must be >= 1, not " + std::to_string(text_batch));
  if (audio_batch_windows < 1) {  // named as here, not as AudioEmbedOptions names it
    throw UsageError(where + ": audio_batch_windows must be >= 1, not " + std::to_string(audio_batch_windows));
  }
  audio_options(*this, false).validate(where);  // decode_threads
  if (towers != "both" && towers != "audio" && towers != "text") {
    throw UsageError(where + ": towers must be both, audio or text, not '" + printable(towers) + "'");
  }
}

c10::Device parse_device(const std::string& name) {
  const bool cuda = name == "cuda" || name.starts_with("cuda:");
  const bool syntax = name == "cpu" || name == "cuda" ||
                      (name.starts_with("cuda:") && name.size() > 5 && name.size() <= 8 &&
                       name.find_first_not_of("0123456789", 5) == std::string::npos);
  if (!syntax) throw UsageError("device '" + printable(name) + "': must be cpu, cuda or cuda:N");
  if (!cuda) return c10::Device(c10::kCPU);
  if (!torch::cuda::is_available()) {
    throw UsageError("device '" + name + "': this build of mulan has no CUDA, or the machine has no CUDA GPU");
  }
  const c10::Device d(name);
  const int64_t n = static_cast<int64_t>(torch::cuda::device_count());
  if (d.has_index() && d.index() >= n) {
    throw UsageError("device '" + name + "': the machine has " + std::to_string(n) + " CUDA GPU" + (n == 1 ? "" : "s"));
  }
  return d;
}

struct Context::Impl {
  std::string dir;
  ContextParams params;
  Model model;
  std::optional<text::Tokenizer> tokenizer;
};

Context::Context(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Context::~Context() = default;

std::shared_ptr<const Context> Context::load(const std::string& dir, const ContextParams& params) {
  params.validate();
  auto impl = std::make_unique<Impl>();
  impl->dir = dir;
  impl->params = params;
  const Towers towers = params.towers == "audio" ? Towers::audio : params.towers == "text" ? Towers::text : Towers::both;
  impl->model = Model::load(dir, parse_device(params.device), towers);
  if (impl->model.has_text()) impl->tokenizer.emplace(load_tokenizer(dir, impl->model));
  return std::shared_ptr<const Context>(new Context(std::move(impl)));
}

const std::string& Context::dir() const { return impl_->dir; }
const MulanConfig& Context::config() const { return impl_->model.config(); }
const ContextParams& Context::params() const { return impl_->params; }
bool Context::has_text() const { return impl_->model.has_text(); }
bool Context::has_audio() const { return impl_->model.has_audio(); }
int64_t Context::embed_dim() const { return impl_->model.config().embed_dim; }
const Model& Context::model() const { return impl_->model; }

const text::Tokenizer& Context::tokenizer() const {
  if (!impl_->tokenizer) throw Error(file_error(impl_->dir, "holds no text tower"));
  return *impl_->tokenizer;
}

at::Tensor Context::embed_texts(const std::vector<std::string>& texts) const {
  return embed_texts(texts, impl_->params.text_batch);
}

at::Tensor Context::embed_texts(const std::vector<std::string>& texts, int text_batch) const {
  if (text_batch < 1) throw OptionError("text_batch", "must be >= 1, not " + std::to_string(text_batch));
  return mulan::embed_texts(impl_->model, tokenizer(), texts, text_batch);
}

void Context::embed_audio(const std::vector<AudioSource>& sources, const std::function<void(AudioEmbedding&&)>& on_result,
                          bool keep_windows) const {
  embed_audio(sources, on_result, audio_options(impl_->params, keep_windows));
}

void Context::embed_audio(const std::vector<AudioSource>& sources, const std::function<void(AudioEmbedding&&)>& on_result,
                          const AudioEmbedOptions& options) const {
  if (!has_audio()) throw Error(file_error(impl_->dir, "holds no audio tower"));
  // An embedder is a model handle and its options: nothing to keep between calls.
  AudioEmbedder(impl_->model, options).run(sources, on_result);
}

AudioEmbedding Context::embed_audio(const AudioSource& source, bool keep_windows) const {
  std::optional<AudioEmbedding> out;
  embed_audio(std::vector<AudioSource>{source}, [&](AudioEmbedding&& e) { out = std::move(e); }, keep_windows);
  if (out->failure) throw Error(out->failure->text());
  return std::move(*out);
}

at::Tensor Context::tag_scores(const at::Tensor& audio_embeddings, const std::vector<std::string>& tags,
                               const std::string& prompt) const {
  if (audio_embeddings.dim() != 2 || audio_embeddings.size(1) != embed_dim()) {
    throw UsageError("tag_scores: the audio embeddings must be [A, " + std::to_string(embed_dim()) + "], not " +
                std::to_string(audio_embeddings.dim()) + "-d " + c10::str(audio_embeddings.sizes()));
  }
  expand_prompt(prompt, "");  // the prompt is checked even for no tags
  if (tags.empty()) return torch::zeros({audio_embeddings.size(0), 0}, torch::kFloat32);
  std::vector<std::string> prompts;
  prompts.reserve(tags.size());
  for (const auto& t : tags) prompts.push_back(expand_prompt(prompt, t));
  return cosine_scores(audio_embeddings.to(torch::kCPU, torch::kFloat32), embed_texts(prompts));
}

std::string expand_prompt(const std::string& prompt, const std::string& tag) {
  if (prompt.find("{}") == std::string::npos) {
    throw OptionError("prompt", "must contain {} (where the tag goes): '" + printable(prompt) + "'");
  }
  std::string out;
  for (std::size_t i = 0; i < prompt.size();) {
    if (prompt.compare(i, 2, "{}") == 0) {
      out += tag;
      i += 2;
    } else {
      out += prompt[i++];
    }
  }
  return out;
}

at::Tensor cosine_scores(const at::Tensor& audio, const at::Tensor& text) {
  if (audio.dim() != 2 || text.dim() != 2 || audio.size(1) != text.size(1)) {
    throw Error("cosine_scores: audio and text embeddings must be [A, d] and [T, d] with the same d");
  }
  namespace F = torch::nn::functional;
  const auto unit = F::NormalizeFuncOptions().dim(1);
  const auto dtype = audio.scalar_type() == torch::kFloat64 || text.scalar_type() == torch::kFloat64 ? torch::kFloat64 : torch::kFloat32;
  return torch::matmul(F::normalize(audio.to(torch::kCPU, dtype), unit), F::normalize(text.to(torch::kCPU, dtype), unit).t());
}

std::vector<Hit> top_k(const at::Tensor& query, const at::Tensor& items, int64_t k) {
  if (query.dim() != 1 || items.dim() != 2 || items.size(1) != query.size(0)) {
    throw Error("top_k: the query must be [d] and the items [N, d] with the same d");
  }
  if (k < 1) throw UsageError("top_k: k must be >= 1, not " + std::to_string(k));
  const at::Tensor scores = cosine_scores(items, query.unsqueeze(0)).squeeze(1).to(torch::kFloat64).contiguous();
  const int64_t n = scores.size(0);
  const double* s = scores.data_ptr<double>();
  std::vector<int64_t> order(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) order[static_cast<size_t>(i)] = i;
  const auto keep = static_cast<std::ptrdiff_t>(std::min(k, n));
  std::partial_sort(order.begin(), order.begin() + keep, order.end(),
                    [&](int64_t a, int64_t b) { return s[a] > s[b] || (s[a] == s[b] && a < b); });
  std::vector<Hit> out;
  for (std::ptrdiff_t i = 0; i < keep; ++i) out.push_back({order[static_cast<size_t>(i)], s[order[static_cast<size_t>(i)]]});
  return out;
}

}  // namespace mulan
