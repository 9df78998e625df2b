#include "eval/probe.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>

#include "metrics/metrics.h"
#include "mulan/error.h"

namespace mulan::eval {

at::Tensor LinearProbe::logits(const at::Tensor& x) const {
  return torch::addmm(bias, x.to(torch::kCPU, torch::kFloat64), weight);
}

at::Tensor LinearProbe::predict_proba(const at::Tensor& x) const { return torch::sigmoid(logits(x)); }

double sklearn_c(double l2, int64_t n) { return 1.0 / (l2 * static_cast<double>(n)); }

std::vector<double> default_l2_grid() { return {1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0}; }

LinearProbe fit_linear_probe(const at::Tensor& x_in, const at::Tensor& y_in, double l2,
                             const ProbeFitOptions& options) {
  torch::NoGradGuard outer;  // autograd only inside the closure, on the probe's own parameters
  if (x_in.dim() != 2 || y_in.dim() != 2 || x_in.size(0) != y_in.size(0)) {
    throw Error("linear probe: features [N, D] and labels [N, K] must have the same N");
  }
  if (!(l2 > 0) || !std::isfinite(l2)) throw Error("linear probe: l2 must be positive, got " + std::to_string(l2));
  const at::Tensor x = x_in.to(torch::kCPU, torch::kFloat64).contiguous();
  const at::Tensor y = y_in.to(torch::kCPU, torch::kFloat64).contiguous();
  const int64_t n = x.size(0), k = y.size(1);
  const at::Tensor pos = y.sum(0);
  for (int64_t j = 0; j < k; ++j) {
    const double p = pos[j].item<double>();
    if (p == 0 || p == static_cast<double>(n)) {
      throw Error("linear probe: label column " + std::to_string(j) + " has " +
                  (p == 0 ? "no positive" : "no negative") + " example");
    }
  }
  // Standardising the features is a change of variables: with x' = (x - mean) / scale and
  // w' = scale * w, the bias absorbs the mean and the penalty becomes l2/2 |w' / scale|^2, so
  // the optimum is the same, and better conditioned (embeddings have entries of about 0.1).
  const at::Tensor mean = x.mean(0);
  at::Tensor scale = x.std(0);
  scale = torch::where(scale > 1e-12, scale, torch::ones_like(scale));
  const at::Tensor xc = (x - mean) / scale;
  const at::Tensor inv_scale2 = (1.0 / scale.pow(2)).unsqueeze(1);  // [D, 1]
  const at::Tensor prior = pos / static_cast<double>(n);
  at::Tensor w = torch::zeros({x.size(1), k}, torch::kFloat64).requires_grad_(true);
  at::Tensor b = torch::log(prior / (1 - prior)).requires_grad_(true);
  torch::optim::LBFGS opt({w, b}, torch::optim::LBFGSOptions(1.0)
                                      .max_iter(options.max_iter)
                                      .max_eval(options.max_iter * 5 / 4)
                                      .tolerance_grad(options.tolerance_grad)
                                      .tolerance_change(options.tolerance_change)
                                      .history_size(20)
                                      .line_search_fn("strong_wolfe"));
  auto closure = [&] {
    torch::AutoGradMode grad(true);
    opt.zero_grad();
    const at::Tensor z = torch::addmm(b, xc, w);
    at::Tensor loss = torch::binary_cross_entropy_with_logits(z, y, {}, {}, at::Reduction::Sum) / n +
                      0.5 * l2 * (w.pow(2) * inv_scale2).sum();
    loss.backward();
    return loss;
  };
  opt.step(closure);
  LinearProbe probe;
  probe.weight = (w.detach() / scale.unsqueeze(1)).clone();
  probe.bias = (b.detach() - torch::matmul(mean, probe.weight)).clone();
  // The optimiser's own count of iterations.
  for (const auto& [key, state] : opt.state()) {
    probe.iterations = std::max(probe.iterations, static_cast<torch::optim::LBFGSParamState&>(*state).n_iter());
  }
  return probe;
}

L2Choice choose_l2(const at::Tensor& x_train, const at::Tensor& y_train, const at::Tensor& x_val,
                   const at::Tensor& y_val, const std::vector<double>& grid, const ProbeFitOptions& options) {
  if (grid.empty()) throw Error("linear probe: empty l2 grid");
  const int64_t n = y_val.size(0), k = y_val.size(1);
  const at::Tensor yv = y_val.to(torch::kCPU, torch::kUInt8).contiguous();
  const std::span<const uint8_t> labels(yv.data_ptr<uint8_t>(), static_cast<std::size_t>(n * k));
  L2Choice choice;
  double best = -1;
  for (double l2 : grid) {
    const LinearProbe probe = fit_linear_probe(x_train, y_train, l2, options);
    const at::Tensor s = probe.logits(x_val).contiguous();
    const std::span<const double> scores(s.data_ptr<double>(), static_cast<std::size_t>(n * k));
    const MacroResult auc = macro_roc_auc(scores, labels, n, k);
    const MacroResult ap = macro_average_precision(scores, labels, n, k);
    if (auc.used == 0) {
      throw Error("linear probe: no tag of the validation data has both a positive and a negative example");
    }
    choice.trials.push_back({l2, auc.mean, ap.mean});
    if (auc.mean > best || (auc.mean == best && l2 > choice.l2)) {
      best = auc.mean;
      choice.l2 = l2;
    }
  }
  return choice;
}

}  // namespace mulan::eval
