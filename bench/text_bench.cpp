// Text tower throughput: captions per second at batch 1, 8 and 64 (8 to 40 tokens each) for
// the base (bert-base-uncased) and tiny presets, the effective GFLOP/s of the encoder, and
// the machine's sgemm peak through LibTorch for comparison.
//   build/bench/bench_text
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "mulan/presets.h"
#include "mulan/model.h"
#include "mulan/tokenizer.h"

namespace {

// Multiply-adds x 2 of one BERT forward over sequences of the given lengths.
double bert_flops(const mulan::BertConfig& c, const std::vector<int64_t>& lengths, int64_t padded) {
  const double H = c.hidden_size, I = c.intermediate_size, L = padded;
  const double per_token = c.num_hidden_layers * (2.0 * 4 * H * H + 2.0 * 2 * H * I + 2.0 * 2 * L * H);
  return per_token * L * static_cast<double>(lengths.size());
}

void BM_TextTower(benchmark::State& state) {
  const std::string preset = state.range(0) == 0 ? "base-resnet" : "tiny";
  const int64_t batch = state.range(1);
  torch::set_num_threads(static_cast<int>(state.range(2)));
  const mulan::Model m = mulan::Model::init(mulan::model::preset(preset), 1);
  const auto& c = *m.config().text;
  // Captions of 8 to 40 tokens, padded to the longest in the batch.
  std::vector<int64_t> lengths;
  for (int64_t i = 0; i < batch; ++i) lengths.push_back(8 + (i * 13) % 33);
  const int64_t L = *std::max_element(lengths.begin(), lengths.end());
  torch::manual_seed(0);
  const at::Tensor ids = torch::randint(5, c.vocab_size, {batch, L}, torch::kInt64);
  at::Tensor mask = torch::zeros({batch, L}, torch::kInt64);
  for (int64_t i = 0; i < batch; ++i) mask[i].narrow(0, 0, lengths[static_cast<size_t>(i)]).fill_(1);
  for (auto _ : state) benchmark::DoNotOptimize(m.embed_tokens(ids, mask));
  state.counters["texts_per_s"] = benchmark::Counter(static_cast<double>(batch), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["GFLOP_per_s"] = benchmark::Counter(bert_flops(c, lengths, L) / 1e9, benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(preset + " batch=" + std::to_string(batch) + " threads=" + std::to_string(state.range(2)));
}
BENCHMARK(BM_TextTower)->ArgsProduct({{0, 1}, {1, 8, 64}, {1, 2}})->Unit(benchmark::kMillisecond)->UseRealTime();

// 1,000 captions of 4 to 200 characters (seeded words), the mixed lengths a caption file or a
// search box gives: texts/s of embed_texts (tokenizer, text tower, batches of 32 grouped by
// token count), against batches taken in input order (each padded to its own longest text:
// what embed_texts did before, and what a typical research script does).
std::vector<std::string> mixed_captions(int n) {
  static const char* words[] = {"melancholic", "lo-fi", "piano", "for", "a", "rainy", "night", "fast", "loud", "rock",
                                "with", "drums", "calm", "ambient", "slow", "sad", "strings", "minor", "key", "happy",
                                "major", "jazz", "trio", "deep", "house", "bassline", "female", "vocals", "synthwave",
                                "80s", "acoustic", "guitar", "orchestral", "epic", "120", "bpm"};
  std::vector<std::string> out;
  uint64_t x = 12345;
  auto next = [&] { return x = x * 6364136223846793005ULL + 1442695040888963407ULL, x >> 33; };
  for (int i = 0; i < n; ++i) {
    const size_t target = 4 + next() % 197;
    std::string s;
    while (s.size() < target) s += (s.empty() ? "" : " ") + std::string(words[next() % (sizeof(words) / sizeof(*words))]);
    out.push_back(s.substr(0, target));
  }
  return out;
}

void BM_EmbedTexts(benchmark::State& state) {
  const std::string preset = state.range(0) == 0 ? "base-resnet" : "tiny";
  const bool grouped = state.range(1) == 1;
  torch::set_num_threads(2);
  const mulan::Model m = mulan::Model::init(mulan::model::preset(preset), 1);
  mulan::text::TokenizerConfig tc;
  tc.max_length = m.config().text->max_length;
  const mulan::text::Tokenizer tok(mulan::text::Vocab::from_tokens(mulan::model::default_vocab(static_cast<int>(m.config().text->vocab_size))), tc);
  const std::vector<std::string> texts = mixed_captions(state.range(0) == 0 ? 256 : 1000);
  constexpr int64_t kBatch = 32;
  for (auto _ : state) {
    if (grouped) {
      benchmark::DoNotOptimize(mulan::embed_texts(m, tok, texts, kBatch));
      continue;
    }
    for (size_t start = 0; start < texts.size(); start += kBatch) {
      const std::vector<std::string> chunk(texts.begin() + static_cast<std::ptrdiff_t>(start),
                                           texts.begin() + static_cast<std::ptrdiff_t>(std::min(texts.size(), start + kBatch)));
      mulan::text::BatchEncoding b = tok.encode_batch(chunk);
      const at::Tensor ids = torch::from_blob(b.ids.data(), {b.batch, b.length}, torch::kInt64);
      const at::Tensor mask = torch::from_blob(b.attention_mask.data(), {b.batch, b.length}, torch::kInt64);
      benchmark::DoNotOptimize(m.embed_tokens(ids, mask));
    }
  }
  state.counters["texts_per_s"] = benchmark::Counter(static_cast<double>(texts.size()), benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(preset + (grouped ? " grouped by length" : " input order") + " batch=32 threads=2");
}
BENCHMARK(BM_EmbedTexts)->ArgsProduct({{0, 1}, {0, 1}})->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(2);

// The same captions through embed_texts (grouped by length), the float model against its int8
// form (quantize_int8: `mulan quantize`), one after the other in one process.
void BM_EmbedTextsInt8(benchmark::State& state) {
  const std::string preset = state.range(0) == 0 ? "base-resnet" : "tiny";
  const bool int8 = state.range(1) == 1;
  torch::set_num_threads(2);
  const mulan::Model f = mulan::Model::init(mulan::model::preset(preset), 1);
  const mulan::Model m = int8 ? mulan::quantize_int8(f) : f;
  mulan::text::TokenizerConfig tc;
  tc.max_length = m.config().text->max_length;
  const mulan::text::Tokenizer tok(mulan::text::Vocab::from_tokens(mulan::model::default_vocab(static_cast<int>(m.config().text->vocab_size))), tc);
  const std::vector<std::string> texts = mixed_captions(state.range(0) == 0 ? 256 : 1000);
  for (auto _ : state) benchmark::DoNotOptimize(mulan::embed_texts(m, tok, texts, 32));
  state.counters["texts_per_s"] = benchmark::Counter(static_cast<double>(texts.size()), benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(preset + (int8 ? " int8" : " float") + " grouped batch=32 threads=2");
}
BENCHMARK(BM_EmbedTextsInt8)->ArgsProduct({{0, 1}, {0, 1}})->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

void BM_Sgemm(benchmark::State& state) {
  const int64_t n = state.range(0);
  torch::set_num_threads(static_cast<int>(state.range(1)));
  const at::Tensor a = torch::randn({n, n}), b = torch::randn({n, n});
  for (auto _ : state) benchmark::DoNotOptimize(torch::mm(a, b));
  state.counters["GFLOP_per_s"] = benchmark::Counter(2.0 * n * n * n / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Sgemm)->ArgsProduct({{512, 1024}, {1, 2}})->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
