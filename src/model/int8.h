// int8 weights in a model file (docs/model-format.md, "int8 models"): every floating-point
// tensor named "*.weight" of rank 2 or more is stored as int8 q with a float32 scale per
// output channel (its first dimension), "*.weight_scale"; the weight is q * scale. Symmetric:
// scale = max |w| over the channel / 127 (1 for an all-zero channel), q = round(w / scale) in
// -127..127. Everything else (biases, LayerNorm and BatchNorm tensors, the temperature, AST's
// class tokens and position table) stays float.
#pragma once

#include <string>

#include "mulan/safetensors.h"

namespace mulan::model {

// Whether quantize_weights stores this tensor as int8.
bool is_int8_weight(const std::string& name, const at::Tensor& t);

// Float tensors -> the tensors of an int8 file.
TensorMap quantize_weights(const TensorMap& floats);

// The tensors of an int8 file -> float tensors (q * scale), validating every pair: an int8
// tensor without its scale, a scale without its int8 tensor, a scale of the wrong shape, or one
// that is not a finite positive number is refused, naming `where` and the tensor. int8 (when
// given) receives the stored int8 tensors and scales under their file names.
TensorMap dequantize_weights(const TensorMap& stored, const std::string& where, TensorMap* int8);

inline constexpr char kScaleSuffix[] = "_scale";

}  // namespace mulan::model
