// int8 models (mulan quantize, docs/model-format.md "int8 models"): the file follows the rule,
// checked by an independent numpy reader (tests/python/int8_reference.py); the text tower's
// int8 kernels against BERT in float64 on the same q * scale weights (bert_reference.py); the
// audio tower and the round trip; and what an int8 model refuses.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "model/int8.h"
#include "model/linear.h"
#include "model/mulan_model.h"
#include "mulan/atomic_file.h"
#include "mulan/error.h"
#include "mulan/model.h"
#include "mulan/npy.h"
#include "mulan/presets.h"
#include "mulan/quantize.h"
#include "support/test_support.h"

namespace mulan {
namespace {

using test::shell_quote;

// base-resnet's text tower alone, with a vocabulary of 2,000 (every layer of bert-base, a file
// a fifth of the size): the error of twelve int8 layers in a row, in a test's time.
std::string write_float_model(const test::TempDir& dir, const std::string& name, const std::string& preset, uint64_t seed) {
  const std::string d = dir.file(name);
  std::filesystem::create_directories(d);
  MulanConfig config = model::preset(preset);
  if (preset == "base-resnet") {
    config.audio.reset();
    config.text->vocab_size = 2000;
  }
  std::string vocab;
  for (const auto& t : model::default_vocab(config.text->vocab_size)) vocab += t + "\n";
  write_file_atomic(d + "/vocab.txt", vocab);
  Model::init(config, seed).save(d, d + "/vocab.txt");
  return d;
}

// [CLS] random tokens [SEP], padded with 0.
std::pair<at::Tensor, at::Tensor> token_batch(const std::vector<int64_t>& lengths, int64_t vocab) {
  torch::manual_seed(5);
  const int64_t N = static_cast<int64_t>(lengths.size());
  const int64_t L = *std::max_element(lengths.begin(), lengths.end());
  at::Tensor ids = torch::zeros({N, L}, torch::kInt64), mask = torch::zeros({N, L}, torch::kInt64);
  for (int64_t i = 0; i < N; ++i) {
    const int64_t n = lengths[static_cast<size_t>(i)];
    ids[i].narrow(0, 0, n).copy_(torch::randint(5, vocab, {n}, torch::kInt64));
    ids[i][0] = 2;
    ids[i][n - 1] = 3;
    mask[i].narrow(0, 0, n).fill_(1);
  }
  return {ids, mask};
}

double min_cosine(const at::Tensor& a, const at::Tensor& b) {
  return torch::cosine_similarity(a.to(at::kDouble), b.to(at::kDouble), 1).min().item<double>();
}

void check_text(const std::string& preset, const std::vector<int64_t>& lengths, double max_diff) {
  test::TempDir dir;
  const std::string fdir = write_float_model(dir, "float", preset, 11);
  const std::string qdir = dir.file("int8");
  const QuantizeSummary s = quantize_model_dir(fdir, qdir);
  EXPECT_GT(s.int8_tensors, 10);
  EXPECT_LT(static_cast<double>(s.bytes_after), 0.3 * static_cast<double>(s.bytes_before));
  EXPECT_LE(s.max_relative_error, 0.5 / 127 + 1e-6);  // half a step of the largest weight

  // The file, by an independent reader and the rule.
  auto r = test::run_python("int8_reference.py", shell_quote(fdir) + " " + shell_quote(qdir));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["int8"].get<int64_t>(), s.int8_tensors);

