// Audio inputs from Python (paths and NumPy arrays), mulan._mulan.mel, and tensors handed back
// as NumPy arrays.
#include <torch/torch.h>

#include "bindings.h"
#include "mulan/frontend.h"

namespace mulan::python {

using namespace pybind11::literals;

py::array to_numpy(const at::Tensor& tensor) {
  at::Tensor t = tensor.device().is_cpu() ? tensor : tensor.to(torch::kCPU);
  py::dtype dtype;
  switch (t.scalar_type()) {
    case torch::kFloat32: dtype = py::dtype::of<float>(); break;
    case torch::kFloat64: dtype = py::dtype::of<double>(); break;
    case torch::kInt64: dtype = py::dtype::of<int64_t>(); break;
    default: t = t.to(torch::kFloat32), dtype = py::dtype::of<float>(); break;
  }
  std::vector<py::ssize_t> shape, strides;
  for (int64_t d = 0; d < t.dim(); ++d) {
    shape.push_back(t.size(d));
    strides.push_back(t.stride(d) * static_cast<py::ssize_t>(t.element_size()));
  }
  // The array owns a reference to the tensor's storage: no copy, freed with the array.
  auto* owner = new at::Tensor(t);
  py::capsule capsule(owner, [](void* p) { delete static_cast<at::Tensor*>(p); });
  return py::array(dtype, shape, strides, owner->data_ptr(), capsule);
}

AudioSource audio_source(py::handle item, int sample_rate, size_t index) {
  if (py::isinstance<py::str>(item)) return AudioSource::file(item.cast<std::string>());
  if (!py::isinstance<py::array>(item)) {
    raise_type("audio input " + std::to_string(index) + ": expected a path or a NumPy array, not " +
               std::string(py::str(py::type::of(item).attr("__name__"))));
  }
  const std::string name = "<array " + std::to_string(index) + ">";
  // float32, C order: no copy when the array already is; a float64 array is converted here.
  const auto a = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(item);
  if (!a) raise_type(name + ": samples must be float32 or float64");
  if (a.ndim() == 1) return AudioSource::pcm(std::vector<float>(a.data(), a.data() + a.size()), sample_rate, 1, name);
  if (a.ndim() != 2) raise_usage(name + ": expected [samples] or [channels, samples], not " + std::to_string(a.ndim()) + "-d");
  const auto channels = static_cast<size_t>(a.shape(0)), frames = static_cast<size_t>(a.shape(1));
  std::vector<float> interleaved(channels * frames);
  const float* src = a.data();
  for (size_t c = 0; c < channels; ++c) {
    for (size_t i = 0; i < frames; ++i) interleaved[i * channels + c] = src[c * frames + i];
  }
  return AudioSource::pcm(std::move(interleaved), sample_rate, static_cast<int>(std::min<size_t>(channels, INT32_MAX)), name);
}

void bind_audio(py::module_& m) {
  m.def(
      "mel",
      [](const py::handle& item, const std::string& frontend, int sample_rate) {
        const audio::FrontendConfig config = audio::FrontendConfig::named(frontend);
        AudioSource source = audio_source(item, sample_rate, 0);
        at::Tensor mel;
        {
          py::gil_scoped_release release;
          mel = log_mel(source, config);
          source = AudioSource();  // free the PCM copy without the GIL
        }
        return to_numpy(mel);
      },
      "audio"_a, "frontend"_a, "sample_rate"_a);
}

}  // namespace mulan::python
