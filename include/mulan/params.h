// The defaults of mulan, in one place: what a context does when it is not told otherwise, and
// the constants that training, evaluation and the CLI's --help take their defaults from
// (docs/defaults.md lists them all).
#pragma once

#include <cstdint>
#include <string>

namespace mulan {

inline constexpr int kDefaultAudioBatchWindows = 8;  // audio windows per forward pass
inline constexpr int kDefaultTextBatch = 32;         // texts per forward pass
inline constexpr int kDefaultDecodeThreads = 1;      // audio sources decoded ahead of the model
inline constexpr int kMaxDecodeThreads = 256;        // the most decode threads one call may start
inline constexpr int64_t kDefaultTrainBatch = 64;    // pairs per training step on each process
inline constexpr int kDefaultLoaderWorkers = 2;      // training loader threads
inline constexpr int64_t kDefaultSpectrogramCacheMb = 2048;  // training's whole-recording spectrogram cache

// How an inference context runs. Every field has its default here; the CLI prints them.
struct ContextParams {
  std::string device = "cpu";                      // "cpu", "cuda" or "cuda:N"
  int text_batch = kDefaultTextBatch;              // texts per forward pass (>= 1)
  int audio_batch_windows = kDefaultAudioBatchWindows;  // windows per forward pass, from one or several sources (>= 1)
  int decode_threads = kDefaultDecodeThreads;      // sources decoded ahead of the model (1..kMaxDecodeThreads)
  std::string towers = "both";                     // "both", "audio" or "text": the towers to load (the other is not built)

  // Throws mulan::UsageError naming the field (prefixed by where) when a value is out of range
  // or the device is not one this build can use.
  void validate(const std::string& where = "context params") const;
};

// The defaults, as a value (whisper.cpp's whisper_full_default_params).
ContextParams default_params();

}  // namespace mulan
