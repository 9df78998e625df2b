// Inference runs the ResNet with every BatchNorm folded into its convolution; it must give the
// numbers of the modules as they are (BatchNorm in evaluation mode), and follow their tensors
// when training or a load changes them.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mulan/model.h"
#include "mulan/presets.h"
#include "model/mulan_model.h"

namespace {

// Random BatchNorm statistics and affine terms: folding the identity BatchNorm of a fresh
// initialisation would test nothing.
void randomise_batchnorms(mulan::model::ResNetImpl& resnet, uint64_t seed) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(seed);
  for (auto& item : resnet.named_buffers()) {
    if (item.key().ends_with("running_mean")) item.value().normal_(0, 0.5);
    if (item.key().ends_with("running_var")) item.value().uniform_(0.3, 2.0);
  }
  for (auto& item : resnet.named_parameters()) {
    const bool bn = item.key().find("bn") != std::string::npos || item.key().find("downsample.1") != std::string::npos;
    if (bn && item.key().ends_with("weight")) item.value().uniform_(0.5, 1.5);
    if (bn && item.key().ends_with("bias")) item.value().normal_(0, 0.2);
  }
}

double max_relative_difference(const at::Tensor& a, const at::Tensor& b) {
  return ((a.to(at::kDouble) - b.to(at::kDouble)).abs().max() / b.to(at::kDouble).abs().max()).item<double>();
}

TEST(ResNetFold, FoldedInferenceEqualsTheModulesAndFollowsTheirTensors) {
  for (const char* preset : {"tiny", "base-resnet"}) {
    mulan::MulanConfig c = mulan::model::preset(preset);
    c.text.reset();
    mulan::Model m = mulan::Model::init(c, 7);
    auto& resnet = *mulan::model::modules_of(m).audio->resnet;
    randomise_batchnorms(resnet, 11);
    const auto& a = *c.audio;
    const at::Tensor x = torch::randn({3, 1, a.n_mels, a.window_frames});
    at::Tensor unfolded, folded;
    {
      c10::InferenceMode guard;
      unfolded = resnet.forward_unfolded(x);
      folded = resnet.forward(x);
    }
    EXPECT_LT(max_relative_difference(folded, unfolded), 1e-5) << preset;
    // The whole embedding goes the folded way and agrees as well.
    const at::Tensor e = m.embed_windows(x.squeeze(1));
    {
      torch::NoGradGuard no_grad;  // evaluation mode with autograd off: the modules as they are
      auto& tower = *mulan::model::modules_of(m).audio;
      const at::Tensor ref = torch::nn::functional::normalize(
          tower.proj(resnet.forward_unfolded(x)), torch::nn::functional::NormalizeFuncOptions().dim(-1));
      EXPECT_LT(max_relative_difference(e, ref), 1e-5) << preset;
    }
    if (std::string(preset) == "base-resnet") continue;  // the rest on the tiny one
    // A change of a tensor (an optimizer step, a load) is seen by the next inference.
    {
      torch::NoGradGuard no_grad;
      resnet.layer1->children()[0]->named_parameters()["conv1.weight"].mul_(1.5);
      resnet.bn1->running_var.mul_(2.0);
    }
    at::Tensor after_unfolded, after_folded;
    {
      c10::InferenceMode guard;
      after_unfolded = resnet.forward_unfolded(x);
      after_folded = resnet.forward(x);
    }
    EXPECT_GT(max_relative_difference(after_unfolded, unfolded), 1e-3) << "the change changed the output";
    EXPECT_LT(max_relative_difference(after_folded, after_unfolded), 1e-5);
    // Training mode runs the modules (BatchNorm on batch statistics, with gradients).
    m.set_training(true);
    const at::Tensor y = resnet.forward(x);
    EXPECT_TRUE(y.requires_grad());
    m.set_training(false);
  }
}

}  // namespace
