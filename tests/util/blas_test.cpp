// use_best_blas_kernels (the test main calls it, as the CLI does): the decision, that the
// Prescott fallback is gone on a CPU with AVX2, and that matrix products on the kernels in use
// agree with a float64 computation.
#include "mulan/blas.h"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdlib>
#include <string>

namespace mulan {
namespace {

TEST(Blas, OnlyThePrescottFallbackOnAVX2OrAVX512IsReplaced) {
  EXPECT_EQ(better_blas_kernels("Prescott", true, true), "SkylakeX");
  EXPECT_EQ(better_blas_kernels("Prescott", false, true), "Haswell");
  EXPECT_EQ(better_blas_kernels("Prescott", false, false), "");
  EXPECT_EQ(better_blas_kernels("Haswell", true, true), "");
  EXPECT_EQ(better_blas_kernels("SkylakeX", true, true), "");
  EXPECT_EQ(better_blas_kernels("", true, true), "");
}

TEST(Blas, TheKernelsInUseAreNotThePrescottFallbackOnAnAVX2Machine) {
  using CoreName = char* (*)();
  const auto corename = reinterpret_cast<CoreName>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  if (!corename) GTEST_SKIP() << "the BLAS is not OpenBLAS";
  const char* user = std::getenv("OPENBLAS_CORETYPE");
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx2") || (user && std::string(user) == "Prescott")) GTEST_SKIP() << "no AVX2";
  EXPECT_NE(std::string(corename()), "Prescott");
  // A second call keeps what is in use (OPENBLAS_CORETYPE is now set).
  const BlasKernels again = use_best_blas_kernels();
  EXPECT_FALSE(again.switched);
  EXPECT_EQ(again.in_use, std::string(corename()));
}

// float32 products (sgemm, in every layout LibTorch hands to BLAS) against float64 sums.
TEST(Blas, MatrixProductsAgreeWithFloat64) {
  torch::manual_seed(3);
  for (const bool ta : {false, true}) {
    for (const bool tb : {false, true}) {
      const int64_t m = 130, k = 257, n = 67;
      torch::Tensor a = ta ? torch::randn({k, m}).t() : torch::randn({m, k});
      torch::Tensor b = tb ? torch::randn({n, k}).t() : torch::randn({k, n});
      const torch::Tensor got = torch::mm(a, b);
      const auto A = a.to(torch::kFloat64).contiguous(), B = b.to(torch::kFloat64).contiguous();
      const double* pa = A.data_ptr<double>();
      const double* pb = B.data_ptr<double>();
      const auto G = got.contiguous();
      const float* pg = G.data_ptr<float>();
      double worst = 0;
      for (int64_t i = 0; i < m; ++i) {
        for (int64_t j = 0; j < n; ++j) {
          double s = 0;
          for (int64_t l = 0; l < k; ++l) s += pa[i * k + l] * pb[l * n + j];
          worst = std::max(worst, std::abs(s - static_cast<double>(pg[i * n + j])));
        }
      }
      // Sums of 257 products of unit normals: float32 rounding stays far below 1e-3.
      EXPECT_LT(worst, 1e-3) << "ta " << ta << " tb " << tb;
    }
  }
}

}  // namespace
}  // namespace mulan
