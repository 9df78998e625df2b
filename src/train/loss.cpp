#include "train/loss.h"

#include <torch/torch.h>

#include <cmath>

#include "mulan/error.h"

namespace mulan::train {

LossKind loss_kind_from_string(const std::string& name) {
  if (name == "mulan") return LossKind::kMulan;
  if (name == "clip") return LossKind::kClip;
  throw Error("unknown loss '" + name + "' (expected \"mulan\" or \"clip\")");
}

std::string to_string(LossKind kind) { return kind == LossKind::kMulan ? "mulan" : "clip"; }

at::Tensor temperature(const at::Tensor& log_tau, double tau_min) {
  return log_tau.exp().clamp(tau_min, 1.0);
}

at::Tensor contrastive_loss(const at::Tensor& audio, const at::Tensor& text, const at::Tensor& tau, LossKind kind) {
  if (audio.dim() != 2 || text.sizes() != audio.sizes()) throw Error("contrastive_loss: audio and text must both be [B, d]");
  const int64_t b = audio.size(0);
  if (b < 2) throw Error("contrastive_loss: a batch needs at least 2 pairs, got " + std::to_string(b));
  // s[i, j] = a_i . t_j / tau: row i is audio i against every text, column i text i against
  // every audio. Computed in float32 at least (autocast may hand in half precision).
  const at::Tensor s = torch::matmul(audio.to(torch::kFloat32), text.to(torch::kFloat32).t()) / tau.to(torch::kFloat32);
  const at::Tensor target = s.diagonal();
  if (kind == LossKind::kClip) {
    const at::Tensor labels = torch::arange(b, torch::TensorOptions().dtype(torch::kLong).device(s.device()));
    return 0.5 * (torch::nn::functional::cross_entropy(s, labels) + torch::nn::functional::cross_entropy(s.t(), labels));
  }
  // Denominator of pair i: row i and column i without the diagonal, 2 (B - 1) terms. Mask the
  // diagonal with -inf and take one logsumexp over [row i ; column i].
  const at::Tensor eye = torch::eye(b, torch::TensorOptions().dtype(torch::kBool).device(s.device()));
  const at::Tensor off = s.masked_fill(eye, -std::numeric_limits<float>::infinity());
  const at::Tensor both = torch::cat({off, off.t()}, /*dim=*/1);  // [B, 2B]: row i, then column i
  return (torch::logsumexp(both, /*dim=*/1) - target).mean();
}

double chance_loss(int64_t batch, LossKind kind) {
  return kind == LossKind::kMulan ? std::log(2.0 * static_cast<double>(batch - 1)) : std::log(static_cast<double>(batch));
}

}  // namespace mulan::train