  const Model f = Model::load(fdir), q = Model::load(qdir);
  ASSERT_TRUE(q.is_int8());
  if (at::hasMKLDNN()) {  // oneDNN's int8 kernels are in this LibTorch: the linear layers use them
    ASSERT_TRUE(model::int8_engine_available());
    auto& net = model::modules_of(const_cast<Model&>(q));
    for (const auto& item : net.named_modules()) {  // every layer large enough for int8 to pay
      if (auto* l = item.value()->as<model::LinearImpl>()) {
        EXPECT_EQ(l->runs_int8(), l->options.in_features() * l->options.out_features() >= model::LinearImpl::kMinInt8Weights)
            << item.key();
      }
    }
  }
  const auto [ids, mask] = token_batch(lengths, f.config().text->vocab_size);
  const at::Tensor got = q.embed_tokens(ids, mask);
  test::TempDir io;
  at::Tensor lens = mask.sum(1);
  write_npy(io.file("ids.npy"), ids);
  write_npy(io.file("lens.npy"), lens);
  r = test::run_python("bert_reference.py", shell_quote(qdir) + " " + shell_quote(io.file("ids.npy")) + " " +
                                                shell_quote(io.file("lens.npy")) + " " + shell_quote(io.file("ref.npy")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const at::Tensor ref = read_npy(io.file("ref.npy"));
  const double diff = (got - ref).abs().max().item<double>();
  std::cout << preset << ": int8 kernels vs float64 on the same weights: max |diff| = " << diff
            << ", min cosine = " << min_cosine(got, ref) << "; int8 vs the float model: min cosine = "
            << min_cosine(got, f.embed_tokens(ids, mask)) << "\n";
  // What is left is the per-call quantization of the activations (8 bits per tensor).
  EXPECT_LE(diff, max_diff);
  EXPECT_GE(min_cosine(got, ref), 0.999);
  if (at::hasMKLDNN() && preset == "base-resnet") EXPECT_GT(diff, 1e-5) << "the int8 kernels did not run: this is float arithmetic";
  if (preset == "tiny") EXPECT_LE(diff, 1e-4) << "the tiny tower's layers are too small for int8 kernels: float on q * scale";
  EXPECT_GE(min_cosine(got, f.embed_tokens(ids, mask)), 0.998);
  EXPECT_NEAR(got.norm(2, 1).min().item<double>(), 1.0, 1e-5);
}

TEST(Int8Model, TinyFileFollowsTheRuleAndTextMatchesFloat64OnItsWeights) {
  check_text("tiny", {3, 17, 128, 5, 64, 2, 40, 99}, 1e-4);
}

TEST(Int8Model, BaseFileFollowsTheRuleAndTextMatchesFloat64OnItsWeights) {
  check_text("base-resnet", {8, 40, 3}, 0.02);
}

TEST(Int8Model, AudioTowerSaveRoundTripAndThreads) {
  test::TempDir dir;
  const std::string fdir = write_float_model(dir, "float", "tiny", 3);  // both towers
  const std::string qdir = dir.file("int8");
  quantize_model_dir(fdir, qdir);
  const Model f = Model::load(fdir), q = Model::load(qdir);
  const auto& a = *f.config().audio;
  torch::manual_seed(1);
  const at::Tensor w = torch::randn({4, a.n_mels, a.window_frames});
  const double cos = min_cosine(q.embed_windows(w), f.embed_windows(w));
  std::cout << "tiny audio tower, int8 weights vs float: min cosine = " << cos << "\n";
  EXPECT_GE(cos, 0.999);
  EXPECT_LT(cos, 1.0 - 1e-9) << "the weights were not quantized";

  // Saved again, an int8 model writes the same file.
  q.save(dir.file("again"), qdir + "/vocab.txt");
  EXPECT_EQ(test::slurp(dir.file("again") + "/model.safetensors"), test::slurp(qdir + "/model.safetensors"));
  EXPECT_EQ(test::slurp(dir.file("again") + "/config.json"), test::slurp(qdir + "/config.json"));

  // Two threads on one int8 model get what one thread gets.
  const auto [ids, mask] = token_batch({5, 30, 12, 64}, f.config().text->vocab_size);
  const at::Tensor alone = q.embed_tokens(ids, mask);
  std::vector<at::Tensor> got(2);
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) got[static_cast<size_t>(t)] = q.embed_tokens(ids, mask);
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& g : got) EXPECT_TRUE(torch::equal(g, alone));
}

// One int8 layer, many threads: the packed weights are shared read-only.
TEST(Int8Model, AnInt8LayerGivesTheSameFromManyThreads) {
  if (!model::int8_engine_available()) GTEST_SKIP() << "no int8 engine in this LibTorch";
  torch::manual_seed(3);
  model::Linear lin(768, 768);
  const TensorMap q = model::quantize_weights({{"l.weight", lin->weight.detach().clone()}});
  lin->set_int8(q.at("l.weight"), q.at("l.weight_scale"));
  ASSERT_TRUE(lin->runs_int8());
  const at::Tensor x = torch::randn({64, 768});
  c10::InferenceMode guard;
  const at::Tensor alone = lin(x);
  std::vector<at::Tensor> got(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < got.size(); ++t) {
    threads.emplace_back([&, t] {
      c10::InferenceMode g;
      for (int i = 0; i < 20; ++i) got[t] = lin(x);
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& g : got) EXPECT_TRUE(torch::equal(g, alone));
}

}  // namespace
}  // namespace mulan
