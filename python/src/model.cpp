// mulan._mulan.Model: a loaded model directory (mulan::Context) and what it computes.
#include <nlohmann/json.hpp>
#include <pybind11/stl.h>
#include <torch/torch.h>

#include <limits>

#include "bindings.h"
#include "mulan/context.h"
#include "mulan/tokenizer.h"

namespace mulan::python {
namespace {

using namespace pybind11::literals;

struct PyModel {
  std::shared_ptr<const Context> ctx;
};

// A list of embeddings (some undefined: the failed sources) as [N, d], NaN rows for the failed.
at::Tensor stack_rows(const std::vector<AudioEmbedding>& results, int64_t d) {
  at::Tensor out = torch::full({static_cast<int64_t>(results.size()), d}, std::numeric_limits<float>::quiet_NaN());
  for (size_t i = 0; i < results.size(); ++i) {
    if (results[i].ok()) out[static_cast<int64_t>(i)].copy_(results[i].embedding.to(torch::kCPU, torch::kFloat32));
  }
  return out;
}

}  // namespace

void bind_model(py::module_& m) {
  py::class_<PyModel>(m, "Model", "A loaded model directory (use mulan.Model.load).")
      .def_static(
          "load",
          [](const std::string& path, const std::string& device, int text_batch, int audio_batch, int decode_threads) {
            ContextParams p = default_params();
            p.device = device;
            p.text_batch = text_batch;
            p.audio_batch_windows = audio_batch;
            p.decode_threads = decode_threads;
            std::shared_ptr<const Context> ctx;
            {
              py::gil_scoped_release release;
              ctx = Context::load(path, p);
            }
            return PyModel{ctx};
          },
          "path"_a, "device"_a, "text_batch"_a, "audio_batch"_a, "decode_threads"_a)
      .def_property_readonly("path", [](const PyModel& self) { return self.ctx->dir(); })
      .def_property_readonly("device", [](const PyModel& self) { return self.ctx->params().device; })
      .def_property_readonly("embed_dim", [](const PyModel& self) { return self.ctx->embed_dim(); })
      .def_property_readonly("has_text", [](const PyModel& self) { return self.ctx->has_text(); })
      .def_property_readonly("has_audio", [](const PyModel& self) { return self.ctx->has_audio(); })
      .def_property_readonly("text_batch", [](const PyModel& self) { return self.ctx->params().text_batch; })
      .def_property_readonly("audio_batch", [](const PyModel& self) { return self.ctx->params().audio_batch_windows; })
      .def_property_readonly("decode_threads", [](const PyModel& self) { return self.ctx->params().decode_threads; })
      .def("config_json", [](const PyModel& self) { return nlohmann::json(self.ctx->config()).dump(); })
      .def("tokenizer", [](const PyModel& self) { return tokenizer_of(self.ctx); })
      .def(
          "embed_text",
          [](const PyModel& self, const std::vector<std::string>& texts, int batch) {
            at::Tensor out;
            {
              py::gil_scoped_release release;
              out = self.ctx->embed_texts(texts, batch);
            }
            return to_numpy(out);
          },
          "texts"_a, "batch"_a)
      .def(
          "embed_audio",
          // -> (embeddings [N, d] with NaN rows for failures, [(windows [W, d], starts [W])] or None,
          //     [(index, kind, one-line reason)] of the failures)
          [](const PyModel& self, const py::list& items, int sample_rate, int batch, bool windows) {
            std::vector<AudioSource> sources;
            sources.reserve(items.size());
            for (size_t i = 0; i < items.size(); ++i) sources.push_back(audio_source(items[i], sample_rate, i));
            std::vector<AudioEmbedding> results;
            results.reserve(sources.size());
            {
              py::gil_scoped_release release;
              const AudioEmbedOptions options{batch, self.ctx->params().decode_threads, windows};
              self.ctx->embed_audio(sources, [&](AudioEmbedding&& e) { results.push_back(std::move(e)); }, options);
              sources.clear();  // the PCM copies, freed without the GIL
            }
            py::list failures;
            for (size_t i = 0; i < results.size(); ++i) {
              if (const auto& f = results[i].failure) failures.append(py::make_tuple(i, to_string(f->kind), f->text()));
            }
            py::object per_file = py::none();
            if (windows) {
              py::list list;
              for (const auto& r : results) {
                if (r.ok()) {
                  list.append(py::make_tuple(to_numpy(r.windows), to_numpy(torch::tensor(r.starts_s, torch::kFloat64))));
                } else {
                  list.append(py::make_tuple(to_numpy(torch::zeros({0, self.ctx->embed_dim()})),
                                             to_numpy(torch::zeros({0}, torch::kFloat64))));
                }
              }
              per_file = list;
            }
            return py::make_tuple(to_numpy(stack_rows(results, self.ctx->embed_dim())), per_file, failures);
          },
          "items"_a, "sample_rate"_a, "batch"_a, "windows"_a)
      .def(
          "tag",
          [](const PyModel& self, const py::array_t<float, py::array::c_style | py::array::forcecast>& audio,
             const std::vector<std::string>& tags, const std::string& prompt) {
            std::vector<int64_t> shape(audio.shape(), audio.shape() + audio.ndim());
            at::Tensor scores;
            {
              py::gil_scoped_release release;
              // A view of the array's memory (the array is alive for the whole call).
              const at::Tensor a = torch::from_blob(const_cast<float*>(audio.data()), shape, torch::kFloat32);
              scores = self.ctx->tag_scores(a, tags, prompt);
            }
            return to_numpy(scores);
          },
          "audio_embeddings"_a, "tags"_a, "prompt"_a);
}

}  // namespace mulan::python
