// Text in, embeddings out: the tokenizer and the text tower together.
#include <torch/torch.h>

#include <algorithm>
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
  // texts -> [N, d]. Batches are drawn in order of token count, so that a batch of mixed
  // lengths is padded to about its own members' length rather than to the longest text near
  // it in the input (1,000 captions of 4 to 200 characters: docs/performance.md); rows go back
  // to input order. Padding is masked, so the grouping changes no number beyond rounding.
  if (batch_size < 1) throw UsageError("batch size must be >= 1");
  const auto n = static_cast<int64_t>(texts.size());
  at::Tensor out = torch::empty({n, model.config().embed_dim}, torch::kFloat32);
  std::vector<std::vector<int64_t>> encoded;  // each text tokenized once
  encoded.reserve(texts.size());
  for (const auto& t : texts) encoded.push_back(tokenizer.encode(t));
  std::vector<int64_t> order(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) order[static_cast<size_t>(i)] = i;
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return encoded[static_cast<size_t>(a)].size() < encoded[static_cast<size_t>(b)].size();
  });
  for (int64_t start = 0; start < n; start += batch_size) {
    const int64_t end = std::min(n, start + batch_size);
    std::vector<std::vector<int64_t>> chunk;
    chunk.reserve(static_cast<size_t>(end - start));
    for (int64_t k = start; k < end; ++k) chunk.push_back(std::move(encoded[static_cast<size_t>(order[static_cast<size_t>(k)])]));
    const text::BatchEncoding b = tokenizer.pad_batch(chunk);
    const auto opts = torch::TensorOptions().dtype(torch::kInt64);
    const at::Tensor ids = torch::from_blob(const_cast<int64_t*>(b.ids.data()), {b.batch, b.length}, opts);
    const at::Tensor mask = torch::from_blob(const_cast<int64_t*>(b.attention_mask.data()), {b.batch, b.length}, opts);
    const at::Tensor rows = torch::from_blob(order.data() + start, {end - start}, opts);
    out.index_copy_(0, rows, model.embed_tokens(ids, mask).to(torch::kCPU, torch::kFloat32));
  }
  return out;
}

}  // namespace mulan
