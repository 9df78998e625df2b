#include <gtest/gtest.h>

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

}  // namespace
}  // namespace mulan
