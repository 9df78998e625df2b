#include <gtest/gtest.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "mulan/error.h"
#include "mulan/frontend.h"
#include "support/test_support.h"

namespace mulan::audio {
namespace {

TEST(Frontend, ShapesAndFrameCountsFollowTheSpec) {
  const Frontend resnet(FrontendConfig::resnet()), ast(FrontendConfig::ast());
  // 10 s at 16 kHz: resnet 1 + (160000 - 512) / 160 = 997, ast 1 + (160000 - 400) / 160 = 998.
  const at::Tensor wave = torch::tensor(test::noise(10.0, 16000, 1));
  EXPECT_EQ(resnet(wave).sizes(), (at::IntArrayRef{64, 997}));
  EXPECT_EQ(ast(wave).sizes(), (at::IntArrayRef{128, 998}));
  EXPECT_EQ(resnet.num_frames(511), 0);
  EXPECT_EQ(resnet.num_frames(512), 1);
  EXPECT_EQ(ast.num_frames(400), 1);
}

TEST(Frontend, BatchedEqualsOneByOne) {
  for (const auto& cfg : {FrontendConfig::resnet(), FrontendConfig::ast()}) {
    const Frontend fe(cfg);
    const at::Tensor batch = torch::stack({torch::tensor(test::music(2.0, 16000, 1)),
                                           torch::tensor(test::noise(2.0, 16000, 2)),
                                           torch::tensor(test::chirp(100, 6000, 2.0, 16000))});
    const at::Tensor all = fe(batch);
    for (int64_t b = 0; b < 3; ++b) EXPECT_TRUE(torch::allclose(all[b], fe(batch[b]), 1e-5, 1e-5));
  }
}

TEST(Frontend, SilenceIsFiniteAndEqualsTheSilenceValue) {
  for (const auto& cfg : {FrontendConfig::resnet(), FrontendConfig::ast()}) {
    const Frontend fe(cfg);
    const at::Tensor mel = fe(torch::zeros({16000}));
    ASSERT_TRUE(torch::isfinite(mel).all().item<bool>());
    EXPECT_TRUE((mel == fe.silence_value()).all().item<bool>());
  }
  EXPECT_NEAR(Frontend(FrontendConfig::resnet()).silence_value(), std::log(1e-6), 1e-5);
}

TEST(Frontend, RefusesAWaveShorterThanOneFrame) {
  const Frontend fe(FrontendConfig::resnet());
  EXPECT_THROW(fe(torch::zeros({100})), Error);
  EXPECT_THROW(fe(torch::zeros({2, 2, 1000})), Error);
}

TEST(FrontendConfig, JsonRoundTripAndValidation) {
  const FrontendConfig ast = FrontendConfig::ast();
  const nlohmann::json j = ast;
  const FrontendConfig back = j.get<FrontendConfig>();
  EXPECT_EQ(back.kind, FrontendKind::kAst);
  EXPECT_EQ(back.n_mels, 128);
  EXPECT_DOUBLE_EQ(back.norm_mean, ast.norm_mean);
  EXPECT_DOUBLE_EQ(back.preemphasis, 0.97);

  nlohmann::json bad = j;
  bad["win_length"] = 1024;  // longer than n_fft
  try {
    bad.get<FrontendConfig>();
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("win_length"), std::string::npos);
  }
  EXPECT_THROW(frontend_kind_from_string("mfcc"), UsageError);
}

}  // namespace
}  // namespace mulan::audio
