// libFuzzer target for the safetensors header parser: any bytes as a whole file. The parser
// must refuse (mulan::Error) or accept; accepted offsets must lie inside the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "mulan/error.h"
#include "mulan/safetensors_header.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const mulan::StHeader h = mulan::parse_safetensors_header(data, size, "fuzz-input");
    for (const auto& e : h.entries) {
      if (h.data_start + e.end > size || e.begin > e.end) std::abort();  // the parser's promise
    }
  } catch (const mulan::Error&) {
  }
  return 0;
}
