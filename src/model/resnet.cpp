#include "model/resnet.h"

#include <torch/torch.h>

#include <optional>
#include <string>

#include "mulan/error.h"

namespace mulan::model {
namespace nn = torch::nn;

namespace {
constexpr int kExpansion = 4;

nn::Conv2d conv(int in, int out, int kernel, torch::ExpandingArray<2> stride, int padding) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, kernel).stride(stride).padding(padding).bias(false));
}
}  // namespace

BottleneckImpl::BottleneckImpl(int in, int width, int stride) {
  conv1 = register_module("conv1", conv(in, width, /*kernel=*/1, /*stride=*/1, /*padding=*/0));
  bn1 = register_module("bn1", nn::BatchNorm2d(width));
  conv2 = register_module("conv2", conv(width, width, /*kernel=*/3, stride, /*padding=*/1));
  bn2 = register_module("bn2", nn::BatchNorm2d(width));
  conv3 = register_module("conv3", conv(width, width * kExpansion, /*kernel=*/1, /*stride=*/1, /*padding=*/0));
  bn3 = register_module("bn3", nn::BatchNorm2d(width * kExpansion));
  if (stride != 1 || in != width * kExpansion) {
    downsample = register_module(
        "downsample", nn::Sequential(conv(in, width * kExpansion, /*kernel=*/1, stride, /*padding=*/0),
                                     nn::BatchNorm2d(width * kExpansion)));
  }
}

torch::Tensor BottleneckImpl::forward(const torch::Tensor& x) {
  auto y = torch::relu(bn1(conv1(x)));
  y = torch::relu(bn2(conv2(y)));
  y = bn3(conv3(y));
  return torch::relu(y + (downsample ? downsample->forward(x) : x));
}

ResNetImpl::ResNetImpl(const std::vector<int>& layers, int width, int stem_fstride) {
  if (stem_fstride != 1 && stem_fstride != 2 && stem_fstride != 4) {
    throw Error("resnet: stem frequency stride must be 1, 2 or 4, got " + std::to_string(stem_fstride));
  }
  const int64_t conv_fstride = stem_fstride == 4 ? 2 : 1;
  pool_fstride_ = stem_fstride == 1 ? 1 : 2;
  conv1 = register_module("conv1", conv(1, width, /*kernel=*/7, /*stride=*/{conv_fstride, 2}, /*padding=*/3));
  bn1 = register_module("bn1", nn::BatchNorm2d(width));
  int in = width;
  auto stage = [&](int blocks, int w, int stride) {
    nn::Sequential s;
    for (int j = 0; j < blocks; ++j) {
      s->push_back(Bottleneck(in, w, j == 0 ? stride : 1));
      in = w * kExpansion;
    }
    return s;
  };
  layer1 = register_module("layer1", stage(layers[0], width, 1));
  layer2 = register_module("layer2", stage(layers[1], width * 2, 2));
  layer3 = register_module("layer3", stage(layers[2], width * 4, 2));
  layer4 = register_module("layer4", stage(layers[3], width * 8, 2));
}

// On a CPU LibTorch built with oneDNN (MKL-DNN), the folded form keeps its activations in
// oneDNN's blocked layout from the stem to the last block and its weights reordered once, at
// fold time, into the layout oneDNN's convolution wants: no reorder per call, and every ReLU,
// add and the max-pool on the blocked tensors. Float32 only; elsewhere (CUDA, another dtype, a
// build without oneDNN) it runs at::conv2d on the plain tensors.
bool use_onednn(const at::Tensor& weight) {
  return at::hasMKLDNN() && weight.device().is_cpu() && weight.scalar_type() == at::kFloat;
}

// One convolution with its BatchNorm folded in.
struct FoldedConv {
  at::Tensor weight, bias;  // oneDNN tensors when onednn
  std::vector<int64_t> stride, padding;
  bool onednn = false;

