// Header parsing and validation, without LibTorch, so that the fuzzer can build it alone.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "mulan/error.h"
#include "mulan/safetensors_header.h"

namespace mulan {
namespace {

bool dtype_from_string(const std::string& s, StDtype& out) {
  static const std::pair<const char*, StDtype> kNames[] = {
      {"F64", StDtype::F64}, {"F32", StDtype::F32}, {"F16", StDtype::F16}, {"BF16", StDtype::BF16},
      {"I64", StDtype::I64}, {"I32", StDtype::I32}, {"I16", StDtype::I16}, {"I8", StDtype::I8},
      {"U8", StDtype::U8},   {"BOOL", StDtype::BOOL}};
  for (const auto& [n, d] : kNames) {
    if (s == n) {
      out = d;
      return true;
    }
  }
  return false;
}

}  // namespace

std::size_t st_itemsize(StDtype d) {
  switch (d) {
    case StDtype::F64: case StDtype::I64: return 8;
    case StDtype::F32: case StDtype::I32: return 4;
    case StDtype::F16: case StDtype::BF16: case StDtype::I16: return 2;
    default: return 1;
  }
}

StHeader parse_safetensors_header(const uint8_t* data, uint64_t size, const std::string& name) {
  auto fail = [&](const std::string& what) -> void { throw Error(file_error(name, "invalid safetensors: " + what)); };
  if (size < 8) fail("shorter than the 8-byte header length");
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | data[i];
  if (n > kMaxSafetensorsHeader) fail("header length " + std::to_string(n) + " is over the 100 MiB bound");
  if (n > size - 8) fail("header length " + std::to_string(n) + " runs past the end of the file");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(data + 8, data + 8 + n);
  } catch (const nlohmann::json::exception& e) {
    fail(std::string("header is not valid JSON (") + e.what() + ")");
  }
  if (!j.is_object()) fail("header is not a JSON object");

  StHeader h;
  h.data_start = 8 + n;
  const uint64_t data_size = size - h.data_start;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& key = it.key();
    const auto& v = it.value();
    if (key == "__metadata__") {
      if (!v.is_object()) fail("__metadata__ is not an object");
      for (auto m = v.begin(); m != v.end(); ++m) {
        if (!m.value().is_string()) fail("__metadata__ value '" + m.key() + "' is not a string");
        h.metadata[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    const std::string where = "tensor '" + key + "': ";
    if (!v.is_object() || !v.contains("dtype") || !v.contains("shape") || !v.contains("data_offsets")) {
      fail(where + "needs dtype, shape and data_offsets");
    }
    StEntry e;
    e.name = key;
    if (!v["dtype"].is_string() || !dtype_from_string(v["dtype"].get<std::string>(), e.dtype)) {
      fail(where + "unsupported dtype " + v["dtype"].dump());
    }
    if (!v["shape"].is_array() || v["shape"].size() > 16) fail(where + "shape must be an array of at most 16 sizes");
    uint64_t numel = 1;
    bool overflow = false;
    for (const auto& d : v["shape"]) {
      if (!d.is_number_unsigned()) fail(where + "shape holds a value that is not a size");
      const uint64_t dim = d.get<uint64_t>();
      if (dim > (uint64_t(1) << 40)) fail(where + "absurd dimension " + std::to_string(dim));
      if (dim != 0 && numel > UINT64_MAX / dim) overflow = true;
      numel *= dim;
      e.shape.push_back(static_cast<int64_t>(dim));
    }
    const auto& off = v["data_offsets"];
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned()) {
      fail(where + "data_offsets must be [begin, end]");
    }
    e.begin = off[0].get<uint64_t>();
    e.end = off[1].get<uint64_t>();
    if (e.begin > e.end || e.end > data_size) {
      fail(where + "data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) +
           "] lie outside the " + std::to_string(data_size) + "-byte data section");
    }
    const std::size_t item = st_itemsize(e.dtype);
    if (overflow || numel > UINT64_MAX / item || numel * item != e.end - e.begin) {
      fail(where + "dtype x shape is not the " + std::to_string(e.end - e.begin) + " bytes its offsets hold");
    }
    h.entries.push_back(std::move(e));
  }
  std::sort(h.entries.begin(), h.entries.end(), [](const StEntry& a, const StEntry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t pos = 0;
  for (const StEntry& e : h.entries) {
    if (e.begin < pos) fail("tensor '" + e.name + "' overlaps the tensor before it");
    if (e.begin > pos) fail("a hole in the data before tensor '" + e.name + "'");
    pos = e.end;
  }
  if (pos != data_size) fail("the data section has " + std::to_string(data_size - pos) + " bytes no tensor owns");
  return h;
}

}  // namespace mulan
