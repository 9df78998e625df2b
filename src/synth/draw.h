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

// derive_seed and shuffle live in mulan/random.h (one copy for the whole project); the synth
// code calls them unqualified from this namespace.
using mulan::derive_seed;
using mulan::shuffle;

}  // namespace mulan::synth
