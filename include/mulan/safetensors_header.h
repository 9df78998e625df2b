// The safetensors header, parsed and validated without LibTorch (the fuzzer builds it alone).
// See safetensors.h for reading and writing tensors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace mulan {

enum class StDtype { F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL };

// One header entry, as validated; offsets are relative to the start of the data section.
struct StEntry {
  std::string name;
  StDtype dtype = StDtype::F32;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;
};

struct StHeader {
  std::vector<StEntry> entries;                 // in data order
  std::map<std::string, std::string> metadata;  // "__metadata__"
  uint64_t data_start = 0;                      // 8 + header length
};

inline constexpr uint64_t kMaxSafetensorsHeader = 100u << 20;  // 100 MiB, as the Rust crate

// Parses and validates the header of a file of file_size bytes. `data` must hold the file's
// first min(file_size, 8 + header length) bytes (the whole file will do). Throws mulan::Error
// naming `name` and the offending tensor. No LibTorch needed.
StHeader parse_safetensors_header(const uint8_t* data, uint64_t file_size, const std::string& name);

std::size_t st_itemsize(StDtype dtype);  // bytes per element

}  // namespace mulan
