#include "model/ast.h"

#include <torch/torch.h>

#include <cmath>

namespace mulan::model {
namespace nn = torch::nn;

AstAttentionImpl::AstAttentionImpl(int width, int heads_) : heads(heads_) {
  qkv = register_module("qkv", Linear(width, 3 * width));
  proj = register_module("proj", Linear(width, width));
}

torch::Tensor AstAttentionImpl::forward(const torch::Tensor& x) {
  // x: [B, N, W] -> [B, N, W]; qkv fused as timm: [B, N, 3, heads, D]
  const int64_t B = x.size(0), N = x.size(1), W = x.size(2), D = W / heads;
  const auto parts = qkv(x).view({B, N, 3, heads, D}).permute({2, 0, 3, 1, 4});  // [3, B, h, N, D]
  const auto q = parts[0], k = parts[1], v = parts[2];
  const auto att = torch::softmax(torch::matmul(q, k.transpose(-1, -2)) / std::sqrt(static_cast<double>(D)), -1);
  return proj(torch::matmul(att, v).transpose(1, 2).reshape({B, N, W}));
}

AstMlpImpl::AstMlpImpl(int width, int hidden) {
  fc1 = register_module("fc1", Linear(width, hidden));
  fc2 = register_module("fc2", Linear(hidden, width));
}

torch::Tensor AstMlpImpl::forward(const torch::Tensor& x) { return fc2(torch::gelu(fc1(x))); }

namespace {
nn::LayerNorm vit_norm(int width) { return nn::LayerNorm(nn::LayerNormOptions({width}).eps(1e-6)); }
}  // namespace

AstBlockImpl::AstBlockImpl(const AudioConfig& c) {
  norm1 = register_module("norm1", vit_norm(c.width));
  attn = register_module("attn", AstAttention(c.width, c.heads));
  norm2 = register_module("norm2", vit_norm(c.width));
  mlp = register_module("mlp", AstMlp(c.width, c.mlp));
}

torch::Tensor AstBlockImpl::forward(const torch::Tensor& x) {
  const auto y = x + attn(norm1(x));
  return y + mlp(norm2(y));
}

AstPatchEmbedImpl::AstPatchEmbedImpl(const AudioConfig& c) {
  proj = register_module("proj", nn::Conv2d(nn::Conv2dOptions(1, c.width, c.patch).stride({c.fstride, c.tstride})));
}

torch::Tensor AstPatchEmbedImpl::forward(const torch::Tensor& x) {
  return proj(x).flatten(2).transpose(1, 2);  // [B, W, rows, cols] -> [B, rows * cols, W]
}

std::pair<int64_t, int64_t> AstImpl::grid(const AudioConfig& c) {
  return {(c.n_mels - c.patch) / c.fstride + 1, (c.window_frames - c.patch) / c.tstride + 1};
}

AstImpl::AstImpl(const AudioConfig& c) : config(c) {
  const auto [rows, cols] = grid(c);
  const int64_t extra = c.has_dist_token ? 2 : 1;
  patch_embed = register_module("patch_embed", AstPatchEmbed(c));
  cls_token = register_parameter("cls_token", torch::zeros({1, 1, c.width}));
  if (c.has_dist_token) dist_token = register_parameter("dist_token", torch::zeros({1, 1, c.width}));
  pos_embed = register_parameter("pos_embed", torch::zeros({1, extra + rows * cols, c.width}));
  blocks = register_module("blocks", nn::ModuleList());
  for (int i = 0; i < c.layers; ++i) blocks->push_back(AstBlock(c));
  norm = register_module("norm", vit_norm(c.width));
}

torch::Tensor AstImpl::forward(const torch::Tensor& x) {
  // x: [B, 1, F, T] -> [B, W]
  auto tokens = patch_embed(x);
  const int64_t B = tokens.size(0);
  std::vector<torch::Tensor> parts = {cls_token.expand({B, -1, -1})};
  if (config.has_dist_token) parts.push_back(dist_token.expand({B, -1, -1}));
  parts.push_back(tokens);
  auto y = torch::cat(parts, 1) + pos_embed;
  for (const auto& b : *blocks) y = b->as<AstBlock>()->forward(y);
  y = norm(y);
  return config.has_dist_token ? (y.select(1, 0) + y.select(1, 1)) / 2 : y.select(1, 0);
}

torch::Tensor resize_pos_embed(const torch::Tensor& pos, int64_t extra, std::pair<int64_t, int64_t> from,
                               std::pair<int64_t, int64_t> to) {
  // pos: [1, extra + from.rows * from.cols, W] -> [1, extra + to.rows * to.cols, W]
  const int64_t W = pos.size(2);
  const auto tokens = pos.narrow(1, 0, extra);
  auto patches = pos.narrow(1, extra, from.first * from.second).reshape({1, from.first, from.second, W}).permute({0, 3, 1, 2});
  patches = nn::functional::interpolate(
      patches, nn::functional::InterpolateFuncOptions()
                   .size(std::vector<int64_t>{to.first, to.second})
                   .mode(torch::kBilinear)
                   .align_corners(false));
  return torch::cat({tokens, patches.permute({0, 2, 3, 1}).reshape({1, to.first * to.second, W})}, 1);
}

}  // namespace mulan::model
