// The front ends on CUDA tensors equal the CPU ones. Skips itself without CUDA.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mulan/frontend.h"
#include "support/test_support.h"

namespace mulan::audio {
namespace {

TEST(FrontendCuda, MatchesCpu) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const at::Tensor wave = torch::stack({torch::tensor(test::music(4.0, 16000, 1)),
                                        torch::tensor(test::noise(4.0, 16000, 2))});
  for (const auto& cfg : {FrontendConfig::resnet(), FrontendConfig::ast()}) {
    const Frontend cpu(cfg), gpu(cfg, c10::Device("cuda"));
    const at::Tensor want = cpu(wave);
    const at::Tensor got = gpu(wave.to(c10::Device("cuda")));
    EXPECT_TRUE(got.device().is_cuda());
    EXPECT_LE((got.cpu() - want).abs().max().item<double>(), 1e-3);
  }
}

}  // namespace
}  // namespace mulan::audio
