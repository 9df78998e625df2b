// The audio tower: a trunk (ResNet-50 "resnet" or AST "ast"), its pooled vector through
// Linear(pooled, d) ("proj"), L2-normalised; optionally the AudioSet tagger head ("tagger").
#pragma once

#include <torch/nn.h>

#include "model/ast.h"
#include "model/resnet.h"
#include "mulan/config.h"

namespace mulan::model {

struct AudioTowerImpl : torch::nn::Module {
  AudioTowerImpl(const AudioConfig& c, int embed_dim);
  // spec: [B, F, T] log-mel windows -> [B, pooled_dim]
  torch::Tensor pooled(const torch::Tensor& spec);
  // features: [B, pooled_dim], pooled trunk outputs -> [B, d], unit rows
  torch::Tensor project(const torch::Tensor& features);
  // spec: [B, F, T] -> [B, d], unit rows: project(pooled(spec))
  torch::Tensor forward(const torch::Tensor& spec);
  // spec: [B, F, T] -> [B, tagger_classes] logits (sigmoid per class for probabilities)
  torch::Tensor tag_logits(const torch::Tensor& spec);

  AudioConfig config;
  ResNet resnet{nullptr};
  Ast ast{nullptr};
  Linear proj{nullptr}, tagger{nullptr};
  torch::nn::LayerNorm tagger_norm{nullptr};  // config.tagger_norm: before the tagger
};
TORCH_MODULE(AudioTower);

// torchvision's ResNet initialisation (Kaiming normal, fan-out) and timm's ViT one
// (N(0, 0.02) weights and tokens clipped at 2 sigma, zero biases, unit norms) for the trunk, PyTorch's default
// for the heads.
void init_audio_weights(AudioTowerImpl& tower);

}  // namespace mulan::model
