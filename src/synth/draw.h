// Small helpers over mulan::Rng for the composer and the text generator.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mulan/error.h"
#include "mulan/random.h"

namespace mulan::synth {

inline bool chance(Rng& rng, double p) { return rng.uniform() < p; }

template <typename T>
const T& pick(Rng& rng, const std::vector<T>& v) {
  if (v.empty()) throw Error("synth: pick from an empty list");
  return v[static_cast<size_t>(rng.uniform_int(0, static_cast<int64_t>(v.size()) - 1))];
}

// Index drawn with probability proportional to weights.
inline size_t pick_weighted(Rng& rng, const std::vector<double>& weights) {
  double total = 0;
  for (double w : weights) total += w;
  double u = rng.uniform() * total;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (u < weights[i]) return i;
    u -= weights[i];
  }
  return weights.size() - 1;
}

// A seed for one purpose of one item, derived from the corpus seed (SplitMix64 finaliser):
// draws for clip 7's audio never depend on how many draws clip 6 made.
inline uint64_t derive_seed(uint64_t seed, uint64_t item, uint64_t purpose) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (item + 1) + 0xBF58476D1CE4E5B9ULL * (purpose + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Shuffles in place (Fisher-Yates with Rng, the same on every platform).
template <typename T>
void shuffle(Rng& rng, std::vector<T>& v) {
  for (size_t i = v.size(); i > 1; --i)
    std::swap(v[i - 1], v[static_cast<size_t>(rng.uniform_int(0, static_cast<int64_t>(i) - 1))]);
}

}  // namespace mulan::synth
