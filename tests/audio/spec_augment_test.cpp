#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mulan/error.h"
#include "mulan/spec_augment.h"

namespace mulan::audio {
namespace {

TEST(SpecAugment, SameSeedSameMasksOtherSeedOtherMasks) {
  const at::Tensor x = torch::randn({3, 64, 1000});
  at::Tensor a = x.clone(), b = x.clone(), c = x.clone();
  Rng ra(9), rb(9), rc(10);
  spec_augment_(a, SpecAugmentConfig::for_mels(64), ra);
  spec_augment_(b, SpecAugmentConfig::for_mels(64), rb);
  spec_augment_(c, SpecAugmentConfig::for_mels(64), rc);
  EXPECT_TRUE(torch::equal(a, b));
  EXPECT_FALSE(torch::equal(a, c));
  EXPECT_FALSE(torch::equal(a, x));
}

TEST(SpecAugment, MasksAreWholeBandsWithinTheWidthBounds) {
  SpecAugmentConfig cfg;
  cfg.freq_masks = 1;
  cfg.freq_width = 8;
  cfg.time_masks = 1;
  cfg.time_width = 100;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    // Cells are 10 or 11 with both present, so the mean lies strictly between and no cell
    // equals it: a masked cell always reads as changed. (Uniform floats could hit the mean.)
    torch::manual_seed(seed);
    at::Tensor x = torch::randint(0, 2, {64, 1000}).to(torch::kFloat) + 10.0;
    x[0][0] = 10.0;
    x[0][1] = 11.0;
    at::Tensor y = x.clone();
    Rng rng(seed);
    spec_augment_(y, cfg, rng);
    const at::Tensor changed = y != x;
    // Masked cells hold the example's mean.
    EXPECT_TRUE(torch::allclose(y.masked_select(changed), torch::full({1}, x.mean().item<float>())));
    const at::Tensor full_rows = changed.all(1), full_cols = changed.all(0);
    const int64_t rows = full_rows.sum().item<int64_t>(), cols = full_cols.sum().item<int64_t>();
    EXPECT_LE(rows, 8);
    EXPECT_LE(cols, 100);
    // Every changed cell lies in a fully masked row or column.
    const at::Tensor explained = full_rows.unsqueeze(1) | full_cols.unsqueeze(0);
    EXPECT_FALSE((changed & ~explained).any().item<bool>());
  }
}

TEST(SpecAugment, NoMasksChangesNothing) {
  SpecAugmentConfig cfg;
  cfg.freq_masks = 0;
  cfg.time_masks = 0;
  const at::Tensor x = torch::randn({64, 100});
  at::Tensor y = x.clone();
  Rng rng(1);
  spec_augment_(y, cfg, rng);
  EXPECT_TRUE(torch::equal(x, y));
}

TEST(SpecAugment, DefaultsFollowTheMelCount) {
  EXPECT_EQ(SpecAugmentConfig::for_mels(64).freq_width, 8);
  EXPECT_EQ(SpecAugmentConfig::for_mels(128).freq_width, 16);
  SpecAugmentConfig bad;
  bad.time_width = -1;
  EXPECT_THROW(bad.validate(), Error);
}

}  // namespace
}  // namespace mulan::audio
