// Golden tests of the real binary: mulan init, mulan embed-text.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <fstream>
#include <sstream>

#include "mulan/model.h"
#include "mulan/npy.h"
#include "mulan/tokenizer.h"
#include "support/test_support.h"

namespace mulan {
namespace {

using test::run_cli;
using test::shell_quote;

TEST(CliInit, WritesAModelDirectoryAndRefusesToOverwriteIt) {
  test::TempDir dir;
  const std::string m = dir.file("m");
  auto r = run_cli("init --preset tiny --out " + shell_quote(m) + " --seed 3");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* f : {"config.json", "model.safetensors", "vocab.txt"}) EXPECT_TRUE(std::filesystem::exists(m + "/" + f)) << f;
  EXPECT_EQ(Model::load(m).config().text->num_hidden_layers, 2);

  r = run_cli("init --preset tiny --out " + shell_quote(m));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--force"), std::string::npos) << r.err;
  EXPECT_EQ(run_cli("init --preset tiny --out " + shell_quote(m) + " --force").exit_code, 0);
  EXPECT_EQ(run_cli("init --preset huge --out " + shell_quote(dir.file("x"))).exit_code, 2);
}

TEST(CliEmbedText, JsonLinesNpyAndStdinAgreeWithTheLibrary) {
  test::TempDir dir;
  const std::string m = dir.file("m");
  ASSERT_EQ(run_cli("init --preset tiny --out " + shell_quote(m)).exit_code, 0);
  const std::vector<std::string> texts = {"melancholic lo-fi piano for a rainy night", "rock", "Fast JAZZ with brass!"};

  auto r = run_cli("embed-text --model " + shell_quote(m) + " --batch 2 " + shell_quote(texts[0]) + " " +
                   shell_quote(texts[1]) + " " + shell_quote(texts[2]));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream lines(r.out);
  std::vector<nlohmann::json> rows;
  for (std::string line; std::getline(lines, line);) rows.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(rows.size(), 3u);

  const Model model = Model::load(m);
  const at::Tensor want = embed_texts(model, load_tokenizer(m, model), texts, 64);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(rows[i]["text"], texts[i]);
    const auto e = rows[i]["embedding"].get<std::vector<float>>();
    ASSERT_EQ(e.size(), 128u);
    EXPECT_LE((torch::tensor(e) - want[static_cast<int64_t>(i)]).abs().max().item<double>(), 1e-5);
  }

  const std::string input = dir.file("in.txt"), out = dir.file("e.npy");
  std::ofstream(input) << texts[0] << "\n" << texts[1] << "\n" << texts[2] << "\n";
  r = test::run_command(shell_quote(MULAN_CLI) + " embed-text --model " + shell_quote(m) + " --out " + shell_quote(out) +
                        " < " + shell_quote(input));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const at::Tensor e = read_npy(out);
  ASSERT_EQ(e.sizes(), (at::IntArrayRef{3, 128}));
  EXPECT_LE((e - want).abs().max().item<double>(), 1e-5);
  EXPECT_NEAR(e.norm(2, 1).min().item<double>(), 1.0, 1e-5);
}

TEST(CliEmbedText, MissingModelFailsWithOneLine) {
  const auto r = run_cli("embed-text --model /no/such/model hello");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find("/no/such/model"), std::string::npos);
}

}  // namespace
}  // namespace mulan

namespace mulan {
namespace {

TEST(CliQuantize, WritesAnInt8ModelThatEmbedsAndThatTrainingRefuses) {
  test::TempDir dir;
  const std::string m = dir.file("m"), q = dir.file("m-int8");
  ASSERT_EQ(test::run_cli("init --preset tiny --out " + test::shell_quote(m)).exit_code, 0);
  auto r = test::run_cli("quantize --model " + test::shell_quote(m) + " --out " + test::shell_quote(q));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(test::has_phrase(r.err, "weights in int8")) << r.err;
  EXPECT_TRUE(Model::load(q).is_int8());

  r = test::run_cli("embed-text --model " + test::shell_quote(q) + " 'slow sad piano in a minor key'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto e = nlohmann::json::parse(r.out.substr(0, r.out.find('\n')));
  EXPECT_EQ(e["embedding"].size(), 128u) << r.out;

  // An existing model is not clobbered without --force, nor the float model by itself.
  r = test::run_cli("quantize --model " + test::shell_quote(m) + " --out " + test::shell_quote(q));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(test::has_phrase(r.err, "--force")) << r.err;
  r = test::run_cli("quantize --model " + test::shell_quote(m) + " --out " + test::shell_quote(m) + " --force");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(test::has_phrase(r.err, "is the model directory itself")) << r.err;

  // Training refuses an int8 model before it writes anything.
  test::write_text(dir.file("data.jsonl"), "{\"audio\": \"a.wav\", \"texts\": [\"x\"]}\n");
  for (const char* cmd : {"train", "pretrain-tagger --labels /dev/null"}) {
    r = test::run_cli(std::string(cmd) + " --model " + test::shell_quote(q) + " --data " + test::shell_quote(dir.file("data.jsonl")) +
                      " --out " + test::shell_quote(dir.file("run")));
    EXPECT_EQ(r.exit_code, 2) << cmd << ": " << r.err;
    EXPECT_TRUE(test::has_phrase(r.err, "is an int8 model")) << cmd << ": " << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir.file("run"))) << cmd;
  }
}

}  // namespace
}  // namespace mulan
