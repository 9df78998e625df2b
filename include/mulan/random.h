// The one random number generator of mulan: every random choice draws from an Rng seeded from
// a config field, so the same seed gives the same numbers on every platform (no
// std::uniform_*_distribution, whose output differs between standard libraries).
#pragma once

#include <cstdint>
#include <random>
#include <string>

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

}  // namespace mulan
