// ResNet-50 (spec 1.2) as torchvision builds it (v1.5: the stride on the 3x3 convolution),
// with a one-channel conv1; module names are torchvision's, so named_parameters() gives
// conv1.weight, bn1.*, layer{1..4}.{j}.conv{1,2,3}.weight, ..., layer{k}.0.downsample.{0,1}.*.
#pragma once

#include <torch/nn.h>

#include <vector>

namespace mulan::model {

struct BottleneckImpl : torch::nn::Module {
  BottleneckImpl(int in, int width, int stride);
  torch::Tensor forward(const torch::Tensor& x);

  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
  torch::nn::Sequential downsample{nullptr};  // only when the shape changes
};
TORCH_MODULE(Bottleneck);

struct ResNetImpl : torch::nn::Module {
  // layers: blocks per stage ({3, 4, 6, 3} for ResNet-50); width: the first stage's width;
  // stem_fstride: how many times the stem shrinks the mel axis (4 as torchvision, 2 or 1: the
  // convolution, then also the max-pool, stride in time only). Time always shrinks 4x.
  ResNetImpl(const std::vector<int>& layers, int width, int stem_fstride = 4);
  // x: [B, 1, F, T] -> [B, 4 * 8 * width] (2048 for ResNet-50): mean over mel and time
  torch::Tensor forward(const torch::Tensor& x);

  torch::nn::Conv2d conv1{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr};
  torch::nn::Sequential layer1{nullptr}, layer2{nullptr}, layer3{nullptr}, layer4{nullptr};
  int64_t pool_fstride_ = 2;  // the max-pool's stride along the mel axis
};
TORCH_MODULE(ResNet);

}  // namespace mulan::model
