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

// Checks the tensors of a file against the rule: with int8 (config.json "quantization":
// "int8"), an int8 tensor without its scale, a scale without its int8 tensor, a scale of the
// wrong shape or one that is not a finite positive number, and int8 in anything but a weight
// are refused; without it, any int8 tensor is. Errors name `where` and the tensor. Returns the
// int8 tensors and their scales (float32) under their file names.
TensorMap check_int8_tensors(const TensorMap& stored, bool int8, const std::string& where);

// q * scale, per output channel (the first dimension), in float32.
at::Tensor dequantize(const at::Tensor& q, const at::Tensor& scale);

inline constexpr char kScaleSuffix[] = "_scale";

// "X.weight_scale" -> "X.weight"; "" for a name that is not a scale's.
std::string scaled_weight(const std::string& name);

}  // namespace mulan::model
