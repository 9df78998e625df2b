// The audio trunks against independent implementations (tests/python/audio_reference.py):
// ResNet-50 against torchvision's resnet50 with a one-channel conv1, AST against its forward
// written out in float64. Tolerance: max |difference| of the pooled vector <= 1e-4.
#include <gtest/gtest.h>

#include <algorithm>
#include <torch/torch.h>

#include <iostream>

#include "mulan/error.h"
#include "mulan/model.h"
#include "mulan/npy.h"
#include "support/test_support.h"

namespace mulan {
namespace {

void check(const AudioConfig& audio, int64_t batch) {
  test::TempDir dir;
  MulanConfig c;
  c.audio = audio;
  Model m = Model::init(c, 21);
  // Non-trivial BatchNorm statistics, so that the test sees them used.
  TensorMap s = m.state();
  torch::manual_seed(2);
  for (auto& [name, t] : s) {
    if (name.find("running_mean") != std::string::npos) t = 0.1 * torch::randn_like(t);
    if (name.find("running_var") != std::string::npos) t = 0.5 + torch::rand_like(t);
    if (name.find("bn") != std::string::npos && name.find(".bias") != std::string::npos) t = 0.1 * torch::randn_like(t);
  }
  m.load_state(s, "test");
  m.save(dir.file("m"), "");
  const Model loaded = Model::load(dir.file("m"));

  const at::Tensor windows = torch::randn({batch, audio.n_mels, audio.window_frames});
  const at::Tensor got = loaded.pooled_audio(windows);
  ASSERT_EQ(got.sizes(), (at::IntArrayRef{batch, audio.pooled_dim()}));
  write_npy(dir.file("w.npy"), windows);
  const auto r = test::run_python("audio_reference.py", test::shell_quote(dir.file("m")) + " " +
                                                            test::shell_quote(dir.file("w.npy")) + " " +
                                                            test::shell_quote(dir.file("ref.npy")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const at::Tensor ref = read_npy(dir.file("ref.npy"));
  const double diff = (got - ref).abs().max().item<double>();
  std::cout << audio.arch << ": max |C++ - reference| of the pooled vector = " << diff
            << " (values up to " << ref.abs().max().item<double>() << ")\n";
  // float32 rounding: 1e-4, or 1e-6 of the largest value where the values are large (the ResNet
  // pools values of several hundred, and inference folds BatchNorm into the convolutions: the
  // same sums in another order).
  EXPECT_LE(diff, std::max(1e-4, 1e-6 * ref.abs().max().item<double>()));

  const at::Tensor e = loaded.embed_windows(windows);
  ASSERT_EQ(e.sizes(), (at::IntArrayRef{batch, 128}));
  EXPECT_NEAR(e.norm(2, 1).min().item<double>(), 1.0, 1e-5);
}

TEST(AudioReference, ResNet50MatchesTorchvision) { check(AudioConfig::base_resnet(), 2); }

// The stems that keep the mel axis finer (the tiny preset's): torchvision's ResNet with its
// conv1 and max-pool strides set by hand in the reference, at torchvision's width 64.
TEST(AudioReference, StemsThatKeepTheMelAxisMatchTorchvision) {
  for (int fstride : {1, 2}) {
    SCOPED_TRACE("resnet_stem_fstride " + std::to_string(fstride));
    AudioConfig a = AudioConfig::base_resnet();
    a.resnet_layers = {1, 1, 1, 1};
    a.window_frames = 200;
    a.resnet_stem_fstride = fstride;
    check(a, 2);
  }
}

TEST(AudioReference, AstMatchesIndependentForward) {
  AudioConfig a = AudioConfig::base_ast();  // the public checkpoint's grid, a smaller width
  a.width = 64;
  a.layers = 2;
  a.heads = 4;
  a.mlp = 128;
  check(a, 2);
  a.has_dist_token = false;
  a.fstride = a.tstride = 16;  // MuLan's non-overlapping patches
  check(a, 1);
}

TEST(AudioTower, TaggerHeadIsALinearLayerOnThePooledVector) {
  MulanConfig c;
  c.audio = AudioConfig::tiny();
  c.audio->tagger_classes = 527;
  const Model m = Model::init(c, 4);
  const TensorMap s = m.state();
  ASSERT_EQ(s.at("audio.tagger.weight").sizes(), (at::IntArrayRef{527, c.audio->pooled_dim()}));
  const at::Tensor w = torch::randn({3, 64, 1000});
  const at::Tensor want = torch::addmm(s.at("audio.tagger.bias"), m.pooled_audio(w), s.at("audio.tagger.weight").t());
  EXPECT_LE((m.tag_logits(w) - want).abs().max().item<double>(), 1e-5);
  c.audio->tagger_classes = 0;
  EXPECT_THROW(Model::init(c, 4).tag_logits(w), Error);
}

}  // namespace
}  // namespace mulan
