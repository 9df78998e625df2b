// The pair sampler and the loader: epochs, source ratio, disjoint ranks, and batches that do
// not depend on thread timing.
#include <gtest/gtest.h>
#include <sndfile.h>
#include <torch/torch.h>

#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "data/pair_loader.h"
#include "data/pair_sampler.h"
#include "mulan/error.h"
#include "support/test_support.h"

namespace mulan::data {
namespace {

std::vector<Recording> recordings(int n, bool all_sources = true) {
  std::vector<Recording> out;
  for (int i = 0; i < n; ++i) {
    Recording r;
    r.id = "r" + std::to_string(i);
    r.where = "m.jsonl:" + std::to_string(i + 1);
    r.texts["sf"] = {"sf text " + std::to_string(i), "another sf " + std::to_string(i)};
    if (all_sources) {
      r.texts["lf"] = {"lf " + std::to_string(i)};
      r.texts["pl"] = {"pl " + std::to_string(i)};
      r.texts["aset"] = {"aset " + std::to_string(i)};
    }
    out.push_back(r);
  }
  return out;
}

const std::map<std::string, double> kRatio = {{"sf", 2}, {"lf", 2}, {"pl", 1}, {"aset", 1}};

TEST(PairSampler, EveryRecordingOncePerEpochInASeededOrder) {
  const PairSampler s(recordings(50), kRatio, 7);
  for (int64_t epoch = 0; epoch < 3; ++epoch) {
    std::set<int64_t> seen;
    for (int64_t k = 0; k < 50; ++k) seen.insert(s.pair(epoch * 50 + k).recording);
    EXPECT_EQ(seen.size(), 50u);
  }
  const PairSampler same(recordings(50), kRatio, 7), other(recordings(50), kRatio, 8);
  int equal_same = 0, equal_other = 0;
  for (int64_t k = 0; k < 50; ++k) {
    equal_same += s.pair(k).recording == same.pair(k).recording;
    equal_other += s.pair(k).recording == other.pair(k).recording;
  }
  EXPECT_EQ(equal_same, 50);
  EXPECT_LT(equal_other, 10);
}

TEST(PairSampler, SourcesFollowTheRatioAndAMissingSourceDropsOut) {
  const PairSampler s(recordings(100), kRatio, 1);
  std::map<std::string, int> count;
  const int n = 60000;
  for (int64_t g = 0; g < n; ++g) ++count[s.pair(g).source];
  // Expected 2:2:1:1 of 60000 = 20000, 20000, 10000, 10000; binomial sd < 120: allow 5 sd.
  EXPECT_NEAR(count["sf"], 20000, 600);
  EXPECT_NEAR(count["lf"], 20000, 600);
  EXPECT_NEAR(count["pl"], 10000, 600);
  EXPECT_NEAR(count["aset"], 10000, 600);
  // Recordings with only SF: every pair takes SF, and both SF texts occur.
  const PairSampler only_sf(recordings(10, false), kRatio, 1);
  std::set<int64_t> texts;
  for (int64_t g = 0; g < 200; ++g) {
    EXPECT_EQ(only_sf.pair(g).source, "sf");
    texts.insert(only_sf.pair(g).text);
  }
  EXPECT_EQ(texts.size(), 2u);
  // A source with weight 0 is never drawn; recordings with only such texts are unusable.
  auto rs = recordings(5, false);
  Recording pl_only;
  pl_only.id = "p";
  pl_only.where = "m.jsonl:9";
  pl_only.texts["pl"] = {"playlist"};
  rs.push_back(pl_only);
  const PairSampler no_pl(rs, {{"sf", 1}, {"pl", 0}}, 1);
  EXPECT_EQ(no_pl.size(), 5);
  ASSERT_EQ(no_pl.unusable().size(), 1u);
  EXPECT_EQ(no_pl.unusable()[0].where, "m.jsonl:9");
}

class LoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto rs = recordings(12);
    for (int i = 0; i < 12; ++i) {
      const std::string path = dir_.file("r" + std::to_string(i) + ".wav");
      // Different lengths, some shorter than a window.
      test::write_audio(path, test::tone(200.0 + 50 * i, 0.5 + 0.4 * i, 16000), 1, 16000, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
      rs[i].audio = path;
    }
    rs[5].audio = dir_.file("broken.wav");  // exists but is not audio
    std::ofstream(rs[5].audio) << "not audio at all";
    sampler_ = std::make_shared<PairSampler>(rs, kRatio, 3);
    options_.batch = 5;
    options_.window_frames = 200;
    options_.spec_augment_config = audio::SpecAugmentConfig::for_mels(64);
    options_.spec_augment_config.time_width = 20;
  }
  std::vector<PairBatch> batches(PairLoaderOptions o, int64_t first, int n) {
    PairLoader loader(sampler_, o, first);
    std::vector<PairBatch> out;
    for (int i = 0; i < n; ++i) out.push_back(loader.next());
    bad_ = loader.bad_recordings();
    return out;
  }
  test::TempDir dir_;
  std::shared_ptr<PairSampler> sampler_;
  PairLoaderOptions options_;
  std::vector<Failure> bad_;
};

TEST_F(LoaderTest, BatchesDependOnTheStepNotOnThreadsAndSkipUnreadableRecordings) {
  PairLoaderOptions one = options_, four = options_;
  one.workers = 1;
  four.workers = 4;
  four.prefetch_batches = 3;
  const auto a = batches(one, 0, 6);
  const auto b = batches(four, 0, 6);
  ASSERT_EQ(bad_.size(), 1u);
  EXPECT_EQ(bad_[0].where.substr(bad_[0].where.size() - 9), "m.jsonl:6") << bad_[0].where;
  EXPECT_EQ(bad_[0].kind, FailureKind::unreadable);
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(a[i].step, i);
    EXPECT_EQ(a[i].windows.sizes(), (std::vector<int64_t>{5, 64, 200}));
    EXPECT_TRUE(torch::equal(a[i].windows, b[i].windows)) << "step " << i;
    EXPECT_EQ(a[i].texts, b[i].texts);
    for (int64_t r : a[i].recordings) EXPECT_NE(r, 5);
    EXPECT_TRUE(torch::isfinite(a[i].windows).all().item<bool>());
  }
  // Starting at step 3 (a resumed run) gives the same batches as steps 3.. of a run from 0.
  const auto c = batches(options_, 3, 3);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(torch::equal(c[i].windows, a[3 + i].windows));
}

