// Rendering: every style is audible and never clips, loud is louder than soft, the output
// depends on the composition alone, and the tempo tag agrees with an independent onset-rate
// estimate (tests/python/onset_rate.py). Skips without an installed SoundFont.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "mulan/audio.h"
#include "mulan/error.h"
#include "support/test_support.h"
#include "synth/styles.h"
#include "mulan/synth.h"

namespace mulan::synth {
namespace {

std::string installed_soundfont() {
  try {
    return find_soundfont("");
  } catch (const Error&) {
    return "";
  }
}

double rms_db(const std::vector<float>& x) {
  double s = 0;
  for (float v : x) s += double(v) * v;
  return 10 * std::log10(s / static_cast<double>(x.size()) + 1e-20);
}

float peak(const std::vector<float>& x) {
  float p = 0;
  for (float v : x) p = std::max(p, std::fabs(v));
  return p;
}

Factors factors_for(const Style& s, uint64_t variant = 0) {
  Factors f;
  f.style = s.tag;
  f.lead = s.leads[variant % s.leads.size()];
  for (const auto& a : s.accomps)
    if (a != f.lead) {
      f.accomp = a;
      break;
    }
  f.key = static_cast<int>(variant % 12);
  return f;
}

class SynthRender : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string sf = installed_soundfont();
    if (!sf.empty()) renderer_ = std::make_unique<Renderer>(sf);
  }
  static void TearDownTestSuite() { renderer_.reset(); }
  void SetUp() override {
    if (!renderer_) GTEST_SKIP() << "no SoundFont installed (fluid-soundfont-gm)";
  }
  static std::unique_ptr<Renderer> renderer_;
};
std::unique_ptr<Renderer> SynthRender::renderer_;

TEST_F(SynthRender, EveryStyleIsAudibleAndNeverClips) {
  for (const Style& s : styles()) {
    for (Dynamics d : {Dynamics::Soft, Dynamics::Loud}) {
      for (bool drums : {false, true}) {
        Factors f = factors_for(s);
        f.dynamics = d, f.drums = drums;
        const std::vector<float> x = renderer_->render(compose(f, 4, 1));
        ASSERT_EQ(x.size(), 4u * 16000);
        EXPECT_GT(rms_db(x), -50) << s.tag;
        EXPECT_LE(peak(x), 0.98f) << s.tag;
        // No stretch of a second is silent: the music plays throughout.
        for (size_t start = 0; start + 16000 <= x.size(); start += 16000)
          EXPECT_GT(rms_db({x.begin() + static_cast<long>(start), x.begin() + static_cast<long>(start) + 16000}), -60)
              << s.tag << " at " << start / 16000 << " s";
      }
    }
  }
}

TEST_F(SynthRender, LoudIsAtLeastTenDecibelsAboveSoft) {
  for (const Style& s : styles()) {
    for (uint64_t v = 0; v < 2; ++v) {
      Factors f = factors_for(s, v);
      f.dynamics = Dynamics::Soft;
      const double soft = rms_db(renderer_->render(compose(f, 6, 9 + v)));
      f.dynamics = Dynamics::Loud;
      const double loud = rms_db(renderer_->render(compose(f, 6, 9 + v)));
      EXPECT_GE(loud - soft, 10.0) << s.tag << " " << f.lead << ": loud " << loud << " dB, soft " << soft << " dB";
    }
  }
}

TEST_F(SynthRender, OutputDependsOnTheCompositionAlone) {
  const Composition a = compose(factors_for(style("metal")), 3, 1), b = compose(factors_for(style("latin")), 2.5, 2);
  const std::vector<float> first = renderer_->render(a);
  renderer_->render(b);  // a clip in between leaves nothing behind
  EXPECT_EQ(renderer_->render(a), first);
  Renderer fresh(installed_soundfont());
  EXPECT_EQ(fresh.render(a), first);
}

TEST_F(SynthRender, FlacHoldsTheSamplesTo16Bits) {
  const std::vector<float> x = renderer_->render(compose(factors_for(style("rock")), 2, 4));
  test::TempDir dir;
  const std::string path = dir.file("x.flac");
  std::ofstream(path, std::ios::binary) << encode_flac(x, 16000);
  const audio::AudioInfo info = audio::probe(path);
  EXPECT_EQ(info.sample_rate, 16000);
  EXPECT_EQ(info.channels, 1);
  EXPECT_EQ(info.format, "flac");
  const std::vector<float> y = audio::decode(path);
  ASSERT_EQ(y.size(), x.size());
  float worst = 0;
  for (size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::fabs(x[i] - y[i]));
  EXPECT_LE(worst, 1.0f / 32767);
}

// Slow (70 bpm) and fast (150 bpm) versions of the same composition, with and without drums,
// for every style and two instrument choices: the onset detector must count clearly more
// onsets a second in the fast one. It misses soft attacks (a flute over a pad), so a few pairs
// may come out level; none may come out the wrong way round.
TEST_F(SynthRender, FastClipsHaveClearlyMoreOnsetsPerSecondThanSlowOnes) {
  test::TempDir dir;
  std::string args;
  std::vector<std::string> names;
  for (uint64_t variant : {1, 2}) {
    for (const Style& s : styles()) {
      for (bool drums : {true, false}) {
        for (Tempo t : {Tempo::Slow, Tempo::Fast}) {
          Factors f = factors_for(s, variant);
          f.drums = drums, f.tempo = t, f.bpm = t == Tempo::Slow ? 70 : 150;
          const std::vector<float> x = renderer_->render(compose(f, 10, 21));
          std::string file = "c";
          file.append(std::to_string(names.size())).append(".f32");
          const std::string path = dir.file(file);
          std::ofstream(path, std::ios::binary)
              .write(reinterpret_cast<const char*>(x.data()), static_cast<std::streamsize>(x.size() * sizeof(float)));
          args.append(" ").append(test::shell_quote(path));
          std::string name = s.tag;
          name.append(drums ? " with drums, " : " without drums, ")
              .append(f.lead)
              .append(t == Tempo::Slow ? ", slow" : ", fast");
          names.push_back(name);
        }
      }
    }
  }
  const auto r = test::run_python("onset_rate.py", "16000" + args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto rates = nlohmann::json::parse(r.out).get<std::vector<double>>();
  ASSERT_EQ(rates.size(), names.size());
  double slow_total = 0, fast_total = 0;
  int clear = 0, pairs = 0;
  for (size_t i = 0; i < rates.size(); i += 2, ++pairs) {
    EXPECT_GE(rates[i + 1], rates[i]) << names[i] << " " << rates[i] << "/s vs " << names[i + 1] << " " << rates[i + 1]
                                      << "/s";
    clear += rates[i + 1] > 1.3 * rates[i];
    slow_total += rates[i], fast_total += rates[i + 1];
  }
  EXPECT_GE(clear, pairs * 9 / 10) << clear << " of " << pairs << " pairs have 1.3 times the onset rate when fast";
  EXPECT_GT(fast_total, 1.6 * slow_total) << "slow " << slow_total / pairs << "/s, fast " << fast_total / pairs << "/s";
}

}  // namespace
}  // namespace mulan::synth
