// Embedding recordings by the deterministic long-audio policy of docs/mulan-spec.md 1.1:
// consecutive windows of T frames from frame 0, the last one aligned to the end when the
// recording does not divide evenly, a short recording padded with the front end's silence;
// the mean of the window embeddings, L2-normalised again.
//
// Files are decoded and cut into windows in worker threads (memory bounded by a few windows
// per file, whatever the recording's length) while the model embeds batches of windows drawn
// from several files; results come back in input order.
//
//   mulan::AudioEmbedder embedder(model);
//   embedder.run(files, [](mulan::AudioEmbedding&& e) { ... e.embedding ... });
#pragma once

#include <ATen/core/Tensor.h>

#include <functional>
#include <string>
#include <vector>

#include "mulan/model.h"

namespace mulan {

inline constexpr int kMaxDecodeThreads = 256;

struct AudioEmbedOptions {
  int batch_windows = 8;    // windows per forward pass, drawn from one or several files
  int decode_threads = 1;   // files decoded ahead in parallel with the model (1..kMaxDecodeThreads)
  bool keep_windows = false;  // also return every window's embedding and start time
};

struct AudioEmbedding {
  std::string path;
  std::string error;               // non-empty: the file could not be embedded (and why)
  at::Tensor embedding;            // [d], unit length
  at::Tensor windows;              // [K, d] when keep_windows
  std::vector<double> starts_s;    // each window's start, seconds
};

class AudioEmbedder {
 public:
  explicit AudioEmbedder(const Model& model, AudioEmbedOptions options = {});
  // Calls on_result once per file, in input order, on the calling thread.
  void run(const std::vector<std::string>& files, const std::function<void(AudioEmbedding&&)>& on_result) const;

 private:
  const Model& model_;
  AudioEmbedOptions options_;
};

}  // namespace mulan
