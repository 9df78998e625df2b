// The BLAS kernels LibTorch's matrix products run on. Debian 12's OpenBLAS (0.3.21) picks its
// generic Prescott (SSE3) kernels on Intel CPUs newer than it knows (OpenBLAS issue 4267, fixed
// in 0.3.25), for instance Emerald Rapids servers and 13th-generation Core laptops: every
// matmul and convolution then runs at about half speed. Programs call use_best_blas_kernels()
// once at start, before any tensor work and before starting threads.
#pragma once

#include <string>

namespace mulan {

struct BlasKernels {
  std::string detected;  // OpenBLAS's own choice ("" when the BLAS is not OpenBLAS)
  std::string in_use;    // the kernels in use afterwards
  bool switched = false;
};

// Keeps OpenBLAS's choice unless it is the Prescott fallback on a CPU with AVX2 or AVX-512,
// or unless OPENBLAS_CORETYPE is set (the user's choice wins). Then it selects the kernels the
// CPU's features call for (SkylakeX for AVX-512, Haswell for AVX2) and sets OPENBLAS_CORETYPE
// to them, so that child processes use the same.
BlasKernels use_best_blas_kernels();

// The decision alone: the kernels to select for OpenBLAS's choice `detected` on a CPU with
// these features, or "" to keep it.
std::string better_blas_kernels(const std::string& detected, bool avx512, bool avx2);

}  // namespace mulan
