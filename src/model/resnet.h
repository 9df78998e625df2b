// ResNet-50 (spec 1.2) as torchvision builds it (v1.5: the stride on the 3x3 convolution),
// with a one-channel conv1; module names are torchvision's, so named_parameters() gives
// conv1.weight, bn1.*, layer{1..4}.{j}.conv{1,2,3}.weight, ..., layer{k}.0.downsample.{0,1}.*.
#pragma once

#include <torch/nn.h>

#include <memory>
#include <mutex>
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

// The inference form of a ResNet: every BatchNorm folded into the convolution before it
// (W' = W g / sqrt(v + eps) per output channel, b' = beta - m g / sqrt(v + eps)), so that a
// forward pass is convolutions with bias, ReLUs, the max-pool and the mean, nothing for
// training to pay for. Built from the module's current tensors (ResNetImpl::folded).
struct FoldedResNet;

struct ResNetImpl : torch::nn::Module {
  // layers: blocks per stage ({3, 4, 6, 3} for ResNet-50); width: the first stage's width;
  // stem_fstride: how many times the stem shrinks the mel axis (4 as torchvision, 2 or 1: the
  // convolution, then also the max-pool, stride in time only). Time always shrinks 4x.
  ResNetImpl(const std::vector<int>& layers, int width, int stem_fstride = 4);
  // x: [B, 1, F, T] -> [B, 4 * 8 * width] (2048 for ResNet-50): mean over mel and time. In
  // evaluation mode under c10::InferenceMode (the inference entry points of Model) it runs the
  // folded form; training, and evaluation with autograd, run the modules as they are.
  torch::Tensor forward(const torch::Tensor& x);
  // The modules as they are, BatchNorm and all (what the folded form is tested against).
  torch::Tensor forward_unfolded(const torch::Tensor& x);
  // The folded form of the current tensors: made on first use and again whenever a tensor it
  // was made from changed (an optimizer step, a load), which their version counters tell.
  std::shared_ptr<const FoldedResNet> folded();

  torch::nn::Conv2d conv1{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr};
  torch::nn::Sequential layer1{nullptr}, layer2{nullptr}, layer3{nullptr}, layer4{nullptr};
  int64_t pool_fstride_ = 2;  // the max-pool's stride along the mel axis

 private:
  int64_t tensors_version();  // a sum over every conv and BatchNorm tensor's version counter
  std::mutex fold_mutex_;
  std::shared_ptr<const FoldedResNet> folded_;
  int64_t folded_version_ = -1;
};
TORCH_MODULE(ResNet);

}  // namespace mulan::model
