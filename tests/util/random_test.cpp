#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <vector>

#include "mulan/error.h"
#include "mulan/random.h"

namespace mulan {
namespace {

TEST(Rng, SameSeedSameSequenceAndStateRestores) {
  Rng a(5), b(5);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(a.next(), b.next());
  const std::string s = a.state();
  const uint64_t x = a.next();
  Rng c(0);
  c.restore(s);
  EXPECT_EQ(c.next(), x);
  EXPECT_THROW(c.restore("garbage"), Error);
}

TEST(Rng, UniformIntCoversItsRangeAndNoMore) {
  Rng r(1);
  std::vector<int> seen(5, 0);
  for (int i = 0; i < 5000; ++i) {
    const int64_t v = r.uniform_int(3, 7);
    ASSERT_GE(v, 3);
    ASSERT_LE(v, 7);
    ++seen[static_cast<size_t>(v - 3)];
  }
  for (int n : seen) EXPECT_GT(n, 800);
  for (int i = 0; i < 1000; ++i) {
    const double u = r.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
  }
}

// Values from an independent Python computation of Vigna's splitmix64.c (state += golden gamma,
// then the output mix); the first two of the seed-1234567 stream are the published test vector.
TEST(SplitMix64, MixSeedIsTheSplitMix64Stream) {
  const uint64_t stream[] = {6457827717110365317ULL, 3203168211198807973ULL, 9817491932198370423ULL,
                             4593380528125082431ULL, 16408922859458223821ULL};
  for (uint64_t k = 0; k < 5; ++k) EXPECT_EQ(mix_seed(1234567, k), stream[k]) << k;
  EXPECT_EQ(mix_seed(0, 0), 16294208416658607535ULL);
  EXPECT_EQ(mix_seed(42, 7), 14769051326987775908ULL);
  EXPECT_EQ(mix_seed(~0ULL, ~0ULL), 13029008266876403067ULL);
  EXPECT_EQ(mix_seed(0x5045524dULL, 123), 17293489741640079020ULL);
}

TEST(SplitMix64, DeriveSeedKeepsTheSynthFormula) {
  EXPECT_EQ(derive_seed(0, 0, 0), 16481712997681181849ULL);
  EXPECT_EQ(derive_seed(7, 3, 2), 1166443674618871742ULL);
  EXPECT_EQ(derive_seed(12345, 99, 4), 1939773548372098508ULL);
  // The two formulas differ (so neither replaces the other) but relate as documented.
  EXPECT_NE(derive_seed(7, 3, 2), mix_seed(7, 3));
  EXPECT_EQ(derive_seed(7, 3, 2), mix_seed(7 + 0xBF58476D1CE4E5B9ULL * 3, 3));
}

// The two Fisher-Yates loops shuffle() replaced (the pair sampler's and the synth/probe one),
// written out again: shuffle() must draw and swap exactly as both did.
TEST(Shuffle, MatchesTheLoopsItReplaced) {
  for (std::size_t n : {0u, 1u, 2u, 3u, 10u, 257u}) {
    for (uint64_t seed : {0ULL, 1ULL, 99ULL}) {
      std::vector<int64_t> a(n), b(n), c(n);
      std::iota(a.begin(), a.end(), 0);
      b = a;
      c = a;
      Rng ra(seed), rb(seed), rc(seed);
      shuffle(ra, a);
      for (int64_t i = static_cast<int64_t>(b.size()) - 1; i > 0; --i) std::swap(b[i], b[rb.uniform_int(0, i)]);
      for (std::size_t i = c.size(); i > 1; --i) std::swap(c[i - 1], c[rc.uniform_int(0, static_cast<int64_t>(i) - 1)]);
      EXPECT_EQ(a, b) << n << " " << seed;
      EXPECT_EQ(a, c) << n << " " << seed;
      EXPECT_EQ(ra.next(), rb.next());  // and leave the generator in the same state
      std::vector<int64_t> sorted = a;
      std::sort(sorted.begin(), sorted.end());
      for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(sorted[i], static_cast<int64_t>(i));
    }
  }
}

TEST(Shuffle, IsUniformOverThePermutationsOfThree) {
  Rng rng(3);
  std::map<std::vector<int>, int> seen;
  for (int t = 0; t < 6000; ++t) {
    std::vector<int> v{0, 1, 2};
    shuffle(rng, v);
    ++seen[v];
  }
  ASSERT_EQ(seen.size(), 6u);
  for (const auto& [perm, count] : seen) EXPECT_NEAR(count, 1000, 150);
}

}  // namespace
}  // namespace mulan
