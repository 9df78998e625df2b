// Both front ends against torchaudio (tests/python/frontend_reference.py runs the exact calls
// of docs/mulan-spec.md 1.1) on tones, noise, chirps, silence and music at several lengths.
// Tolerance: max |difference| of the log values <= 1e-3 wherever the mel power is at least
// 1e-8 of its frame's maximum (below that, float32 rounding of near-zero power dominates).
// And the ast front end's precision on a 40 s recording: against a float64 kaldi.fbank, no worse
// than 1.5 times torchaudio's own float32 path, on the largest and on the median difference.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <iostream>

#include "mulan/frontend.h"
#include "mulan/npy.h"
#include "support/test_support.h"

namespace mulan::audio {
namespace {

using test::TempDir;

struct Signal {
  std::string name;
  std::vector<float> wave;
};

std::vector<Signal> signals() {
  const int sr = 16000;
  std::vector<Signal> s;
  for (double secs : {0.05, 1.0, 3.37, 10.0, 12.345}) {
    const std::string len = std::to_string(static_cast<int>(secs * 1000)) + "ms";
    s.push_back({"tone440_" + len, test::tone(440.0, secs, sr)});
    s.push_back({"noise_" + len, test::noise(secs, sr, 7)});
    s.push_back({"chirp_" + len, test::chirp(50.0, 7900.0, secs, sr)});
    s.push_back({"silence_" + len, std::vector<float>(static_cast<size_t>(secs * sr), 0.0f)});
    s.push_back({"music_" + len, test::music(secs, sr)});
  }
  s.push_back({"tone_low_3s", test::tone(130.0, 3.0, sr, 0.9)});
  s.push_back({"tone_high_3s", test::tone(7700.0, 3.0, sr, 0.01)});
  s.push_back({"odd_length", test::music(2.0, sr, 3)});
  s.back().wave.resize(s.back().wave.size() + 77, 0.1f);
  return s;
}

TEST(FrontendReference, BothFrontEndsMatchTorchaudio) {
  TempDir dir;
  const auto sigs = signals();
  std::string names;
  for (const auto& s : sigs) {
    write_npy(dir.file(s.name + ".npy"), torch::tensor(s.wave, torch::kFloat32));
    names += " " + s.name;
  }
  const auto r = test::run_python("frontend_reference.py", test::shell_quote(dir.path().string()) + names);
  ASSERT_EQ(r.exit_code, 0) << r.err;

  for (const auto& [kind, config] : {std::pair{"resnet", FrontendConfig::resnet()}, std::pair{"ast", FrontendConfig::ast()}}) {
    const Frontend fe(config);
    double worst = 0.0;
    for (const auto& s : sigs) {
      SCOPED_TRACE(std::string(kind) + " " + s.name);
      const at::Tensor ref = read_npy(dir.file(s.name + "." + kind + ".npy"));
      const at::Tensor mask = read_npy(dir.file(s.name + "." + kind + ".mask.npy")) > 0.5;
      const at::Tensor got = fe(torch::tensor(s.wave, torch::kFloat32));
      ASSERT_EQ(got.sizes(), ref.sizes());
      ASSERT_EQ(got.size(1), fe.num_frames(static_cast<int64_t>(s.wave.size())));
      ASSERT_TRUE(torch::isfinite(got).all().item<bool>());
      ASSERT_GT(mask.sum().item<int64_t>(), 0);
      const double max_diff = (got - ref).abs().masked_select(mask).max().item<double>();
      EXPECT_LE(max_diff, 1e-3);
      worst = std::max(worst, max_diff);
    }
    std::cout << kind << ": worst max |diff| over " << sigs.size() << " signals = " << worst << "\n";
  }
}

// A 40 s "recording" with a wide dynamic range: the music at full level, faded down to -50 dB
// and back, a -30 dB passage, a second of digital silence, a microphone's noise floor at about
// -80 dB, all quantised to 16 bits as a recording's samples are.
std::vector<float> recording() {
  const int sr = 16000;
  std::vector<float> x = test::music(40.0, sr, 11);
  const std::vector<float> hiss = test::noise(40.0, sr, 12, 1e-4);
  auto gain_db = [](double t) {
    if (t < 12.0) return 0.0;
    if (t < 14.0) return -25.0 * (t - 12.0);  // fade out to -50 dB
    if (t < 20.0) return -50.0;
    if (t < 21.0) return -50.0 + 50.0 * (t - 20.0);
    if (t < 31.0) return 0.0;
    if (t < 36.0) return -30.0;
    return 0.0;
  };
  for (size_t i = 0; i < x.size(); ++i) {
    const double t = static_cast<double>(i) / sr;
    const bool silent = t >= 30.0 && t < 31.0;
    const double v = silent ? 0.0 : x[i] * std::pow(10.0, gain_db(t) / 20.0) + hiss[i];
    x[i] = static_cast<float>(std::round(std::clamp(v, -1.0, 1.0) * 32767.0) / 32767.0);
  }
  return x;
}

TEST(FrontendReference, AstAsPreciseAsTorchaudioFloat32) {
  TempDir dir;
  const std::vector<float> wave = recording();
  write_npy(dir.file("rec.npy"), torch::tensor(wave, torch::kFloat32));
  const auto r = test::run_python("frontend_reference.py",
                                  "--precision " + test::shell_quote(dir.path().string()) + " rec");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const at::Tensor ref64 = read_npy(dir.file("rec.ast64.npy"));  // float64 kaldi.fbank, [F, T]
  const at::Tensor ta32 = read_npy(dir.file("rec.ast32.npy"));   // float32 kaldi.fbank
  const at::Tensor mask = read_npy(dir.file("rec.ast64.mask.npy")) > 0.5;

  FrontendConfig config = FrontendConfig::ast();
  config.norm_mean = 0.0;  // the log filter banks themselves, before AST's normalisation
  config.norm_std = 0.5;
  const at::Tensor ours = Frontend(config)(torch::tensor(wave, torch::kFloat32)).to(torch::kFloat64);
  ASSERT_EQ(ours.sizes(), ref64.sizes());
  ASSERT_EQ(ta32.sizes(), ref64.sizes());
  ASSERT_GT(mask.sum().item<int64_t>(), ref64.numel() / 4);

  auto stats = [&](const at::Tensor& x) {
    const at::Tensor d = (x.to(torch::kFloat64) - ref64).abs().masked_select(mask);
    return std::pair{d.max().item<double>(), d.median().item<double>()};
  };
  const auto [ours_max, ours_median] = stats(ours);
  const auto [ta_max, ta_median] = stats(ta32);
  std::cout << "ast log fbank vs float64 kaldi.fbank on a " << wave.size() / 16000.0 << " s recording ("
            << mask.sum().item<int64_t>() << " bins): ours max " << ours_max << " median " << ours_median
            << "; torchaudio float32 max " << ta_max << " median " << ta_median << "\n";
  EXPECT_LE(ours_max, 1.5 * ta_max);
  EXPECT_LE(ours_median, 1.5 * ta_median);
}

}  // namespace
}  // namespace mulan::audio
