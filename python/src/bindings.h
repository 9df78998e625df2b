// The pieces of the _mulan extension module (python/mulan/__init__.py wraps it for users).
// Everything here is a thin layer over the library's public headers: arguments are converted,
// the GIL is released around every decode and forward pass, results go back as NumPy arrays
// that own the tensors' memory (no copy).
#pragma once

#include <ATen/core/Tensor.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <memory>
#include <string>

#include "mulan/audio_embed.h"

namespace mulan {
class Context;
namespace text {
class Tokenizer;
}
}  // namespace mulan

namespace mulan::python {

namespace py = pybind11;

// The exception classes (mulan.Error and its subclasses) and the translation of the library's
// C++ exceptions into them.
void bind_errors(py::module_& m);
// Raises mulan.UsageError (a ValueError) / mulan.InputTypeError (a TypeError) with the message.
[[noreturn]] void raise_usage(const std::string& message);
[[noreturn]] void raise_type(const std::string& message);

// A CPU tensor as a NumPy array that keeps the tensor alive (no copy when it is contiguous and of
// a NumPy dtype). Call with the GIL held.
py::array to_numpy(const at::Tensor& tensor);

// A tokenizer held by Python: its own, or a model's (sharing the model's lifetime).
struct PyTokenizer {
  std::shared_ptr<const text::Tokenizer> tokenizer;
};
PyTokenizer tokenizer_of(const std::shared_ptr<const Context>& ctx);

// A Python audio input as a source: a str path (a file or "SHARD.tar#KEY"), or a float32 NumPy
// array [samples] or [channels, samples] at sample_rate (copied, interleaved). index names an
// array in error messages ("<array 3>"). Call with the GIL held.
AudioSource audio_source(py::handle item, int sample_rate, size_t index);

void bind_model(py::module_& m);
void bind_tokenizer(py::module_& m);
void bind_audio(py::module_& m);
void bind_index(py::module_& m);

}  // namespace mulan::python
