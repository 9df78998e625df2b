// The compiled core of the mulan Python package (python/mulan/__init__.py is what users import).
#include <pybind11/stl.h>

#include <ATen/Parallel.h>

#include "bindings.h"
#include "mulan/audio_embed.h"
#include "mulan/blas.h"
#include "mulan/params.h"
#include "mulan/threads.h"

PYBIND11_MODULE(_mulan, m) {
  namespace py = pybind11;
  m.doc() = "The compiled core of mulan; import mulan, not this.";
  // As the CLI starts (tools/mulan/main.cpp): OpenBLAS's best kernels for this CPU (Debian 12's
  // falls back to generic SSE3 ones on newer Intel CPUs: half speed), and LibTorch on every
  // core this process may use (OMP_NUM_THREADS overrides). Both before this module's first
  // tensor; PyTorch, if it was imported first, shares the same libraries and gains the same.
  m.attr("BLAS_KERNELS") = mulan::use_best_blas_kernels().in_use;
  mulan::util::use_available_cores();
  m.def("get_num_threads", [] { return at::get_num_threads(); });
  m.def("set_num_threads", [](int n) {
    if (n < 1) mulan::python::raise_usage("set_num_threads: n must be >= 1, not " + std::to_string(n));
    at::set_num_threads(n);
  });
  m.attr("__version__") = MULAN_VERSION;
  // The library's defaults (include/mulan/params.h), so that Python shows the same numbers.
  py::dict defaults;
  defaults["text_batch"] = mulan::kDefaultTextBatch;
  defaults["audio_batch"] = mulan::kDefaultAudioBatchWindows;
  defaults["decode_threads"] = mulan::kDefaultDecodeThreads;
  defaults["max_decode_threads"] = mulan::kMaxDecodeThreads;
  m.attr("DEFAULTS") = defaults;
  m.attr("MAX_PCM_CHANNELS") = mulan::kMaxPcmChannels;
  mulan::python::bind_errors(m);
  mulan::python::bind_model(m);
  mulan::python::bind_tokenizer(m);
  mulan::python::bind_audio(m);
  mulan::python::bind_index(m);
}
