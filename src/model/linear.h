// torch::nn::Linear with an optional int8 inference form. The same module to every other
// part of the library (its tensors are "weight" and "bias", it initialises as torch::nn::Linear
// does, and torch::nn::LinearImpl casts find it); an int8 model directory (docs/model-format.md)
// gives it int8 weights with a float scale per output row, and inference on the CPU then runs
// LibTorch's dynamically quantized linear (oneDNN's int8 kernels: activations quantized per
// call, one float scale per tensor; weights int8 per row; accumulation in int32).
#pragma once

#include <ATen/core/ivalue.h>
#include <torch/nn/modules/linear.h>

#include <memory>

namespace mulan::model {

struct LinearImpl : torch::nn::LinearImpl {
  using torch::nn::LinearImpl::LinearImpl;

  // x: [..., in] -> [..., out]. The int8 form runs in evaluation mode under
  // c10::InferenceMode for float32 CPU input; everything else runs the float weight.
  torch::Tensor forward(const torch::Tensor& input);

  // Makes the int8 form from q (int8 [out, in]) and scale (float [out]); the float weight
  // should hold q * scale (Model::load puts it there). Without an int8 engine in this build of
  // LibTorch (int8_engine_available), nothing is made and the float weight runs.
  void set_int8(const at::Tensor& q, const at::Tensor& scale);
  bool runs_int8() const { return packed_ != nullptr; }

 private:
  std::shared_ptr<const c10::IValue> packed_;  // quantized::linear_prepack's result
};
TORCH_MODULE(Linear);

// True when this LibTorch has an int8 engine for quantized::linear_dynamic that mulan uses
// (oneDNN, or FBGEMM); the first call selects it as LibTorch's quantized engine.
bool int8_engine_available();

}  // namespace mulan::model
