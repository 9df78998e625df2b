// The length-grouped text forward: the split against brute force over every split, and the
// embeddings and gradients against one pass padded to the longest text.
#include "train/text_groups.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <random>

#include "model/mulan_model.h"
#include "mulan/presets.h"
#include "mulan/tokenizer.h"

namespace mulan::train {
namespace {

// The least cost over every way to cut n sorted lengths into at most g contiguous runs.
int64_t brute_force(const std::vector<int64_t>& len, size_t begin, int g, int64_t overhead) {
  const size_t n = len.size();
  if (begin == n) return 0;
  if (g == 0) return -1;
  int64_t best = -1;
  for (size_t end = begin + 1; end <= n; ++end) {
    const int64_t rest = brute_force(len, end, g - 1, overhead);
    if (rest < 0) continue;
    const int64_t cost = static_cast<int64_t>(end - begin) * len[end - 1] + overhead + rest;
    if (best < 0 || cost < best) best = cost;
  }
  return best;
}

TEST(LengthGroups, SplitIsTheCheapestOfAllSplits) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    const size_t n = 1 + rng() % 9;
    std::vector<int64_t> len(n);
    for (auto& x : len) x = 3 + static_cast<int64_t>(rng() % 60);
    std::sort(len.begin(), len.end());
    const int g = 1 + static_cast<int>(rng() % 4);
    const int64_t overhead = static_cast<int64_t>(rng() % 40);
    const std::vector<size_t> ends = length_groups(len, g, overhead);
    ASSERT_FALSE(ends.empty());
    ASSERT_LE(ends.size(), static_cast<size_t>(g));
    EXPECT_EQ(ends.back(), n);
    int64_t cost = 0;
    size_t start = 0;
    for (size_t e : ends) {
      ASSERT_GT(e, start);
      cost += static_cast<int64_t>(e - start) * len[e - 1] + overhead;
      start = e;
    }
    EXPECT_EQ(cost, brute_force(len, 0, g, overhead)) << "trial " << trial;
  }
  EXPECT_TRUE(length_groups({}, 3, 0).empty());
  EXPECT_EQ(length_groups({5, 5, 5}, 4, 0), std::vector<size_t>({3}));  // equal lengths: one pass
}

TEST(TextForwardGrouped, EqualsOnePaddedPassInValuesAndGradients) {
  torch::manual_seed(3);
  BertConfig bc = BertConfig::tiny();
  const std::vector<std::string> vocab = model::default_vocab(0);
  bc.vocab_size = static_cast<int>(vocab.size());
  model::TextTower tower(bc, 128);
  tower->eval();  // no dropout: both ways must see the same network
  const text::Tokenizer tok(text::Vocab::from_tokens(vocab));
  const std::vector<std::string> texts = {
      "rock",
      "A slow, sad jazz piece in a minor key. The saxophone carries the melody over piano chords. "
      "Thanks for listening! Recorded at home on a rainy Sunday.",
      "late night jazz",
      "Midnight Rain | upbeat electronic synth lead",
      "Music, Rock music, Organ",
      "piano",
      "It feels loud and fast, with drums. I love the quick groove and the organ.",
  };

  const text::BatchEncoding enc = tok.encode_batch(texts);
  const auto as_tensor = [&](const std::vector<int64_t>& v) {
    return torch::tensor(v, torch::kInt64).view({enc.batch, enc.length});
  };
  const at::Tensor weights = torch::randn({static_cast<int64_t>(texts.size()), 128});
  const auto grads = [&](const at::Tensor& out) {
    tower->zero_grad();
    (out * weights).sum().backward();
    std::vector<at::Tensor> g;
    for (const auto& p : tower->parameters()) g.push_back(p.grad().defined() ? p.grad().clone() : torch::zeros_like(p));
    return g;
  };
  const at::Tensor one = tower->forward(as_tensor(enc.ids), as_tensor(enc.attention_mask));
  const std::vector<at::Tensor> g_one = grads(one);
  for (int groups : {1, 2, 4}) {
    const at::Tensor grouped = text_forward_grouped(*tower, tok, texts, torch::kCPU, groups);
    ASSERT_EQ(grouped.sizes(), one.sizes());
    EXPECT_LT((grouped - one).abs().max().item<double>(), 1e-5) << groups << " groups";
    const std::vector<at::Tensor> g_grouped = grads(grouped);
    for (size_t k = 0; k < g_one.size(); ++k) {
      const double scale = 1 + g_one[k].abs().max().item<double>();
      EXPECT_LT((g_grouped[k] - g_one[k]).abs().max().item<double>(), 1e-5 * scale) << "parameter " << k;
    }
  }
}

}  // namespace
}  // namespace mulan::train
