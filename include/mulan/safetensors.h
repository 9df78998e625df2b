// The safetensors format: an 8-byte little-endian header length, a JSON header mapping each
// tensor name to {dtype, shape, data_offsets}, then the raw little-endian data.
// The reader validates everything before it trusts a byte: header size, JSON, dtypes, shapes,
// offsets inside the data, no overlaps or holes, dtype x shape = byte size.
//
//   mulan::TensorMap t = mulan::read_safetensors("model.safetensors").tensors;
//   mulan::write_safetensors("out.safetensors", t);
#pragma once

#include <ATen/core/Tensor.h>

#include <map>
#include <string>

#include "mulan/safetensors_header.h"

namespace mulan {

using TensorMap = std::map<std::string, at::Tensor>;  // name -> tensor, in name order

struct Safetensors {
  TensorMap tensors;
  std::map<std::string, std::string> metadata;
};

Safetensors read_safetensors(const std::string& path);

// Writes CPU or CUDA tensors (any of the dtypes above) in name order. The file appears whole
// or not at all: written to a temporary name, flushed to disk, then renamed.
void write_safetensors(const std::string& path, const TensorMap& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace mulan
