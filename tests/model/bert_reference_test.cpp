// The C++ text tower against tests/python/bert_reference.py (BERT written out with
// torch.nn.functional in float64, reading the model directory with its own parser), for a
// tiny and a base-sized random model, in batches that mix short and long texts.
// Tolerance: max |difference| of the 128-d embeddings <= 1e-4; padding changes nothing.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mulan/presets.h"
#include "mulan/model.h"
#include "mulan/npy.h"
#include "support/test_support.h"
#include "mulan/atomic_file.h"

namespace mulan {
namespace {

struct Batch {
  at::Tensor ids, mask, lens;  // [N, L], [N, L], [N]
};

// Random token sequences [CLS] ... [SEP] of the given lengths, padded with [PAD] = 0.
Batch make_batch(const std::vector<int64_t>& lengths, int64_t vocab, uint64_t seed) {
  torch::manual_seed(seed);
  const int64_t N = static_cast<int64_t>(lengths.size());
  const int64_t L = *std::max_element(lengths.begin(), lengths.end());
  Batch b{torch::zeros({N, L}, torch::kInt64), torch::zeros({N, L}, torch::kInt64), torch::tensor(lengths)};
  for (int64_t i = 0; i < N; ++i) {
    const int64_t n = lengths[static_cast<size_t>(i)];
    b.ids[i].narrow(0, 0, n).copy_(torch::randint(5, vocab, {n}, torch::kInt64));
    b.ids[i][0] = 2;      // [CLS]
    b.ids[i][n - 1] = 3;  // [SEP]
    b.mask[i].narrow(0, 0, n).fill_(1);
  }
  return b;
}

void check_against_reference(const std::string& preset, const std::vector<int64_t>& lengths) {
  test::TempDir dir;
  const MulanConfig config = model::preset(preset);
  const std::string model_dir = dir.file("model");
  std::filesystem::create_directories(model_dir);
  std::string vocab;
  for (const auto& t : model::default_vocab(config.text->vocab_size)) vocab += t + "\n";
  write_file_atomic(model_dir + "/vocab.txt", vocab);
  Model::init(config, /*seed=*/11).save(model_dir, model_dir + "/vocab.txt");

  const Model m = Model::load(model_dir);
  const Batch b = make_batch(lengths, config.text->vocab_size, 5);
  const at::Tensor got = m.embed_tokens(b.ids, b.mask);
  ASSERT_EQ(got.sizes(), (at::IntArrayRef{static_cast<int64_t>(lengths.size()), 128}));

  // Padding changes no embedding: each text alone, unpadded, gives the same vector.
  for (int64_t i = 0; i < b.ids.size(0); ++i) {
    const int64_t n = lengths[static_cast<size_t>(i)];
    const at::Tensor alone = m.embed_tokens(b.ids[i].narrow(0, 0, n).unsqueeze(0), b.mask[i].narrow(0, 0, n).unsqueeze(0));
    EXPECT_LE((alone[0] - got[i]).abs().max().item<double>(), 1e-5) << "row " << i;
  }

  write_npy(dir.file("ids.npy"), b.ids);
  write_npy(dir.file("lens.npy"), b.lens);
  const auto r = test::run_python("bert_reference.py", test::shell_quote(model_dir) + " " + test::shell_quote(dir.file("ids.npy")) +
                                                           " " + test::shell_quote(dir.file("lens.npy")) + " " +
                                                           test::shell_quote(dir.file("ref.npy")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const at::Tensor ref = read_npy(dir.file("ref.npy"));
  const double diff = (got - ref).abs().max().item<double>();
  std::cout << preset << ": max |C++ - reference| = " << diff << "\n";
  EXPECT_LE(diff, 1e-4);
  EXPECT_NEAR(got.norm(2, 1).min().item<double>(), 1.0, 1e-5);
}

TEST(BertReference, TinyModelMatchesIndependentImplementation) {
  check_against_reference("tiny", {3, 17, 128, 5, 64, 2, 40, 99});
}

TEST(BertReference, BaseModelMatchesIndependentImplementation) {
  check_against_reference("base-resnet", {8, 40, 3, 120});
}

}  // namespace
}  // namespace mulan
