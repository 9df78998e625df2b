// Both front ends against torchaudio (tests/python/frontend_reference.py runs the exact calls
// of docs/mulan-spec.md 1.1) on tones, noise, chirps, silence and music at several lengths.
// Tolerance: max |difference| of the log values <= 1e-3 wherever the mel power is at least
// 1e-8 of its frame's maximum (below that, float32 rounding of near-zero power dominates).
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

}  // namespace
}  // namespace mulan::audio
