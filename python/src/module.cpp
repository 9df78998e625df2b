// The compiled core of the mulan Python package (python/mulan/__init__.py is what users import).
#include <pybind11/stl.h>

#include "bindings.h"
#include "mulan/params.h"

PYBIND11_MODULE(_mulan, m) {
  namespace py = pybind11;
  m.doc() = "The compiled core of mulan; import mulan, not this.";
  m.attr("__version__") = MULAN_VERSION;
  // The library's defaults (include/mulan/params.h), so that Python shows the same numbers.
  py::dict defaults;
  defaults["text_batch"] = mulan::kDefaultTextBatch;
  defaults["audio_batch"] = mulan::kDefaultAudioBatchWindows;
  defaults["decode_threads"] = mulan::kDefaultDecodeThreads;
  defaults["max_decode_threads"] = mulan::kMaxDecodeThreads;
  m.attr("DEFAULTS") = defaults;
  mulan::python::bind_errors(m);
  mulan::python::bind_model(m);
  mulan::python::bind_tokenizer(m);
  mulan::python::bind_audio(m);
}
