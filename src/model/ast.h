// The Audio Spectrogram Transformer (spec 1.3) with the public AST checkpoint's names (after
// "module.v."): cls_token, dist_token, pos_embed, patch_embed.proj.*, blocks.{i}.norm1.*,
// blocks.{i}.attn.qkv.* (fused), blocks.{i}.attn.proj.*, blocks.{i}.norm2.*,
// blocks.{i}.mlp.fc{1,2}.*, norm.*. Pre-LayerNorm (eps 1e-6), exact GELU, as timm's ViT.
#pragma once

#include <torch/nn.h>

#include "model/linear.h"
#include "mulan/config.h"

namespace mulan::model {

struct AstAttentionImpl : torch::nn::Module {
  AstAttentionImpl(int width, int heads);
  torch::Tensor forward(const torch::Tensor& x);  // [B, N, W] -> [B, N, W]

  int heads;
  Linear qkv{nullptr}, proj{nullptr};
};
TORCH_MODULE(AstAttention);

struct AstMlpImpl : torch::nn::Module {
  AstMlpImpl(int width, int hidden);
  torch::Tensor forward(const torch::Tensor& x);

  Linear fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(AstMlp);

struct AstBlockImpl : torch::nn::Module {
  explicit AstBlockImpl(const AudioConfig& c);
  torch::Tensor forward(const torch::Tensor& x);

  torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr};
  AstAttention attn{nullptr};
  AstMlp mlp{nullptr};
};
TORCH_MODULE(AstBlock);

struct AstPatchEmbedImpl : torch::nn::Module {
  explicit AstPatchEmbedImpl(const AudioConfig& c);
  torch::Tensor forward(const torch::Tensor& x);  // [B, 1, F, T] -> [B, rows * cols, W]

  torch::nn::Conv2d proj{nullptr};
};
TORCH_MODULE(AstPatchEmbed);

struct AstImpl : torch::nn::Module {
  explicit AstImpl(const AudioConfig& c);
  // x: [B, 1, F, T] -> [B, width]: [CLS], or the mean of [CLS] and the distillation token
  torch::Tensor forward(const torch::Tensor& x);

  // The patch grid (rows over mel, columns over time) of an F x T window.
  static std::pair<int64_t, int64_t> grid(const AudioConfig& c);

  AudioConfig config;
  torch::Tensor cls_token, dist_token, pos_embed;
  AstPatchEmbed patch_embed{nullptr};
  torch::nn::ModuleList blocks{nullptr};
  torch::nn::LayerNorm norm{nullptr};
};
TORCH_MODULE(Ast);

// pos_embed [1, extra + rows * cols, W] of one patch grid -> another: the patch part is
// resized bilinearly over the grid, the token part (cls, dist) is kept.
torch::Tensor resize_pos_embed(const torch::Tensor& pos, int64_t extra, std::pair<int64_t, int64_t> from,
                               std::pair<int64_t, int64_t> to);

}  // namespace mulan::model
