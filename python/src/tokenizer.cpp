// mulan._mulan.Tokenizer: the BERT WordPiece tokenizer of a vocab.txt, or of a model.
#include <pybind11/stl.h>
#include <torch/torch.h>

#include "bindings.h"
#include "mulan/context.h"
#include "mulan/tokenizer.h"

namespace mulan::python {

using namespace pybind11::literals;

PyTokenizer tokenizer_of(const std::shared_ptr<const Context>& ctx) {
  // Aliasing: the tokenizer lives inside the context, and keeps the context alive.
  return PyTokenizer{std::shared_ptr<const text::Tokenizer>(ctx, &ctx->tokenizer())};
}

void bind_tokenizer(py::module_& m) {
  py::class_<PyTokenizer>(m, "Tokenizer", "BERT uncased WordPiece, as Hugging Face tokenizers does it.")
      .def(py::init([](const std::string& vocab_path, int64_t max_length) {
             text::TokenizerConfig config;
             config.max_length = max_length;
             py::gil_scoped_release release;
             return PyTokenizer{std::make_shared<const text::Tokenizer>(text::Tokenizer::load(vocab_path, config))};
           }),
           "vocab_path"_a, "max_length"_a)
      .def_property_readonly("vocab_size", [](const PyTokenizer& t) { return t.tokenizer->vocab().size(); })
      .def_property_readonly("max_length", [](const PyTokenizer& t) { return t.tokenizer->config().max_length; })
      .def_property_readonly("vocab_path", [](const PyTokenizer& t) { return t.tokenizer->vocab().origin(); })
      .def(
          "encode", [](const PyTokenizer& t, const std::string& text) { return t.tokenizer->encode(text); }, "text"_a)
      .def(
          "encode_batch",
          [](const PyTokenizer& t, const std::vector<std::string>& texts) {
            text::BatchEncoding b;
            {
              py::gil_scoped_release release;
              b = t.tokenizer->encode_batch(texts);
            }
            const std::vector<int64_t> shape{b.batch, b.length};
            // The vectors move into tensors that the arrays then own (no copy of the ids).
            auto as_array = [&](std::vector<int64_t>&& v) {
              auto* owned = new std::vector<int64_t>(std::move(v));
              at::Tensor tensor = torch::from_blob(
                  owned->data(), shape, [owned](void*) { delete owned; }, torch::kInt64);
              return to_numpy(tensor);
            };
            py::dict out;
            out["input_ids"] = as_array(std::move(b.ids));
            out["attention_mask"] = as_array(std::move(b.attention_mask));
            return out;
          },
          "texts"_a)
      .def(
          "tokenize", [](const PyTokenizer& t, const std::string& text) { return t.tokenizer->tokenize(text); }, "text"_a)
      .def(
          "convert_ids_to_tokens",
          [](const PyTokenizer& t, const std::vector<int64_t>& ids) { return t.tokenizer->to_tokens(ids); }, "ids"_a);
}

}  // namespace mulan::python
