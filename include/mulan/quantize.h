// `mulan quantize`: the int8 form of a model directory (docs/model-format.md, "int8 models").
//
//   mulan::quantize_model_dir("my-model", "my-model-int8");  // then Model::load("my-model-int8")
#pragma once

#include <cstdint>
#include <string>

namespace mulan {

struct QuantizeSummary {
  int64_t int8_tensors = 0;     // weights stored as int8
  int64_t float_tensors = 0;    // tensors left in float (biases, norms, ...)
  int64_t bytes_before = 0;     // model.safetensors of model_dir
  int64_t bytes_after = 0;      // model.safetensors of out_dir
  double max_relative_error = 0;  // max over weights of max |w - q * scale| / max |w|
};

// Reads the float model in model_dir and writes its int8 form to out_dir (config.json with
// "quantization": "int8", model.safetensors, vocab.txt), each file atomically. Refuses an int8
// model_dir, an out_dir that is model_dir, and an out_dir that already holds a model unless
// force.
QuantizeSummary quantize_model_dir(const std::string& model_dir, const std::string& out_dir, bool force = false);

}  // namespace mulan
