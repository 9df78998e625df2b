// The main of every benchmark: Google Benchmark's, after selecting the BLAS kernels and the
// thread count as the CLI does, so that the figures are those users get.
#include <benchmark/benchmark.h>

#include "mulan/blas.h"
#include "mulan/threads.h"

int main(int argc, char** argv) {
  mulan::use_best_blas_kernels();
  mulan::util::use_available_cores();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
