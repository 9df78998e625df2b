// libFuzzer target for the decode path: any bytes, as a file held in memory, through
// libsndfile, the header checks, downmix, the finite-sample check and libsoxr.
// Built and run by scripts/fuzz.sh under AddressSanitizer and UBSan.
#include <cstddef>
#include <cstdint>

#include "mulan/audio.h"
#include "mulan/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mulan::audio::DecodeOptions options;
  // Exercise seeking and partial reads too, steered by the first byte.
  if (size > 0 && (data[0] & 1)) {
    options.offset_s = 0.01 * (data[0] >> 1);
    options.duration_s = 0.05;
  }
  try {
    const auto pcm = mulan::audio::decode_memory(data, size, "fuzz-input", options);
    volatile float sink = pcm.empty() ? 0.0f : pcm.back();
    (void)sink;
  } catch (const mulan::Error&) {
    // Refusing bad input with an error is the correct outcome; crashing is not.
  }
  return 0;
}
