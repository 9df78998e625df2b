#include "mulan/blas.h"

#include <dlfcn.h>

#include <cstdlib>

namespace mulan {

std::string better_blas_kernels(const std::string& detected, bool avx512, bool avx2) {
  if (detected != "Prescott") return "";
  if (avx512) return "SkylakeX";
  if (avx2) return "Haswell";
  return "";
}

namespace {
// A symbol of the process's BLAS: global (a program linked against it), or of a library loaded
// without RTLD_GLOBAL (a Python extension module's dependencies are), found by its soname.
void* blas_symbol(const char* name) {
  if (void* p = dlsym(RTLD_DEFAULT, name)) return p;
  for (const char* lib : {"libblas.so.3", "libopenblas.so.0"}) {
    if (void* handle = dlopen(lib, RTLD_LAZY | RTLD_NOLOAD)) {  // only one already loaded
      void* p = dlsym(handle, name);
      dlclose(handle);  // drops the reference RTLD_NOLOAD took; the library stays loaded
      if (p) return p;
    }
  }
  return nullptr;
}
}  // namespace

BlasKernels use_best_blas_kernels() {
  BlasKernels k;
  // OpenBLAS's documented query; absent when libblas.so.3 is another BLAS.
  using CoreName = char* (*)();
  const auto corename = reinterpret_cast<CoreName>(blas_symbol("openblas_get_corename"));
  if (!corename) return k;
  k.detected = k.in_use = corename();
#if defined(__x86_64__)
  if (const char* user = std::getenv("OPENBLAS_CORETYPE"); user && *user) return k;
  __builtin_cpu_init();
  const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  const std::string want = better_blas_kernels(k.detected, avx512, avx2);
  if (want.empty()) return k;
  // A DYNAMIC_ARCH OpenBLAS chooses its kernel table once, when it is loaded, reading
  // OPENBLAS_CORETYPE. It exports the two functions that drop and redo that choice; with the
  // variable set, the redo takes it. Nothing has called BLAS yet, so no buffer is in use.
  using Fn = void (*)();
  const auto quit = reinterpret_cast<Fn>(blas_symbol("gotoblas_dynamic_quit"));
  const auto init = reinterpret_cast<Fn>(blas_symbol("gotoblas_dynamic_init"));
  if (!quit || !init) return k;
  setenv("OPENBLAS_CORETYPE", want.c_str(), 1);
  quit();
  init();
  k.in_use = corename();
  k.switched = k.in_use != k.detected;
#endif
  return k;
}

}  // namespace mulan
