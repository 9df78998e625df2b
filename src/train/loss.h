// The contrastive objectives (docs/mulan-spec.md section 2).
#pragma once

#include <ATen/core/Tensor.h>

#include <string>

namespace mulan::train {

enum class LossKind {
  kMulan,  // batch-wise Contrastive Multiview Coding: the denominator sums the non-target pairs
           // only, in both directions (the paper's loss)
  kClip,   // CLIP's symmetric InfoNCE: mean of the audio->text and text->audio cross entropies
};
LossKind loss_kind_from_string(const std::string& name);  // "mulan" | "clip"
std::string to_string(LossKind kind);

// tau = exp(log_tau) clamped to [tau_min, 1] (a clamp whose gradient is zero outside).
at::Tensor temperature(const at::Tensor& log_tau, double tau_min);

// audio, text: [B, d] unit rows (row i of each is a target pair), tau: scalar -> scalar loss,
// the mean over the B pairs of
//   mulan: -log( h(a_i, t_i) / sum_{j != i} (h(a_i, t_j) + h(a_j, t_i)) ),  h(a, t) = exp(a.t / tau)
//   clip:  ( -log softmax_j(a_i.t_j / tau)[i] - log softmax_j(a_j.t_i / tau)[i] ) / 2
// B must be >= 2. Computed in log space (logsumexp), stable for any tau in (0, 1].
at::Tensor contrastive_loss(const at::Tensor& audio, const at::Tensor& text, const at::Tensor& tau, LossKind kind);

// The loss of an embedding that knows nothing (every similarity equal): log(2 (B - 1)) for
// mulan, log(B) for clip. What "far below chance" is measured against.
double chance_loss(int64_t batch, LossKind kind);

}  // namespace mulan::train
