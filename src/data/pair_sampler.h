// Which (recording, text, window) makes up each training pair: a pure function of the run's
// seed and the pair's global index, so that a resumed run, a run with more loader threads and
// a run split over several processes all see the same pairs.
//
// Global pair g (step s, process r of W, slot k of a batch of B: g = (s W + r) B + k) takes
// position g mod E of the epoch g / E's seeded permutation of the N recordings, where an epoch
// is E = floor(N / (B W)) whole steps (the last N - E recordings of each permutation sit that
// epoch out): a recording at most once per epoch, so never twice in a step, and the processes
// of a step read disjoint recordings. Its text
// source is drawn by the configured ratio (SF:LF:PL:ASET = 2:2:1:1 by default) renormalised
// over the sources the recording has; the text uniformly within the source; the crop and the
// SpecAugment masks from a seed derived from g.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "mulan/manifest.h"
#include "mulan/random.h"

namespace mulan::data {

struct PairSpec {
  int64_t recording = 0;  // index into the sampler's recordings
  std::string source;     // "sf" | "lf" | "pl" | "aset"
  int64_t text = 0;       // index into recording.texts[source]
  uint64_t seed = 0;      // for the crop and SpecAugment of this pair
};

// splitmix64 of (a, b): mulan::mix_seed (mulan/random.h), named here too for the callers that
// spell it data::mix_seed.
using mulan::mix_seed;

class PairSampler {
 public:
  // Keeps the recordings with at least one text of a source of positive weight; the others
  // are counted in unusable(). With need_texts false (audio-only training, e.g. the tagger)
  // every recording is kept and a pair without text has source "".
  // pairs_per_step = B W: refused (mulan::Error) when there are fewer usable recordings, since
  // a recording would then be a positive and a negative of itself in one step.
  PairSampler(const std::vector<Recording>& recordings, const std::map<std::string, double>& ratio, uint64_t seed,
              bool need_texts = true, int64_t pairs_per_step = 1);

  PairSpec pair(int64_t global_index) const;
  // The recording at another position of the same epoch: what a pair falls back to when its
  // own recording turns out to be unreadable (offset 1, 2, ... in turn).
  int64_t recording_at(int64_t global_index, int64_t offset) const;
  // A pair spec for a given recording (the fallback keeps the pair's seed).
  PairSpec pair_for(int64_t recording, uint64_t seed) const;

  const std::vector<Recording>& recordings() const { return recordings_; }
  int64_t size() const { return static_cast<int64_t>(recordings_.size()); }
  const std::vector<BadRow>& unusable() const { return unusable_; }

 private:
  std::shared_ptr<const std::vector<int64_t>> permutation(int64_t epoch) const;

  std::vector<Recording> recordings_;
  std::vector<BadRow> unusable_;
  std::map<std::string, double> ratio_;
  uint64_t seed_;
  int64_t epoch_pairs_ = 1;  // E: a whole number of steps
  mutable std::mutex mutex_;
  mutable std::map<int64_t, std::shared_ptr<const std::vector<int64_t>>> perms_;  // a few recent epochs
};

}  // namespace mulan::data
