// The one random number generator of mulan: every random choice draws from an Rng seeded from
// a config field, so the same seed gives the same numbers on every platform (no
// std::uniform_*_distribution, whose output differs between standard libraries).
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace mulan {

class Rng {
 public:
  explicit Rng(uint64_t seed = 0) : engine_(seed) {}

  uint64_t next() { return engine_(); }
  // Uniform integer in [lo, hi], both inclusive; requires lo <= hi.
  int64_t uniform_int(int64_t lo, int64_t hi) {
    const uint64_t span = static_cast<uint64_t>(hi - lo) + 1;
    return span == 0 ? static_cast<int64_t>(next()) : lo + static_cast<int64_t>(next() % span);
  }
  // Uniform double in [0, 1), 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }

  // The full state as text, for checkpoints; restore() takes it back.
  std::string state() const;
  void restore(const std::string& state);

 private:
  std::mt19937_64 engine_;
};

// The output function of SplitMix64 (Steele, Lea & Flood 2014; Vigna's splitmix64.c): a
// bijection of 64-bit words that spreads every input bit over the output.
constexpr uint64_t splitmix64_mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// A seed for a derived random stream: the (b + 1)-th output of a SplitMix64 generator started at
// state a. The data pipeline's seeds (pair order, crops, SpecAugment, validation pairs).
constexpr uint64_t mix_seed(uint64_t a, uint64_t b) { return splitmix64_mix(a + 0x9E3779B97F4A7C15ULL * (b + 1)); }

// A seed for one purpose of one item, derived from a corpus seed: the synthetic corpus's seeds
// (draws for clip 7's audio never depend on how many draws clip 6 made). Another formula than
// mix_seed (purpose enters through a second odd constant), kept so that corpora do not change:
// derive_seed(s, i, p) == mix_seed(s + 0xBF58476D1CE4E5B9 (p + 1), i).
constexpr uint64_t derive_seed(uint64_t seed, uint64_t item, uint64_t purpose) {
  return splitmix64_mix(seed + 0x9E3779B97F4A7C15ULL * (item + 1) + 0xBF58476D1CE4E5B9ULL * (purpose + 1));
}

// Shuffles in place: Fisher-Yates from the back, position i - 1 swapped with a uniform draw in
// [0, i - 1], so the same Rng state gives the same order on every platform.
template <typename T>
void shuffle(Rng& rng, std::vector<T>& v) {
  for (std::size_t i = v.size(); i > 1; --i) {
    std::swap(v[i - 1], v[static_cast<std::size_t>(rng.uniform_int(0, static_cast<int64_t>(i) - 1))]);
  }
}

}  // namespace mulan
