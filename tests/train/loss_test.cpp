// The contrastive losses against the formulas of docs/mulan-spec.md section 2 written out
// directly in float64 (loops, no LibTorch), gradients against central finite differences.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <vector>

#include "mulan/error.h"
#include "train/loss.h"

namespace mulan::train {
namespace {

using Mat = std::vector<std::vector<double>>;

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t k = 0; k < a.size(); ++k) s += a[k] * b[k];
  return s;
}

// L = mean_i -log( h_ii / sum_{j != i} (h_ij + h_ji) ),  h_ij = exp(a_i . t_j / tau)
double mulan_loss_f64(const Mat& a, const Mat& t, double tau) {
  const size_t b = a.size();
  double total = 0;
  for (size_t i = 0; i < b; ++i) {
    double denom = 0;
    for (size_t j = 0; j < b; ++j) {
      if (j == i) continue;
      denom += std::exp(dot(a[i], t[j]) / tau) + std::exp(dot(a[j], t[i]) / tau);
    }
    total += -std::log(std::exp(dot(a[i], t[i]) / tau) / denom);
  }
  return total / static_cast<double>(b);
}

// CLIP: mean over i of ( -log softmax_j(a_i.t_j/tau)[i] - log softmax_j(a_j.t_i/tau)[i] ) / 2
double clip_loss_f64(const Mat& a, const Mat& t, double tau) {
  const size_t b = a.size();
  double total = 0;
  for (size_t i = 0; i < b; ++i) {
    double row = 0, col = 0;
    for (size_t j = 0; j < b; ++j) {
      row += std::exp(dot(a[i], t[j]) / tau);
      col += std::exp(dot(a[j], t[i]) / tau);
    }
    const double pos = std::exp(dot(a[i], t[i]) / tau);
    total += 0.5 * (-std::log(pos / row) - std::log(pos / col));
  }
  return total / static_cast<double>(b);
}

Mat to_mat(const at::Tensor& x) {
  const at::Tensor c = x.to(torch::kFloat64).contiguous();
  Mat m(c.size(0), std::vector<double>(c.size(1)));
  for (int64_t i = 0; i < c.size(0); ++i) for (int64_t k = 0; k < c.size(1); ++k) m[i][k] = c[i][k].item<double>();
  return m;
}

void check_against_f64(LossKind kind, int64_t b, int64_t d, double tau_value, uint64_t seed) {
  torch::manual_seed(seed);
  const at::Tensor a0 = torch::nn::functional::normalize(torch::randn({b, d}), torch::nn::functional::NormalizeFuncOptions().dim(1));
  const at::Tensor t0 = torch::nn::functional::normalize(torch::randn({b, d}), torch::nn::functional::NormalizeFuncOptions().dim(1));
  at::Tensor a = a0.clone().requires_grad_(true), t = t0.clone().requires_grad_(true);
  at::Tensor log_tau = torch::tensor(std::log(tau_value)).requires_grad_(true);
  const at::Tensor loss = contrastive_loss(a, t, temperature(log_tau, 0.01), kind);
  loss.backward();
  auto f64 = [&](const Mat& am, const Mat& tm, double tau) {
    return kind == LossKind::kMulan ? mulan_loss_f64(am, tm, tau) : clip_loss_f64(am, tm, tau);
  };
  Mat am = to_mat(a0), tm = to_mat(t0);
  const double expected = f64(am, tm, tau_value);
  EXPECT_NEAR(loss.item<double>(), expected, 1e-5 * std::max(1.0, std::abs(expected))) << "B=" << b << " tau=" << tau_value;
  // Gradients by central differences of the float64 formula (step 1e-6).
  const double h = 1e-6;
  const at::Tensor ga = a.grad(), gt = t.grad();
  for (int64_t i = 0; i < b; i += std::max<int64_t>(1, b / 3)) {
    for (int64_t k = 0; k < d; k += std::max<int64_t>(1, d / 4)) {
      Mat ap = am, an = am;
      ap[i][k] += h;
      an[i][k] -= h;
      EXPECT_NEAR(ga[i][k].item<double>(), (f64(ap, tm, tau_value) - f64(an, tm, tau_value)) / (2 * h), 2e-4);
      Mat tp = tm, tn = tm;
      tp[i][k] += h;
      tn[i][k] -= h;
      EXPECT_NEAR(gt[i][k].item<double>(), (f64(am, tp, tau_value) - f64(am, tn, tau_value)) / (2 * h), 2e-4);
    }
  }
  // d L / d log_tau = d L / d tau * tau
  const double dtau = (f64(am, tm, tau_value * (1 + 1e-7)) - f64(am, tm, tau_value * (1 - 1e-7))) / (2e-7 * tau_value);
  EXPECT_NEAR(log_tau.grad().item<double>(), dtau * tau_value, 1e-3 * std::max(1.0, std::abs(dtau * tau_value)));
}

