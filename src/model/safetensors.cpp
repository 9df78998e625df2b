// Reading and writing safetensors files with LibTorch tensors.
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "mulan/error.h"
#include "mulan/safetensors.h"
#include "mulan/atomic_file.h"

namespace mulan {
namespace {

at::ScalarType to_scalar_type(StDtype d) {
  switch (d) {
    case StDtype::F64: return at::kDouble;
    case StDtype::F32: return at::kFloat;
    case StDtype::F16: return at::kHalf;
    case StDtype::BF16: return at::kBFloat16;
    case StDtype::I64: return at::kLong;
    case StDtype::I32: return at::kInt;
    case StDtype::I16: return at::kShort;
    case StDtype::I8: return at::kChar;
    case StDtype::U8: return at::kByte;
    case StDtype::BOOL: return at::kBool;
  }
  return at::kFloat;
}

const char* dtype_name(at::ScalarType t, const std::string& tensor) {
  switch (t) {
    case at::kDouble: return "F64";
    case at::kFloat: return "F32";
    case at::kHalf: return "F16";
    case at::kBFloat16: return "BF16";
    case at::kLong: return "I64";
    case at::kInt: return "I32";
    case at::kShort: return "I16";
    case at::kChar: return "I8";
    case at::kByte: return "U8";
    case at::kBool: return "BOOL";
    default: throw Error("safetensors: tensor '" + tensor + "' has unsupported dtype " + c10::toString(t));
  }
}

}  // namespace

Safetensors read_safetensors(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec == std::errc::no_such_file_or_directory) throw FileNotFound(file_error(path, "no such file"));
  if (ec) throw Error(file_error(path, "cannot read: " + ec.message()));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(file_error(path, "cannot open"));
  std::vector<uint8_t> head(static_cast<size_t>(std::min<uint64_t>(size, 8)));
  in.read(reinterpret_cast<char*>(head.data()), static_cast<std::streamsize>(head.size()));
  if (size >= 8) {
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | head[static_cast<size_t>(i)];
    if (n <= kMaxSafetensorsHeader && n <= size - 8) {
      head.resize(8 + n);
      in.read(reinterpret_cast<char*>(head.data() + 8), static_cast<std::streamsize>(n));
    }
  }
  if (!in) throw Error(file_error(path, "read error"));
  const StHeader h = parse_safetensors_header(head.data(), size, path);

  Safetensors out;
  out.metadata = h.metadata;
  for (const StEntry& e : h.entries) {  // in data order: one forward pass over the file
    at::Tensor t = torch::empty(e.shape, torch::TensorOptions().dtype(to_scalar_type(e.dtype)));
    in.seekg(static_cast<std::streamoff>(h.data_start + e.begin));
    in.read(static_cast<char*>(t.data_ptr()), static_cast<std::streamsize>(e.end - e.begin));
    if (!in) throw Error(file_error(path, "read error in tensor '" + e.name + "'"));
    out.tensors.emplace(e.name, std::move(t));
  }
  return out;
}

void write_safetensors(const std::string& path, const TensorMap& tensors,
                       const std::map<std::string, std::string>& metadata) {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<at::Tensor> data;
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    const at::Tensor t = tensor.detach().to(torch::kCPU).contiguous();
    const uint64_t bytes = t.nbytes();
    header[name] = {{"dtype", dtype_name(t.scalar_type(), name)},
                    {"shape", t.sizes().vec()},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
    data.push_back(t);
  }
  std::string json = header.dump();
  json.append((8 - json.size() % 8) % 8, ' ');  // keep the data 8-byte aligned, as the Rust crate
  AtomicWriter out(path);
  const uint64_t n = json.size();
  char len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  out.write(len, 8);
  out.write(json.data(), json.size());
  for (const at::Tensor& t : data) out.write(t.data_ptr(), t.nbytes());
  out.commit();
}

}  // namespace mulan
