// Golden tests of the real binary: mulan embed-audio.
#include <gtest/gtest.h>
#include <sndfile.h>
#include <torch/torch.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "mulan/npy.h"
#include "support/test_support.h"

namespace mulan {
namespace {

using test::run_cli;
using test::shell_quote;

TEST(CliEmbedAudio, EmbedsInOrderSkipsBadFilesAndExitsWithOne) {
  test::TempDir dir;
  const std::string m = dir.file("m");
  ASSERT_EQ(run_cli("init --preset tiny --out " + shell_quote(m)).exit_code, 0);
  const std::string a = dir.file("a.flac"), b = dir.file("b.wav"), bad = dir.file("bad.mp3");
  test::write_audio(a, test::music(23.0, 44100, 1), 1, 44100, SF_FORMAT_FLAC | SF_FORMAT_PCM_16);
  test::write_audio(b, test::noise(4.0, 16000, 2), 1, 16000, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  std::ofstream(bad) << "junk";

  auto r = run_cli("embed-audio --model " + shell_quote(m) + " --windows " + shell_quote(a) + " " + shell_quote(bad) +
                   " " + shell_quote(b));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("bad.mp3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("1 of 3 files could not be embedded"), std::string::npos) << r.err;
  std::istringstream lines(r.out);
  std::vector<nlohmann::json> rows;
  for (std::string line; std::getline(lines, line);) rows.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["path"], a);
  EXPECT_EQ(rows[1]["path"], b);
  // 23 s = 2297 frames in the tiny preset's 500-frame (5 s) windows: 0, 5, 10, 15 and 17.97 s
  // (end-aligned).
  ASSERT_EQ(rows[0]["windows"].size(), 5u);
  EXPECT_DOUBLE_EQ(rows[0]["windows"][3]["start_s"].get<double>(), 15.0);
  EXPECT_DOUBLE_EQ(rows[0]["windows"][4]["start_s"].get<double>(), 17.97);
  EXPECT_EQ(rows[1]["windows"].size(), 1u);
  EXPECT_EQ(rows[0]["embedding"].size(), 128u);

  const std::string out = dir.file("e.npy");
  r = run_cli("embed-audio --model " + shell_quote(m) + " --batch 2 --threads 2 --out " + shell_quote(out) + " " +
              shell_quote(a) + " " + shell_quote(b));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const at::Tensor e = read_npy(out);
  ASSERT_EQ(e.sizes(), (at::IntArrayRef{2, 128}));
  for (int64_t i = 0; i < 2; ++i) {
    const auto want = rows[static_cast<size_t>(i)]["embedding"].get<std::vector<float>>();
    EXPECT_LE((e[i] - torch::tensor(want)).abs().max().item<double>(), 1e-5);
  }
  const auto index = nlohmann::json::parse(std::ifstream(out + ".json"));
  EXPECT_EQ(index[1]["path"], b);
}

}  // namespace
}  // namespace mulan