TEST(ContrastiveLoss, MulanLossAndGradientMatchTheFormulaInFloat64) {
  check_against_f64(LossKind::kMulan, 2, 8, 0.5, 1);
  check_against_f64(LossKind::kMulan, 7, 16, 0.07, 2);
  check_against_f64(LossKind::kMulan, 16, 32, 1.0, 3);
}

TEST(ContrastiveLoss, ClipLossAndGradientMatchTheFormulaInFloat64) {
  check_against_f64(LossKind::kClip, 2, 8, 0.5, 4);
  check_against_f64(LossKind::kClip, 9, 16, 0.07, 5);
}

TEST(ContrastiveLoss, EqualSimilaritiesGiveTheChanceLoss) {
  // Every audio and text the same unit vector: all critics equal.
  const at::Tensor e = torch::ones({6, 4}) / 2.0;
  EXPECT_NEAR(contrastive_loss(e, e, torch::tensor(0.1), LossKind::kMulan).item<double>(), chance_loss(6, LossKind::kMulan), 1e-5);
  EXPECT_NEAR(contrastive_loss(e, e, torch::tensor(0.1), LossKind::kClip).item<double>(), chance_loss(6, LossKind::kClip), 1e-5);
  EXPECT_NEAR(chance_loss(6, LossKind::kMulan), std::log(10.0), 1e-12);
}

TEST(ContrastiveLoss, IsStableAtTheSmallestTemperature) {
  torch::manual_seed(7);
  const at::Tensor a = torch::nn::functional::normalize(torch::randn({32, 128}), torch::nn::functional::NormalizeFuncOptions().dim(1));
  const double l = contrastive_loss(a, a, torch::tensor(0.01), LossKind::kMulan).item<double>();
  EXPECT_TRUE(std::isfinite(l));
}

TEST(ContrastiveLoss, TemperatureIsClampedToItsRange) {
  EXPECT_NEAR(temperature(torch::tensor(std::log(5.0)), 0.01).item<double>(), 1.0, 1e-7);
  EXPECT_NEAR(temperature(torch::tensor(std::log(1e-5)), 0.01).item<double>(), 0.01, 1e-7);
  EXPECT_NEAR(temperature(torch::tensor(std::log(0.07)), 0.01).item<double>(), 0.07, 1e-7);
}

TEST(ContrastiveLoss, RefusesABatchOfOneAndMismatchedShapes) {
  EXPECT_THROW(contrastive_loss(torch::ones({1, 4}), torch::ones({1, 4}), torch::tensor(0.1), LossKind::kMulan), Error);
  EXPECT_THROW(contrastive_loss(torch::ones({3, 4}), torch::ones({2, 4}), torch::tensor(0.1), LossKind::kMulan), Error);
  EXPECT_THROW(loss_kind_from_string("infonce"), Error);
}

}  // namespace
}  // namespace mulan::train