  FoldedConv(const nn::Conv2dImpl& conv, const nn::BatchNorm2dImpl& bn) {
    const at::Tensor scale = bn.weight / torch::sqrt(bn.running_var + bn.options.eps());
    weight = (conv.weight * scale.view({-1, 1, 1, 1})).contiguous();
    bias = (bn.bias - bn.running_mean * scale).contiguous();
    stride.assign(conv.options.stride()->begin(), conv.options.stride()->end());
    // Every convolution here pads by half its kernel (7 -> 3, 3 -> 1, 1 -> 0).
    padding = {conv.weight.size(2) / 2, conv.weight.size(3) / 2};
    onednn = use_onednn(weight);
    if (onednn) {
      weight = at::mkldnn_reorder_conv2d_weight(weight.to_mkldnn(), padding, stride, /*dilation=*/{1, 1},
                                                /*groups=*/1);
      bias = bias.to_mkldnn();
    }
  }
  // x: a oneDNN tensor when onednn, a plain one otherwise.
  at::Tensor operator()(const at::Tensor& x) const {
    if (onednn) return at::mkldnn_convolution(x, weight, bias, padding, stride, /*dilation=*/{1, 1}, /*groups=*/1);
    return at::conv2d(x, weight, bias, stride, padding);
  }
};

struct FoldedBlock {
  FoldedConv c1, c2, c3;
  std::optional<FoldedConv> down;
};

struct FoldedResNet {
  std::optional<FoldedConv> stem;
  std::vector<FoldedBlock> blocks;
  int64_t pool_fstride = 2;

  at::Tensor forward(const at::Tensor& x) const {
    const bool onednn = stem->onednn && x.device().is_cpu() && x.scalar_type() == at::kFloat;
    if (stem->onednn && !onednn) {
      throw Error("resnet: the folded form holds oneDNN weights and takes float32 CPU input, got " +
                  std::string(x.device().str()) + " " + std::string(c10::toString(x.scalar_type())));
    }
    auto y = (*stem)(onednn ? x.contiguous().to_mkldnn() : x.contiguous());
    y.relu_();
    y = at::max_pool2d(y, /*kernel_size=*/{3, 3}, /*stride=*/{pool_fstride, 2}, /*padding=*/{1, 1});
    for (const auto& b : blocks) {
      auto z = b.c1(y).relu_();
      z = b.c2(z).relu_();
      z = b.c3(z);
      z.add_(b.down ? (*b.down)(y) : y);
      y = z.relu_();
    }
    return (onednn ? y.to_dense() : y).mean({2, 3});
  }
};

int64_t ResNetImpl::tensors_version() {
  int64_t v = 0;
  for (const auto& t : parameters()) v += static_cast<int64_t>(t._version());
  for (const auto& t : buffers()) v += static_cast<int64_t>(t._version());
  return v;
}

std::shared_ptr<const FoldedResNet> ResNetImpl::folded() {
  std::lock_guard lock(fold_mutex_);
  const int64_t version = tensors_version();
  if (folded_ && version == folded_version_) return folded_;
  c10::InferenceMode guard;
  auto f = std::make_shared<FoldedResNet>();
  f->stem.emplace(*conv1, *bn1);
  f->pool_fstride = pool_fstride_;
  for (const auto* stage : {&layer1, &layer2, &layer3, &layer4}) {
    for (const auto& m : (*stage)->children()) {
      const auto& b = *m->as<BottleneckImpl>();
      FoldedBlock fb{FoldedConv(*b.conv1, *b.bn1), FoldedConv(*b.conv2, *b.bn2), FoldedConv(*b.conv3, *b.bn3),
                     std::nullopt};
      if (b.downsample) {
        fb.down.emplace(*b.downsample->ptr(0)->as<nn::Conv2dImpl>(), *b.downsample->ptr(1)->as<nn::BatchNorm2dImpl>());
      }
      f->blocks.push_back(std::move(fb));
    }
  }
  folded_ = f;
  folded_version_ = version;
  return f;
}

torch::Tensor ResNetImpl::forward(const torch::Tensor& x) {
  if (!is_training() && c10::InferenceMode::is_enabled()) return folded()->forward(x);
  return forward_unfolded(x);
}

torch::Tensor ResNetImpl::forward_unfolded(const torch::Tensor& x) {
  // x: [B, 1, F, T] -> [B, C]
  auto y = torch::relu(bn1(conv1(x)));
  y = torch::max_pool2d(y, /*kernel_size=*/3, /*stride=*/{pool_fstride_, 2}, /*padding=*/1);
  y = layer4->forward(layer3->forward(layer2->forward(layer1->forward(y))));
  return y.mean({2, 3});
}

}  // namespace mulan::model
