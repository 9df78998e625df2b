// Golden tests of the real binary: mulan info and mulan mel, on good and bad files.
#include <gtest/gtest.h>
#include <sndfile.h>
#include <torch/torch.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "mulan/npy.h"
#include "support/test_support.h"

namespace mulan {
namespace {

using test::run_cli;
using test::shell_quote;

int count_lines(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }

TEST(CliInfo, PrintsTheHeaderAsJson) {
  test::TempDir dir;
  const std::string path = dir.file("a.flac");
  test::write_audio(path, std::vector<float>(2 * 44100, 0.25f), 2, 44100, SF_FORMAT_FLAC | SF_FORMAT_PCM_16);
  const auto r = run_cli("info " + shell_quote(path));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["sample_rate"], 44100);
  EXPECT_EQ(j["channels"], 2);
  EXPECT_EQ(j["frames"], 44100);
  EXPECT_DOUBLE_EQ(j["duration_s"].get<double>(), 1.0);
  EXPECT_EQ(j["format"], "flac");
}

TEST(CliMel, WritesTheSpectrogramOfTheRequestedPart) {
  test::TempDir dir;
  const std::string in = dir.file("m.wav"), out = dir.file("m.npy");
  test::write_audio(in, test::music(12.0, 44100), 1, 44100, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  auto r = run_cli("mel " + shell_quote(in) + " --frontend ast --out " + shell_quote(out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  at::Tensor mel = read_npy(out);
  EXPECT_EQ(mel.sizes(), (at::IntArrayRef{128, 1 + (12 * 16000 - 400) / 160}));

  r = run_cli("mel " + shell_quote(in) + " --frontend resnet --offset 2 --duration 10 --out " + shell_quote(out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  mel = read_npy(out);
  EXPECT_EQ(mel.sizes(), (at::IntArrayRef{64, 997}));
  EXPECT_TRUE(torch::isfinite(mel).all().item<bool>());
}

TEST(CliMel, SilenceGivesAFiniteSpectrogram) {
  test::TempDir dir;
  const std::string in = dir.file("s.wav"), out = dir.file("s.npy");
  test::write_audio(in, std::vector<float>(16000, 0.0f), 1, 16000, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  const auto r = run_cli("mel " + shell_quote(in) + " --frontend resnet --out " + shell_quote(out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(torch::isfinite(read_npy(out)).all().item<bool>());
}

TEST(CliErrors, BadFilesFailWithOneLineNamingTheFile) {
  test::TempDir dir;
  std::ofstream(dir.file("text.wav")) << "not audio at all";
  std::ofstream(dir.file("text.mp3")) << "not audio either, and libmpg123 gets to look at it";
  std::ofstream(dir.file("empty.flac")).close();
  std::vector<float> nan_samples(1000, 0.1f);
  nan_samples[10] = std::nanf("");
  test::write_audio(dir.file("nan.wav"), nan_samples, 1, 16000, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  test::write_audio(dir.file("tiny.wav"), std::vector<float>(100, 0.1f), 1, 16000, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  for (const std::string name : {"missing.wav", "text.wav", "text.mp3", "empty.flac", "nan.wav", "tiny.wav"}) {
    for (const std::string cmd : {"info", "mel"}) {
      if (cmd == "info" && (name == "nan.wav" || name == "tiny.wav")) continue;  // headers are fine
      SCOPED_TRACE(cmd + " " + name);
      const std::string path = dir.file(name);
      const std::string extra = cmd == "mel" ? " --frontend resnet --out " + shell_quote(dir.file("o.npy")) : "";
      const auto r = run_cli(cmd + " " + shell_quote(path) + extra);
      EXPECT_EQ(r.exit_code, 1);
      EXPECT_EQ(count_lines(r.err), 1) << r.err;
      EXPECT_NE(r.err.find(path), std::string::npos) << r.err;
      EXPECT_TRUE(r.out.empty());
    }
  }
  EXPECT_FALSE(std::filesystem::exists(dir.file("o.npy")));
}

TEST(CliErrors, WrongUsageExitsWithTwo) {
  test::TempDir dir;
  const std::string in = dir.file("a.wav");
  test::write_audio(in, std::vector<float>(16000, 0.1f), 1, 16000, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  for (const std::string& args : std::vector<std::string>{"", "frobnicate", "mel " + shell_quote(in) + " --frontend mfcc --out x.npy",
                                 "mel " + shell_quote(in) + " --frontend resnet",
                                 "mel " + shell_quote(in) + " --frontend resnet --offset -3 --out x.npy"}) {
    SCOPED_TRACE(args);
    const auto r = run_cli(args);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
  }
  EXPECT_EQ(run_cli("--help").exit_code, 0);
  EXPECT_EQ(run_cli("mel --help").exit_code, 0);
}

}  // namespace
}  // namespace mulan
