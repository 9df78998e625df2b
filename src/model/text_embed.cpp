// Text in, embeddings out: the tokenizer and the text tower together.
#include <torch/torch.h>

#include <filesystem>

#include "mulan/error.h"
#include "mulan/model.h"
#include "mulan/tokenizer.h"

namespace mulan {

text::Tokenizer load_tokenizer(const std::string& dir, const Model& model) {
  if (!model.has_text()) throw Error(file_error(dir, "holds no text tower"));
  text::TokenizerConfig tc;
  tc.max_length = model.config().text->max_length;
  return text::Tokenizer::load((std::filesystem::path(dir) / "vocab.txt").string(), tc);
}

at::Tensor embed_texts(const Model& model, const text::Tokenizer& tokenizer,
                       const std::vector<std::string>& texts, int64_t batch_size) {
  // texts -> [N, d]
  if (batch_size < 1) throw UsageError("batch size must be >= 1");
  const auto n = static_cast<int64_t>(texts.size());
  at::Tensor out = torch::empty({n, model.config().embed_dim}, torch::kFloat32);
  for (int64_t start = 0; start < n; start += batch_size) {
    const int64_t end = std::min(n, start + batch_size);
    const std::vector<std::string> chunk(texts.begin() + start, texts.begin() + end);
    const text::BatchEncoding b = tokenizer.encode_batch(chunk);
    const auto opts = torch::TensorOptions().dtype(torch::kInt64);
    const at::Tensor ids = torch::from_blob(const_cast<int64_t*>(b.ids.data()), {b.batch, b.length}, opts);
    const at::Tensor mask = torch::from_blob(const_cast<int64_t*>(b.attention_mask.data()), {b.batch, b.length}, opts);
    out.narrow(0, start, end - start).copy_(model.embed_tokens(ids, mask).to(torch::kCPU));
  }
  return out;
}

}  // namespace mulan
