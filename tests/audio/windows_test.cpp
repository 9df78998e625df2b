#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mulan/windows.h"

namespace mulan::audio {
namespace {

using Starts = std::vector<int64_t>;

TEST(InferenceWindows, ShortRecordingIsOnePaddedWindow) {
  EXPECT_EQ(inference_window_starts(1, 1000), Starts{0});
  EXPECT_EQ(inference_window_starts(999, 1000), Starts{0});
  EXPECT_EQ(inference_window_starts(1000, 1000), Starts{0});
}

TEST(InferenceWindows, EvenSplitHasNoOverlap) {
  EXPECT_EQ(inference_window_starts(3000, 1000), (Starts{0, 1000, 2000}));
}

TEST(InferenceWindows, LastWindowIsAlignedToTheEnd) {
  EXPECT_EQ(inference_window_starts(1001, 1000), (Starts{0, 1}));
  EXPECT_EQ(inference_window_starts(2500, 1000), (Starts{0, 1000, 1500}));
}

TEST(InferenceWindows, EveryFrameIsCoveredAndNoWindowRunsPastTheEnd) {
  for (int64_t n : {1001, 1999, 4321, 17000, 35999}) {
    const Starts s = inference_window_starts(n, 1000);
    std::vector<bool> covered(static_cast<size_t>(n), false);
    for (int64_t st : s) {
      ASSERT_LE(st + 1000, n);
      for (int64_t t = st; t < st + 1000; ++t) covered[static_cast<size_t>(t)] = true;
    }
    EXPECT_EQ(std::count(covered.begin(), covered.end(), false), 0) << n;
    EXPECT_EQ(static_cast<int64_t>(s.size()), (n + 999) / 1000) << n;
  }
}

TEST(CutWindows, CopiesSlicesAndPadsShortRecordings) {
  const at::Tensor spec = torch::arange(2 * 5, torch::kFloat32).reshape({2, 5});
  const at::Tensor w = cut_windows(spec, {0}, 8, -7.0f);
  ASSERT_EQ(w.sizes(), (at::IntArrayRef{1, 2, 8}));
  EXPECT_TRUE(torch::equal(w[0].narrow(1, 0, 5), spec));
  EXPECT_TRUE((w[0].narrow(1, 5, 3) == -7.0f).all().item<bool>());

  const at::Tensor spec2 = torch::arange(3 * 25, torch::kFloat32).reshape({3, 25});
  const at::Tensor w2 = cut_windows(spec2, inference_window_starts(25, 10), 10, 0.0f);
  ASSERT_EQ(w2.size(0), 3);
  EXPECT_TRUE(torch::equal(w2[2], spec2.narrow(1, 15, 10)));
}

TEST(RandomCrop, IsSeededAndStaysInside) {
  const at::Tensor spec = torch::randn({4, 3000});
  Rng a(42), b(42), c(43);
  std::vector<int64_t> sa, sb, sc;
  for (int i = 0; i < 50; ++i) {
    sa.push_back(random_window_start(3000, 1000, a));
    sb.push_back(random_window_start(3000, 1000, b));
    sc.push_back(random_window_start(3000, 1000, c));
  }
  EXPECT_EQ(sa, sb);
  EXPECT_NE(sa, sc);
  for (int64_t s : sa) {
    EXPECT_GE(s, 0);
    EXPECT_LE(s, 2000);
  }
  Rng r(1);
  const at::Tensor crop = random_crop(spec, 1000, 0.0f, r);
  Rng r2(1);
  const int64_t start = random_window_start(3000, 1000, r2);
  EXPECT_TRUE(torch::equal(crop, spec.narrow(1, start, 1000)));
}

TEST(RandomCrop, PadsARecordingShorterThanAWindow) {
  const at::Tensor spec = torch::ones({4, 300});
  Rng r(3);
  const at::Tensor crop = random_crop(spec, 1000, -2.0f, r);
  EXPECT_EQ(crop.size(1), 1000);
  EXPECT_EQ(crop.narrow(1, 0, 300).sum().item<float>(), 1200.0f);
  EXPECT_TRUE((crop.narrow(1, 300, 700) == -2.0f).all().item<bool>());
}

}  // namespace
}  // namespace mulan::audio
