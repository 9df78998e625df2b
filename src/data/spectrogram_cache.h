// Whole-recording spectrograms kept in memory between epochs (least recently used out first),
// so that a training window is a crop, not a decode. Thread-safe.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

#include "mulan/frontend.h"

namespace mulan::data {

class SpectrogramCache {
 public:
  SpectrogramCache(const audio::FrontendConfig& frontend, int64_t max_bytes);

  // The [F, T] float32 CPU spectrogram of the whole recording at path (a file or a shard
  // member, see shards.h; decoded, downmixed,
  // resampled to 16 kHz); key identifies it in the cache. Throws mulan::Error naming the file
  // when it cannot be decoded. A recording shorter than one frame is padded with silence.
  at::Tensor get(int64_t key, const std::string& path);

  const audio::Frontend& frontend() const { return frontend_; }
  int64_t hits() const;
  int64_t misses() const;

 private:
  audio::Frontend frontend_;
  int64_t max_bytes_;
  mutable std::mutex mutex_;
  std::list<int64_t> order_;  // most recent first
  struct Entry {
    at::Tensor spec;
    std::list<int64_t>::iterator pos;
  };
  std::unordered_map<int64_t, Entry> entries_;
  int64_t bytes_ = 0, hits_ = 0, misses_ = 0;
};

}  // namespace mulan::data
