// NumPy .npy files (format version 1.0): what the CLI writes embeddings and spectrograms to.
#pragma once

#include <ATen/core/Tensor.h>

#include <string>

namespace mulan {

// Writes a CPU or CUDA tensor of float32, float64, int32 or int64 as a C-ordered .npy file.
// The file appears whole or not at all (written to a temporary name, then renamed).
void write_npy(const std::string& path, const at::Tensor& tensor);

// Reads a little-endian, C-ordered .npy of float32, float64, int32 or int64.
// Throws mulan::Error naming the file when it is not such a file.
at::Tensor read_npy(const std::string& path);

}  // namespace mulan
