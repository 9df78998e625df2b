// use_available_cores: LibTorch's intra-op threads follow the CPUs the process may use, as
// coreutils' nproc counts them, whatever LibTorch's own core count says.
#include "mulan/threads.h"

#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace mulan::util {
namespace {

int nproc() {
  FILE* p = popen("env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc", "r");
  if (!p) return -1;
  char buf[32] = {0};
  const bool ok = std::fgets(buf, sizeof(buf), p) != nullptr;
  pclose(p);
  return ok ? std::atoi(buf) : -1;
}

TEST(Threads, LibTorchRunsOnEveryAvailableCore) {
  const char* env = std::getenv("OMP_NUM_THREADS");
  const std::string saved = env ? env : "";
  unsetenv("OMP_NUM_THREADS");
  const int cores = nproc();
  ASSERT_GT(cores, 0);
  EXPECT_EQ(available_cores(), cores);
  at::set_num_threads(1);  // what LibTorch picks by itself on some virtual machines
  EXPECT_EQ(use_available_cores(), cores);
  EXPECT_EQ(at::get_num_threads(), cores);
  // OMP_NUM_THREADS is the user's word: left as LibTorch read it.
  setenv("OMP_NUM_THREADS", "1", 1);
  at::set_num_threads(1);
  EXPECT_EQ(use_available_cores(), 1);
  EXPECT_EQ(at::get_num_threads(), 1);
  if (env) setenv("OMP_NUM_THREADS", saved.c_str(), 1);
  else unsetenv("OMP_NUM_THREADS");
}

}  // namespace
}  // namespace mulan::util
