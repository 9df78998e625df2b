// Both audio towers and the text tower on a CUDA device equal the CPU ones. Skips itself
// without CUDA.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mulan/presets.h"
#include "mulan/model.h"
#include "support/test_support.h"

namespace mulan {
namespace {

TEST(TowersCuda, MatchCpu) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  MulanConfig c = model::preset("base-resnet");
  c.text.reset();
  for (const auto& audio : {AudioConfig::base_resnet(), AudioConfig::base_ast()}) {
    c.audio = audio;
    const Model cpu = Model::init(c, 3), gpu = Model::init(c, 3, c10::Device("cuda"));
    const at::Tensor w = torch::randn({4, audio.n_mels, audio.window_frames});
    EXPECT_LE((gpu.embed_windows(w.cuda()).cpu() - cpu.embed_windows(w)).abs().max().item<double>(), 1e-3) << audio.arch;
  }
  MulanConfig t = model::preset("tiny");
  t.audio.reset();
  const Model cpu = Model::init(t, 3), gpu = Model::init(t, 3, c10::Device("cuda"));
  const at::Tensor ids = torch::randint(5, t.text->vocab_size, {3, 20}, torch::kInt64);
  const at::Tensor mask = torch::ones({3, 20}, torch::kInt64);
  EXPECT_LE((gpu.embed_tokens(ids.cuda(), mask.cuda()).cpu() - cpu.embed_tokens(ids, mask)).abs().max().item<double>(), 1e-4);
}

}  // namespace
}  // namespace mulan