TEST_F(LoaderTest, TwoRanksReadDisjointHalvesOfTheGlobalBatch) {
  // Without the unreadable recording (its fallback may land in the other half).
  auto rs = sampler_->recordings();
  rs[5].audio = rs[4].audio;
  sampler_ = std::make_shared<PairSampler>(rs, kRatio, 3);
  PairLoaderOptions whole = options_, r0 = options_, r1 = options_;
  whole.batch = 6;
  r0.batch = r1.batch = 3;
  r0.world = r1.world = 2;
  r1.rank = 1;
  const auto w = batches(whole, 0, 2);
  const auto a = batches(r0, 0, 2);
  const auto b = batches(r1, 0, 2);
  for (int i = 0; i < 2; ++i) {
    EXPECT_TRUE(torch::equal(torch::cat({a[i].windows, b[i].windows}), w[i].windows));
    std::set<int64_t> ra(a[i].recordings.begin(), a[i].recordings.end());
    for (int64_t r : b[i].recordings) EXPECT_EQ(ra.count(r), 0u);
  }
}

TEST_F(LoaderTest, TheCallerKeepsItsIntraOpThreads) {
  // The workers run one intra-op thread each; the thread that trains, and any thread started
  // later, must keep the count the caller had. In a fresh thread, as a program's main thread
  // that has not run a parallel op before it starts the loader.
  int during = 0, later = 0;
  std::thread trainer([&] {
    at::set_num_threads(2);
    PairLoader loader(sampler_, options_, 0);
    loader.next();
    during = at::get_num_threads();
  });
  trainer.join();
  std::thread fresh([&] { later = at::get_num_threads(); });
  fresh.join();
  EXPECT_EQ(during, 2);
  EXPECT_EQ(later, 2);
}

TEST_F(LoaderTest, TooManyUnreadableRecordingsStopTheLoader) {
  PairLoaderOptions o = options_;
  o.max_bad_fraction = 0.0;
  PairLoader loader(sampler_, o, 0);
  EXPECT_THROW(
      {
        for (int i = 0; i < 10; ++i) loader.next();
      },
      Error);
}

}  // namespace
}  // namespace mulan::data
