// The main of every test program: GoogleTest's, after selecting the BLAS kernels as the CLI
// does (mulan/blas.h), so that the tests run the code paths users run.
#include <gtest/gtest.h>

#include "mulan/blas.h"

int main(int argc, char** argv) {
  mulan::use_best_blas_kernels();
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
