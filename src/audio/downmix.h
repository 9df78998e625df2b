// What every way into the audio pipeline checks: the bounds of a stream's format, and the
// mixdown of interleaved samples to mono with each sample checked (decode.cpp reads files with
// it; the inference context's PCM input uses it too).
#pragma once

#include <cmath>
#include <cstdint>

namespace mulan::audio {

inline constexpr int kMinSampleRate = 1000;
inline constexpr int kMaxSampleRate = 1'000'000;
inline constexpr int kMaxChannels = 1024;
// Full scale is 1. Float files written at an integer scale reach about 2.1e9 (32 bit); past
// 1e10 the power spectrum of a frame could overflow float32 and the log-mel become NaN.
inline constexpr float kMaxSampleMagnitude = 1e10f;

// out[i] = the mean of frame i's channels, for `frames` frames of `in`. Returns the index of the
// first frame whose mean is not finite or beyond kMaxSampleMagnitude (out holds that value, the
// caller says why in its own words), or -1 when every frame is a valid sample.
inline int64_t downmix(const float* in, int64_t frames, int channels, float* out) {
  const float scale = 1.0f / static_cast<float>(channels);
  for (int64_t i = 0; i < frames; ++i) {
    const float* frame = in + i * channels;
    float sum = 0.0f;
    for (int c = 0; c < channels; ++c) sum += frame[c];
    const float v = channels == 1 ? sum : sum * scale;
    out[i] = v;
    if (!std::isfinite(v) || std::fabs(v) > kMaxSampleMagnitude) return i;
  }
  return -1;
}

}  // namespace mulan::audio
