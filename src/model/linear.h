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

  // x: [..., in] -> [..., out]: the int8 form once it is made (float32 CPU input only; no
  // gradients), the float weight otherwise.
  torch::Tensor forward(const torch::Tensor& input);

  // Makes the int8 form from q (int8 [out, in]) and scale (float [out]), and frees the float
  // weight (an int8 model is for inference only). Without an int8 engine in this build of
  // LibTorch (int8_engine_available), or off the CPU, nothing is made and the float weight,
  // which should hold q * scale (Model::load puts it there), runs.
  // Layers under kMinInt8Weights weights keep the float weight too: there, quantizing the
  // activations on every call costs more than the int8 product saves (the tiny preset's text
  // tower, 128 x 128 and 128 x 512, ran 2.5x slower in int8; bert-base's 768 x 768 layers 2x faster).
  void set_int8(const at::Tensor& q, const at::Tensor& scale);
  static constexpr int64_t kMinInt8Weights = 512 * 512;
  bool runs_int8() const { return packed_ != nullptr; }

 private:
  std::shared_ptr<const c10::IValue> packed_;  // quantized::linear_prepack's result
};
TORCH_MODULE(Linear);

// True when this LibTorch has an int8 engine for quantized::linear_dynamic that mulan uses
// (oneDNN, or FBGEMM); the first call selects it as LibTorch's quantized engine.
bool int8_engine_available();

}  // namespace mulan::model
