// The training loader: worker threads turn PairSpecs into (window, text) pairs ahead of the
// model (decode and front end through the SpectrogramCache, random crop, SpecAugment) and hand
// out whole batches in step order. The content of a batch depends only on the seed and the
// step, never on thread timing.
#pragma once

#include <ATen/core/Tensor.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "data/pair_sampler.h"
#include "data/spectrogram_cache.h"
#include "mulan/frontend.h"
#include "mulan/params.h"
#include "mulan/spec_augment.h"

namespace mulan::data {

struct PairLoaderOptions {
  int64_t batch = kDefaultTrainBatch;     // pairs per batch on this process
  int64_t rank = 0;                  // this process
  int64_t world = 1;                 // processes; together they read disjoint recordings
  int workers = kDefaultLoaderWorkers;    // decoding threads
  int prefetch_batches = 4;          // batches prepared ahead
  int64_t window_frames = 1000;      // T
  audio::FrontendConfig frontend = audio::FrontendConfig::resnet();
  bool spec_augment = true;
  audio::SpecAugmentConfig spec_augment_config;
  int64_t cache_bytes = kDefaultSpectrogramCacheMb << 20;  // for whole-recording spectrograms
  double max_bad_fraction = 0.5;     // fail when more than this fraction of recordings is unreadable
};

struct PairBatch {
  int64_t step = 0;
  at::Tensor windows;               // [B, F, T] float32, CPU
  std::vector<std::string> texts;   // B texts
  std::vector<int64_t> recordings;  // B recording indices (into the sampler's recordings)
  std::vector<std::string> sources; // B text sources
  // Where each window was cut: its first frame, and how many first frames its recording allows
  // (1 when the recording fits the window), so that a frozen trunk's output can be reused.
  std::vector<int64_t> crop_starts, crop_positions;
};

class PairLoader {
 public:
  // Starts the workers on the batches from first_step on.
  PairLoader(std::shared_ptr<const PairSampler> sampler, const PairLoaderOptions& options, int64_t first_step);
  ~PairLoader();
  PairLoader(const PairLoader&) = delete;
  PairLoader& operator=(const PairLoader&) = delete;

  // The batch of the next step; blocks until it is ready. Throws mulan::Error when too many
  // recordings are unreadable.
  PairBatch next();

  double wait_seconds() const { return wait_seconds_; }  // total time next() blocked
  // Unreadable recordings met so far: "FILE:LINE: reason", in the order met.
  std::vector<Failure> bad_recordings() const;  // where: the row, "FILE:LINE"
  std::size_t bad_count() const;  // bad_recordings().size(), without the copy
  int64_t decoded() const { return cache_.misses(); }

 private:
  struct Pending {
    std::vector<at::Tensor> windows;
    std::vector<std::string> texts, sources;
    std::vector<int64_t> recordings, crop_starts, crop_positions;
    int64_t remaining = 0;
  };
  void work();
  // One pair: falls back to the next readable recording of the epoch when its own is not.
  void make_pair(int64_t step, int64_t slot, Pending& out);
  bool is_bad(int64_t recording) const;

  std::shared_ptr<const PairSampler> sampler_;
  PairLoaderOptions options_;
  SpectrogramCache cache_;
  float pad_value_;

  mutable std::mutex mutex_;
  std::condition_variable work_cv_, done_cv_;
  std::map<int64_t, Pending> pending_;  // step -> batch under construction
  int64_t next_step_;                   // the step next() returns
  int64_t next_sample_ = 0;             // next (step, slot) to hand to a worker, as step * batch + slot
  bool stop_ = false;
  int started_ = 0;  // workers that have set their thread count
  std::exception_ptr error_;
  std::set<int64_t> bad_;
  std::vector<Failure> bad_messages_;
  double wait_seconds_ = 0;
  std::vector<std::thread> threads_;
};

}  // namespace mulan::data
