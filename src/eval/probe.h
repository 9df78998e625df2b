// The linear probe of the paper's transfer evaluation: a multi-label logistic regression on
// frozen embeddings, one independent binary classifier per tag, fitted together.
//
// For an L2 strength l2 (lambda), each tag k minimises over its weights w_k and bias b_k
//     (1/N) sum_i BCE(x_i . w_k + b_k, y_ik) + (l2 / 2) |w_k|^2        (the bias is not penalised)
// which is sklearn's LogisticRegression(penalty="l2", C = 1 / (l2 * N)) per tag (one-vs-rest).
// Full-batch L-BFGS (strong Wolfe line search) in float64 from a fixed start (zero weights,
// the bias at the logit of the tag's frequency): deterministic, no randomness at all.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "mulan/eval.h"  // ProbeFitOptions

namespace mulan::eval {


struct LinearProbe {
  at::Tensor weight;       // [D, K] float64
  at::Tensor bias;         // [K] float64
  int64_t iterations = 0;  // L-BFGS iterations taken

  at::Tensor logits(const at::Tensor& x) const;         // x: [N, D] -> [N, K] float64
  at::Tensor predict_proba(const at::Tensor& x) const;  // x: [N, D] -> [N, K], sigmoid of logits
};

// x: [N, D] features, y: [N, K] 0/1 labels (any dtype). Every column of y needs a positive and
// a negative (mulan::Error naming the column otherwise: its optimum is at infinity).
LinearProbe fit_linear_probe(const at::Tensor& x, const at::Tensor& y, double l2, const ProbeFitOptions& options = {});

// sklearn's C for an l2 strength on N training examples: 1 / (l2 * N).
double sklearn_c(double l2, int64_t n);

// default_l2_grid() is declared in mulan/eval.h.

struct L2Trial {
  double l2 = 0;
  double val_macro_roc_auc = 0;  // NaN when no validation column has both classes
  double val_map = 0;
};
struct L2Choice {
  double l2 = 0;                // the chosen strength
  std::vector<L2Trial> trials;  // one per grid value, in grid order
};
// Fits on (x_train, y_train) for each l2 of the grid and picks the best validation macro
// ROC-AUC (ties go to the stronger regularisation). Throws mulan::Error when no validation
// column has both a positive and a negative.
L2Choice choose_l2(const at::Tensor& x_train, const at::Tensor& y_train, const at::Tensor& x_val,
                   const at::Tensor& y_val, const std::vector<double>& grid, const ProbeFitOptions& options = {});

}  // namespace mulan::eval
