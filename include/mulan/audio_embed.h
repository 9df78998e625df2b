// Embedding recordings by the deterministic long-audio policy of docs/model-format.md: consecutive
// windows of T frames from frame 0, the last one aligned to the end when the recording does
// not divide evenly, a short recording padded with the front end's silence; the mean of the
// window embeddings, L2-normalised again.
//
// Sources are decoded and cut into windows in worker threads (memory bounded by a few windows
// per source, whatever the recording's length) while the model embeds batches of windows drawn
// from several sources; results come back in input order. Most callers use mulan::Context
// (context.h), which owns an AudioEmbedder's model and options.
//
//   mulan::AudioEmbedder embedder(model);
//   embedder.run({mulan::AudioSource::file("a.flac")}, [](mulan::AudioEmbedding&& e) { ... });
#pragma once

#include <ATen/core/Tensor.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "mulan/error.h"
#include "mulan/frontend_config.h"
#include "mulan/model.h"
#include "mulan/params.h"

namespace mulan {

// The most interleaved channels a PCM source may have.
inline constexpr int kMaxPcmChannels = 64;

// Where a recording comes from: a file (or a member of a WebDataset tar shard, "SHARD.tar#KEY.flac"),
// encoded bytes in memory (any format the decoder reads), or PCM samples with their rate.
struct AudioSource {
  enum class Kind { file, bytes, pcm };
  Kind kind = Kind::file;
  std::string name;           // the path, or the name errors use for bytes and PCM
  std::string bytes;          // Kind::bytes: the encoded file
  std::vector<float> samples;  // Kind::pcm: interleaved samples in [-1, 1]
  int sample_rate = 0;         // Kind::pcm: Hz
  int channels = 1;            // Kind::pcm: interleaved channels (1..kMaxPcmChannels), mixed down to mono

  static AudioSource file(std::string path);
  static AudioSource encoded(std::string data, std::string name = "<bytes>");
  static AudioSource pcm(std::vector<float> samples, int sample_rate, int channels = 1, std::string name = "<pcm>");
  static std::vector<AudioSource> files(const std::vector<std::string>& paths);
};

// A whole source decoded (or, for PCM, mixed down) to mono samples at sample_rate, resampled with
// soxr. Throws mulan::Error naming the source (mulan::FileNotFound for a missing file) when it
// cannot be read or holds no samples.
std::vector<float> decode_source(const AudioSource& source, int sample_rate);

// The front end's log-mel spectrogram [F, T] of a whole source (float32, on the CPU). Throws as
// decode_source does, and when the source is shorter than one frame.
at::Tensor log_mel(const AudioSource& source, const audio::FrontendConfig& config);

struct AudioEmbedOptions {
  int batch_windows = kDefaultAudioBatchWindows;  // windows per forward pass, drawn from one or several sources
  int decode_threads = kDefaultDecodeThreads;     // sources decoded ahead in parallel with the model (1..kMaxDecodeThreads)
  bool keep_windows = false;                      // also return every window's embedding and start time

  void validate(const std::string& where = "audio embedding options") const;  // UsageError naming the field
};

struct AudioEmbedding {
  std::string path;                // the source's name
  std::optional<Failure> failure;  // set: the source could not be embedded (and why)
  at::Tensor embedding;            // [d], unit length
  at::Tensor windows;              // [K, d] when keep_windows
  std::vector<double> starts_s;    // each window's start, seconds

  bool ok() const { return !failure; }
};

class AudioEmbedder {
 public:
  // Keeps a handle on the model (a Model is a shared handle: no copy of the weights).
  explicit AudioEmbedder(Model model, AudioEmbedOptions options = {});
  // Calls on_result once per source, in input order, on the calling thread. Safe to call from
  // several threads at once.
  void run(const std::vector<AudioSource>& sources, const std::function<void(AudioEmbedding&&)>& on_result) const;
  void run(const std::vector<std::string>& files, const std::function<void(AudioEmbedding&&)>& on_result) const;

 private:
  Model model_;
  AudioEmbedOptions options_;
};

}  // namespace mulan
