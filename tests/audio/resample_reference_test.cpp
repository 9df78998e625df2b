// The decode path (stereo downmix + libsoxr at 16 kHz) against two references:
// - a float64 evaluation of the band-limited input itself (sums of sinusoids) on the 16 kHz
//   grid: the ideal resampler's output;
// - sox's own rate converter (`sox IN -r 16000 -c 1`), where sox is installed.
// Input rates 8, 22.05, 44.1 and 48 kHz, stereo with different content per channel.
#include <gtest/gtest.h>
#include <sndfile.h>

#include <cmath>

#include "mulan/audio.h"
#include "support/test_support.h"

namespace mulan::audio {
namespace {

struct Partial {
  double freq, amp, phase;
};

double eval(const std::vector<Partial>& ps, double t) {
  double s = 0.0;
  for (const auto& p : ps) s += p.amp * std::sin(2 * M_PI * p.freq * t + p.phase);
  return s;
}

// Tones that every converter should pass untouched: below 80% of the lower Nyquist frequency.
std::pair<std::vector<Partial>, std::vector<Partial>> stereo_partials(int rate) {
  const double top = 0.8 * std::min(rate, 16000) / 2.0;
  return {{{220.0, 0.2, 0.0}, {0.37 * top, 0.15, 1.0}, {top, 0.1, 2.0}},
          {{330.0, 0.25, 0.5}, {0.61 * top, 0.1, 0.3}}};
}

std::string write_stereo(const test::TempDir& dir, int rate, double seconds) {
  const auto [left, right] = stereo_partials(rate);
  const size_t n = static_cast<size_t>(seconds * rate);
  std::vector<float> x(2 * n);
  for (size_t i = 0; i < n; ++i) {
    x[2 * i] = static_cast<float>(eval(left, double(i) / rate));
    x[2 * i + 1] = static_cast<float>(eval(right, double(i) / rate));
  }
  const std::string path = dir.file("stereo_" + std::to_string(rate) + ".wav");
  test::write_audio(path, x, 2, rate, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  return path;
}

class ResampleReference : public ::testing::TestWithParam<int> {};

TEST_P(ResampleReference, MatchesIdealBandLimitedSignal) {
  const int rate = GetParam();
  const double seconds = 3.0;
  test::TempDir dir;
  const std::vector<float> got = decode(write_stereo(dir, rate, seconds));
  const double expected_len = seconds * rate * 16000.0 / rate;
  EXPECT_NEAR(static_cast<double>(got.size()), expected_len, 1.0);

  const auto [left, right] = stereo_partials(rate);
  const size_t edge = 1600;  // 100 ms at each end, where the converter's filter sees the cut
  double max_err = 0.0;
  for (size_t i = edge; i + edge < got.size(); ++i) {
    const double t = double(i) / 16000.0;
    const double want = 0.5 * (eval(left, t) + eval(right, t));
    max_err = std::max(max_err, std::abs(got[i] - want));
  }
  EXPECT_LT(max_err, 2e-3) << "input rate " << rate;
}

TEST_P(ResampleReference, MatchesSox) {
  const int rate = GetParam();
  if (test::run_command("command -v sox").exit_code != 0) GTEST_SKIP() << "sox is not installed";
  test::TempDir dir;
  const std::string in = write_stereo(dir, rate, 2.0), out = dir.file("sox.wav");
  const auto r = test::run_command("sox " + test::shell_quote(in) + " -e floating-point -b 32 " +
                                   test::shell_quote(out) + " rate -v 16000 channels 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<float> want = decode(out), got = decode(in);
  ASSERT_NEAR(static_cast<double>(got.size()), static_cast<double>(want.size()), 1.0);
  double max_err = 0.0;
  for (size_t i = 1600; i + 1600 < std::min(got.size(), want.size()); ++i) {
    max_err = std::max(max_err, static_cast<double>(std::abs(got[i] - want[i])));
  }
  EXPECT_LT(max_err, 2e-3) << "input rate " << rate;
}

INSTANTIATE_TEST_SUITE_P(Rates, ResampleReference, ::testing::Values(8000, 22050, 44100, 48000));

TEST(Resample, RemovesContentAboveTheNewNyquist) {
  // A 12 kHz tone at 44.1 kHz cannot exist at 16 kHz: it must not fold back to 4 kHz.
  const std::vector<float> x = test::tone(12000.0, 2.0, 44100, 0.5);
  const std::vector<float> y = resample(x, 44100, 16000);
  double energy = 0.0;
  for (size_t i = 1600; i + 1600 < y.size(); ++i) energy += double(y[i]) * y[i];
  EXPECT_LT(std::sqrt(energy / double(y.size() - 3200)), 1e-3);
}

TEST(Resample, SameRateIsIdentity) {
  const std::vector<float> x = test::noise(0.5, 16000, 3);
  EXPECT_EQ(resample(x, 16000, 16000), x);
}

}  // namespace
}  // namespace mulan::audio
