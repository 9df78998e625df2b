// The four `mulan eval` protocols end to end on a tiny random model and generated audio: the
// numbers against a direct computation (embed-audio / embed-text outputs, cosine and metrics
// in numpy/sklearn), the result JSON's provenance, the embedding cache, failures and errors.
#include "mulan/eval.h"

#include <gtest/gtest.h>
#include <sndfile.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <regex>

#include "metrics/metrics.h"
#include "eval/probe.h"
#include "mulan/error.h"
#include "mulan/npy.h"
#include "support/test_support.h"

namespace mulan::eval {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::run_cli;
using test::shell_quote;

json read_json(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  return json::parse(in);
}

void write_text(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

// Recording i: music, a tone or noise (i % 3), 2.5 s at 16 kHz.
void write_clip(const std::string& path, int i, double freq_shift = 0) {
  const int rate = 16000;
  std::vector<float> x = i % 3 == 0   ? test::music(2.5, rate, static_cast<unsigned>(i + 1))
                         : i % 3 == 1 ? test::tone(220.0 * (1 + i % 4) + freq_shift, 2.5, rate)
                                      : test::noise(2.5, rate, static_cast<unsigned>(i + 1));
  test::write_audio(path, x, 1, rate, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
}
const char* kKinds[] = {"music", "tone", "noise"};

// One tiny model and ten clips for the whole suite: r0..r7 split "test", r8, r9 "train".
class EvalProtocols : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir;
    model_ = dir_->file("model");
    const auto r = run_cli("init --preset tiny --out " + shell_quote(model_) + " --seed 1");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    fs::create_directories(dir_->path() / "data" / "audio");
    manifest_ = dir_->file("data/manifest.jsonl");
    std::ofstream m(manifest_);
    for (int i = 0; i < 10; ++i) {
      const std::string file = "audio/r" + std::to_string(i) + ".wav";
      write_clip(dir_->file("data/" + file), i);
      json tags = {kKinds[i % 3], i % 2 ? "odd" : "even", "all"};
      m << json{{"id", std::string("r") + std::to_string(i)},
                {"audio", file},
                {"tags", tags},
                {"split", i < 8 ? "test" : "train"}}
               .dump()
        << "\n";
    }
    m.close();
    tags_ = dir_->file("data/tags.txt");
    write_text(tags_, "music\ntone\n  noise  \n\neven\nall\nclassical\n");
  }
  static void TearDownTestSuite() { delete dir_; }

  static std::string audio(int i) { return dir_->file("data/audio/r" + std::to_string(i) + ".wav"); }
  static std::string base_args(const std::string& cache) {
    return "--model " + shell_quote(model_) + " --cache " + shell_quote(cache);
  }
  // embed-audio of r0..r7 -> OUT.npy
  static void embed_test_audio(const std::string& out) {
    std::string files;
    for (int i = 0; i < 8; ++i) files.append(" ").append(shell_quote(audio(i)));
    const auto r = run_cli("embed-audio --model " + shell_quote(model_) + " --out " + shell_quote(out) + files);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void embed_text(const std::vector<std::string>& texts, const std::string& out) {
    std::string args;
    for (const auto& t : texts) args.append(" ").append(shell_quote(t));
    const auto r = run_cli("embed-text --model " + shell_quote(model_) + " --out " + shell_quote(out) + args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  static test::TempDir* dir_;
  static std::string model_, manifest_, tags_;
};
test::TempDir* EvalProtocols::dir_ = nullptr;
std::string EvalProtocols::model_, EvalProtocols::manifest_, EvalProtocols::tags_;

TEST_F(EvalProtocols, TaggingEqualsCosineAndSklearnOnTheEmbeddingsAndRecordsProvenance) {
  test::TempDir work;
  const std::string out = work.file("r.json");
  const auto r =
      run_cli("eval tagging " + base_args(work.file("cache")) + " --data " + shell_quote(manifest_) + " --tags " +
              shell_quote(tags_) + " --split test --prompt '{} sound' --per-tag --out " + shell_quote(out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("| **macro** (4 of 6 tags, 8 recordings)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("| noise | 2 |"), std::string::npos) << r.out;
  const json j = read_json(out);

  // The same numbers from embed-audio and embed-text outputs, cosine and sklearn in Python.
  const std::vector<std::string> tags = {"music", "tone", "noise", "even", "all", "classical"};
  embed_test_audio(work.file("a.npy"));
  std::vector<std::string> prompts;
  for (const auto& t : tags) prompts.push_back(t + " sound");
  embed_text(prompts, work.file("t.npy"));
  std::vector<int64_t> labels;
  for (int i = 0; i < 8; ++i) {
    for (const auto& t : tags) labels.push_back(t == kKinds[i % 3] || t == "all" || (t == "even" && i % 2 == 0));
  }
  write_npy(work.file("y.npy"), torch::tensor(labels).reshape({8, 6}));
  const auto py = test::run_python(
      "metrics_reference.py", "zeroshot " + shell_quote(work.file("a.npy")) + " " + shell_quote(work.file("t.npy")) +
                                  " " + shell_quote(work.file("y.npy")) + " " + shell_quote(work.file("want.json")));
  ASSERT_EQ(py.exit_code, 0) << py.err;
  const json want = read_json(work.file("want.json"));
  EXPECT_NEAR(j["macro_roc_auc"].get<double>(), want["macro_roc_auc"].get<double>(), 1e-9);
  EXPECT_NEAR(j["macro_pr_auc"].get<double>(), want["macro_ap"].get<double>(), 1e-9);
  for (std::size_t k = 0; k < tags.size(); ++k) {
    const json& got = j["tags"][tags[k]];
    if (want["roc_auc"][k].is_null()) {
      EXPECT_TRUE(got["roc_auc"].is_null()) << tags[k];
      EXPECT_TRUE(got["pr_auc"].is_null()) << tags[k];
    } else {
      EXPECT_NEAR(got["roc_auc"].get<double>(), want["roc_auc"][k].get<double>(), 1e-9) << tags[k];
      EXPECT_NEAR(got["pr_auc"].get<double>(), want["ap"][k].get<double>(), 1e-9) << tags[k];
    }
  }
  EXPECT_EQ(j["tags"]["music"]["positives"], 3);
  EXPECT_EQ(j["n_tags"], 6);
  EXPECT_EQ(j["n_tags_excluded"], 2);  // "all" has no negative, "classical" no positive
  EXPECT_EQ(j["excluded_tags"], json({"all", "classical"}));
  EXPECT_EQ(j["n_recordings"], 8);
  EXPECT_EQ(j["n_failed"], 0);

  // Provenance.
  const auto hash = test::run_python("metrics_reference.py", "model-hash " + shell_quote(model_));
  ASSERT_EQ(hash.exit_code, 0) << hash.err;
  EXPECT_EQ(j["protocol"], "tagging");
  EXPECT_EQ(j["model"]["hash"].get<std::string>() + "\n", hash.out);
  EXPECT_EQ(j["model"]["name"], "model");
  EXPECT_EQ(j["model"]["dir"], fs::absolute(model_).lexically_normal().string());
  EXPECT_EQ(j["dataset"], "data");  // the manifest's folder
  EXPECT_EQ(j["data"]["manifest"], manifest_);
  EXPECT_EQ(j["data"]["split"], "test");
  EXPECT_EQ(j["data"]["prompt"], "{} sound");
  EXPECT_TRUE(std::regex_match(j["date"].get<std::string>(), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")));
  EXPECT_FALSE(j["mulan_version"].get<std::string>().empty());
}

TEST_F(EvalProtocols, CacheIsReusedInvalidatedByAChangedFileAndRecomputesCorruptEntries) {
  test::TempDir work;
  fs::create_directories(work.path() / "audio");
  std::ofstream m(work.file("m.jsonl"));
  for (int i = 0; i < 4; ++i) {
    fs::copy_file(audio(i), work.file("audio/" + std::to_string(i) + ".wav"));
    m << json{{"id", std::to_string(i)}, {"audio", "audio/" + std::to_string(i) + ".wav"}, {"tags", {kKinds[i % 3]}}}
             .dump()
      << "\n";
  }
  m.close();
  const std::string cache = work.file("cache");
  const auto run = [&] {
    const auto r = run_cli("eval tagging " + base_args(cache) + " --data " + shell_quote(work.file("m.jsonl")) +
                           " --tags " + shell_quote(tags_) + " --out -");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out);
  };
  const json first = run();
  EXPECT_EQ(first["cache"]["computed"], 4);
  EXPECT_EQ(first["cache"]["hits"], 0);
  EXPECT_EQ(first["cache"]["dir"], fs::absolute(cache).lexically_normal().string());
  const json second = run();
  EXPECT_EQ(second["cache"]["hits"], 4);
  EXPECT_EQ(second["cache"]["computed"], 0);
  EXPECT_EQ(second["macro_roc_auc"], first["macro_roc_auc"]);
  EXPECT_EQ(second["macro_pr_auc"], first["macro_pr_auc"]);

  // A changed file (new content, new mtime) is embedded again.
  write_clip(work.file("audio/1.wav"), 1, /*freq_shift=*/333);
  fs::last_write_time(work.file("audio/1.wav"), fs::file_time_type::clock::now() + std::chrono::seconds(5));
  const json third = run();
  EXPECT_EQ(third["cache"]["hits"], 3);
  EXPECT_EQ(third["cache"]["computed"], 1);

  // Corrupt entries (a flipped byte, a truncated file) are recomputed, not trusted.
  std::vector<fs::path> entries;
  for (const auto& e : fs::recursive_directory_iterator(cache)) {
    if (e.path().extension() == ".emb") entries.push_back(e.path());
  }
  ASSERT_EQ(entries.size(), 5u);  // four files, one of them in two versions
  int corrupted = 0;
  for (const auto& p : entries) {
    std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(-100, std::ios::end);
    char c = 0;
    f.read(&c, 1);
    c = static_cast<char>(c ^ 0x40);
    f.seekp(-100, std::ios::end);
    f.write(&c, 1);
    f.close();
    if (++corrupted == 2) break;
  }
  fs::resize_file(entries[2], 10);
  const json fourth = run();
  EXPECT_GE(fourth["cache"]["corrupt"].get<int>(), 2);  // at most one of the three was the stale version
  EXPECT_EQ(fourth["cache"]["hits"].get<int>() + fourth["cache"]["computed"].get<int>(), 4);
  EXPECT_EQ(fourth["cache"]["computed"], fourth["cache"]["corrupt"]);
  EXPECT_EQ(fourth["macro_roc_auc"], third["macro_roc_auc"]);
  const json fifth = run();
  EXPECT_EQ(fifth["cache"]["hits"], 4);
  EXPECT_EQ(fifth["cache"]["corrupt"], 0);
}

TEST_F(EvalProtocols, ConcurrentRunsShareACacheWithoutCorruptingIt) {
  test::TempDir work;
  const std::string cache = work.file("cache");
  const std::string cmd = shell_quote(MULAN_CLI) + " eval tagging " + base_args(cache) + " --data " +
                          shell_quote(manifest_) + " --tags " + shell_quote(tags_) + " --split test --out ";
  const auto r = test::run_command(cmd + shell_quote(work.file("a.json")) + " & " + cmd +
                                   shell_quote(work.file("b.json")) + " & wait");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json a = read_json(work.file("a.json")), b = read_json(work.file("b.json"));
  EXPECT_EQ(a["macro_roc_auc"], b["macro_roc_auc"]);
  const auto again = run_cli("eval tagging " + base_args(cache) + " --data " + shell_quote(manifest_) + " --tags " +
                             shell_quote(tags_) + " --split test --out -");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  const json c = json::parse(again.out);
  EXPECT_EQ(c["cache"]["hits"], 8);
  EXPECT_EQ(c["cache"]["corrupt"], 0);
  EXPECT_EQ(c["macro_roc_auc"], a["macro_roc_auc"]);
}

TEST_F(EvalProtocols, FailedRecordingsAndBadRowsAreReportedCountedAndExitOne) {
  test::TempDir work;
  write_text(work.file("junk.wav"), "not audio at all");
  std::ofstream m(work.file("m.jsonl"));
  m << json{{"id", "a"}, {"audio", audio(0)}, {"tags", {"music"}}}.dump() << "\n"
    << json{{"id", "b"}, {"audio", audio(1)}, {"tags", {"tone"}}}.dump() << "\n"
    << json{{"id", "j"}, {"audio", work.file("junk.wav")}, {"tags", {"music"}}}.dump() << "\n"
    << json{{"id", "gone"}, {"audio", work.file("gone.wav")}, {"tags", {"tone"}}}.dump() << "\n";
  m.close();
  const auto r =
      run_cli("eval tagging " + base_args(work.file("cache")) + " --data " + shell_quote(work.file("m.jsonl")) +
              " --tags " + shell_quote(tags_) + " --out " + shell_quote(work.file("r.json")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("junk.wav"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("m.jsonl:4"), std::string::npos) << r.err;  // the row of the missing file
  const json j = read_json(work.file("r.json"));                   // written all the same
  EXPECT_EQ(j["n_failed"], 1);
  EXPECT_EQ(j["failed"][0]["path"], work.file("junk.wav"));
  EXPECT_EQ(j["n_bad_rows"], 1);
  EXPECT_EQ(j["n_recordings"], 2);
}

TEST_F(EvalProtocols, BadInputIsAnErrorNamingFileAndLine) {
  test::TempDir work;
  const std::string base = "eval tagging " + base_args(work.file("cache")) + " --data " + shell_quote(manifest_);
  auto r = run_cli(base + " --tags " + shell_quote(work.file("nope.txt")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("nope.txt"), std::string::npos) << r.err;
  write_text(work.file("dup.txt"), "rock\njazz\nrock\n");
  r = run_cli(base + " --tags " + shell_quote(work.file("dup.txt")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("dup.txt:3: duplicate tag 'rock'"), std::string::npos) << r.err;
  r = run_cli(base + " --tags " + shell_quote(tags_) + " --prompt 'no placeholder'");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  r = run_cli(base + " --tags " + shell_quote(tags_) + " --field genre");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  r = run_cli(base + " --tags " + shell_quote(tags_) + " --split nosuchsplit");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("nosuchsplit"), std::string::npos) << r.err;

  const std::vector<std::pair<std::string, std::string>> bad_csv = {
      {"anchor,pos,neg\na,b,c\nx,\"y\"z,w\n", "t.csv:3: text after a closing quote"},
      {"anchor,pos,neg\na,\"b,c\n", "t.csv:2: unterminated quoted field"},
      {"anchor,pos,neg\na,b,c\n\na,b\n", "t.csv:4: 2 fields, but the header has 3"},
      {"anchor,positive,neg\na,b,c\n", "t.csv:1: the header must name the columns anchor, pos and neg"},
      {"anchor,pos,neg\na,b,\n", "t.csv:2: empty neg text"},
      {"anchor,pos,neg\na,b\"c,d\n", "t.csv:2: a quote inside an unquoted field"},
  };
  for (const auto& [text, message] : bad_csv) {
    write_text(work.file("t.csv"), text);
    r = run_cli("eval triplets --model " + shell_quote(model_) + " --triplets " + shell_quote(work.file("t.csv")));
    EXPECT_EQ(r.exit_code, 1) << text;
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
  }
}

TEST(TripletsCsv, ReadsQuotedFieldsInAnyColumnOrder) {
  test::TempDir work;
  write_text(work.file("t.csv"),
             "\xEF\xBB\xBFneg,Anchor,pos,note\r\n"
             "jazz,\"rock, loud\",\"heavy \"\"rock\"\"\",x\r\n"
             "\r\n"
             "\"two\nlines\",calm,quiet,\n"
             "a,b,c,\"\"");
  const std::vector<Triplet> t = read_triplets_csv(work.file("t.csv"));
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0].anchor, "rock, loud");
  EXPECT_EQ(t[0].pos, "heavy \"rock\"");
  EXPECT_EQ(t[0].neg, "jazz");
  EXPECT_EQ(t[0].line, 2);
  EXPECT_EQ(t[1].neg, "two\nlines");
  EXPECT_EQ(t[1].line, 4);
  EXPECT_EQ(t[2].anchor, "b");
  EXPECT_EQ(t[2].line, 6);
}

TEST_F(EvalProtocols, TripletAccuracyEqualsDirectCosinesAndTiesAreWrong) {
  test::TempDir work;
  write_text(work.file("t.csv"),
             "anchor,pos,neg\r\n"
             "\"rock, loud\",\"heavy \"\"rock\"\"\",soft jazz\r\n"
             "calm piano,quiet piano,\"loud\ndrums\"\r\n"
             "happy song,sad song,angry song\r\n"
             "techno,fast beat,fast beat\r\n");
  const auto r =
      run_cli("eval triplets --model " + shell_quote(model_) + " --triplets " + shell_quote(work.file("t.csv")) +
              " --dataset Triplets-X --model-name tiny --out " + shell_quote(work.file("r.json")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = read_json(work.file("r.json"));
  const std::vector<std::array<std::string, 3>> rows = {{"rock, loud", "heavy \"rock\"", "soft jazz"},
                                                        {"calm piano", "quiet piano", "loud\ndrums"},
                                                        {"happy song", "sad song", "angry song"},
                                                        {"techno", "fast beat", "fast beat"}};
  std::vector<std::string> texts;
  for (const auto& row : rows) texts.insert(texts.end(), row.begin(), row.end());
  embed_text(texts, work.file("e.npy"));
  const at::Tensor e = torch::nn::functional::normalize(read_npy(work.file("e.npy")).to(torch::kFloat64),
                                                        torch::nn::functional::NormalizeFuncOptions().dim(1));
  int correct = 0;
  for (int i = 0; i < 4; ++i) {
    correct += torch::dot(e[3 * i], e[3 * i + 1]).item<double>() > torch::dot(e[3 * i], e[3 * i + 2]).item<double>();
  }
  EXPECT_EQ(j["n_triplets"], 4);
  EXPECT_EQ(j["n_ties"], 1);
  EXPECT_EQ(j["n_correct"], correct);
  EXPECT_DOUBLE_EQ(j["accuracy"].get<double>(), correct / 4.0);
  EXPECT_EQ(j["protocol"], "triplets");
  EXPECT_EQ(j["dataset"], "Triplets-X");
  EXPECT_EQ(j["model"]["name"], "tiny");
  EXPECT_EQ(j["data"]["triplets"], work.file("t.csv"));
}

TEST_F(EvalProtocols, RetrievalEqualsSklearnOnTheEmbeddingsAndCountsDroppedTargets) {
  test::TempDir work;
  write_text(work.file("q.jsonl"),
             json{{"id", "q1"}, {"text", "music"}, {"targets", {"r0", "r3", "r6", "ghost"}}}.dump() + "\n" +
                 json{{"id", "q2"}, {"text", "white noise"}, {"targets", {"r2", "r5"}}}.dump() + "\n" +
                 json{{"id", "q3"}, {"text", "nothing"}, {"targets", {"ghost2"}}}.dump() + "\n" +
                 json{{"id", "q4"}, {"text", "training clip"}, {"targets", {"r8"}}}.dump() + "\n");
  const auto r = run_cli("eval retrieval " + base_args(work.file("cache")) + " --data " + shell_quote(manifest_) +
                         " --queries " + shell_quote(work.file("q.jsonl")) + " --split test --per-query --out " +
                         shell_quote(work.file("r.json")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = read_json(work.file("r.json"));
  EXPECT_EQ(j["n_queries"], 2);
  EXPECT_EQ(j["n_queries_total"], 4);
  EXPECT_EQ(j["n_queries_excluded"], 2);
  EXPECT_EQ(j["n_targets_dropped"], 3);  // ghost, ghost2, and r8 of the train split
  EXPECT_EQ(j["n_recordings"], 8);
  EXPECT_EQ(j["protocol"], "retrieval");
  EXPECT_EQ(j["data"]["queries"], work.file("q.jsonl"));

  embed_test_audio(work.file("a.npy"));
  embed_text({"music", "white noise"}, work.file("t.npy"));
  std::vector<int64_t> rel(16, 0);
  for (int i : {0, 3, 6}) rel[i] = 1;
  for (int i : {2, 5}) rel[8 + i] = 1;
  write_npy(work.file("rel.npy"), torch::tensor(rel).reshape({2, 8}));
  const auto py =
      test::run_python("metrics_reference.py",
                       "retrieval-emb " + shell_quote(work.file("t.npy")) + " " + shell_quote(work.file("a.npy")) +
                           " " + shell_quote(work.file("rel.npy")) + " " + shell_quote(work.file("want.json")));
  ASSERT_EQ(py.exit_code, 0) << py.err;
  const json want = read_json(work.file("want.json"));
  for (const char* key : {"roc_auc", "r_at_1", "r_at_5", "r_at_10", "median_rank"}) {
    EXPECT_NEAR(j[key].get<double>(), want[key].get<double>(), 1e-9) << key;
  }
  EXPECT_NEAR(j["map"].get<double>(), want["ap"].get<double>(), 1e-9);
  EXPECT_EQ(j["queries"][0]["first_rank"], want["queries"][0]["first_rank"]);
  EXPECT_TRUE(j["queries"][2]["excluded"].get<bool>());
}

// A manifest of 30 clips for the probe: kind tags, splits train (0-19), val (20-23), test (24-29).
std::string probe_manifest(const test::TempDir& work, bool with_val) {
  fs::create_directories(work.path() / "audio");
  const std::string path = work.file(with_val ? "probe_val.jsonl" : "probe.jsonl");
  std::ofstream m(path);
  for (int i = 0; i < 30; ++i) {
    const std::string file = work.file("audio/p" + std::to_string(i) + ".wav");
    if (!fs::exists(file)) write_clip(file, i);
    const std::string split = i < 20 ? "train" : i < 24 ? (with_val ? "val" : "train") : "test";
    m << json{{"id", std::string("p") + std::to_string(i)},
              {"audio", file},
              {"tags", {kKinds[i % 3], i % 2 ? "odd" : "even"}},
              {"split", split}}
             .dump()
      << "\n";
  }
  return path;
}

TEST_F(EvalProtocols, ProbeChoosesL2OnValidationAndReportsTestMetrics) {
  test::TempDir work;
  const std::string with_val = probe_manifest(work, true), without = probe_manifest(work, false);
  const std::string base = "eval probe " + base_args(work.file("cache")) + " --l2 1e-4,1e-2,1 --test-split test ";
  auto r = run_cli(base + "--train " + shell_quote(with_val) + " --test " + shell_quote(with_val) +
                   " --per-tag --out " + shell_quote(work.file("a.json")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = read_json(work.file("a.json"));
  EXPECT_EQ(j["protocol"], "probe");
  EXPECT_EQ(j["validation"]["source"], "split=val rows of the train manifest");
  EXPECT_EQ(j["n_train"], 20);
  EXPECT_EQ(j["n_val"], 4);
  EXPECT_EQ(j["n_test"], 6);
  EXPECT_EQ(j["grid"].size(), 3u);
  const double l2 = j["l2"].get<double>();
  EXPECT_TRUE(l2 == 1e-4 || l2 == 1e-2 || l2 == 1.0) << l2;
  EXPECT_NEAR(j["sklearn_C"].get<double>(), 1.0 / (l2 * 20), 1e-12);
  EXPECT_GE(j["roc_auc"].get<double>(), 0.0);
  EXPECT_LE(j["roc_auc"].get<double>(), 1.0);
  EXPECT_TRUE(j["map"].is_number());
  EXPECT_EQ(j["n_tags"], 5);
  EXPECT_TRUE(j["tags"].contains("music"));

  // Without split=="val" rows: a seeded 10% hold-out of train, the final fit on all of train.
  r = run_cli(base + "--train " + shell_quote(without) + " --test " + shell_quote(without) + " --seed 3 --out -");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  j = json::parse(r.out);
  EXPECT_EQ(j["validation"]["source"], "seeded hold-out of train");
  EXPECT_EQ(j["validation"]["seed"], 3);
  EXPECT_EQ(j["n_val"], 2);
  EXPECT_EQ(j["n_train"], 24);

  // Test recordings that are also training data: refused.
  r = run_cli("eval probe " + base_args(work.file("cache")) + " --train " + shell_quote(without) + " --test " +
              shell_quote(without));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("also training"), std::string::npos) << r.err;
}

// The probe's optimum against sklearn's LogisticRegression (one-vs-rest, C = 1 / (l2 N), solved
// exactly by newton-cholesky) on a synthetic problem, with raw Gaussian features and with
// unit-length ones like embeddings. Test probabilities agree within 1e-6 (measured: at most
// 1.0e-7), test ROC-AUC within 0.01.
TEST(LinearProbe, MatchesSklearnLogisticRegression) {
  test::TempDir work;
  torch::manual_seed(5);
  for (const bool unit : {false, true}) {
    const int64_t n = 400, d = unit ? 32 : 8, k = 3;
    at::Tensor x = torch::randn({n, d}, torch::kFloat64), xt = torch::randn({200, d}, torch::kFloat64);
    if (unit) {
      x = x / x.norm(2, 1, true);
      xt = xt / xt.norm(2, 1, true);
    }
    const at::Tensor w = torch::randn({d, k}, torch::kFloat64) * (unit ? 8.0 : 1.5);
    const at::Tensor b = torch::tensor({-1.0, 0.0, 1.0}, torch::kFloat64);
    const at::Tensor y = torch::bernoulli(torch::sigmoid(torch::addmm(b, x, w)));
    const at::Tensor yt = torch::bernoulli(torch::sigmoid(torch::addmm(b, xt, w))).to(torch::kUInt8).contiguous();
    write_npy(work.file("x.npy"), x);
    write_npy(work.file("y.npy"), y.to(torch::kInt64));
    write_npy(work.file("xt.npy"), xt);
    for (const double l2 : unit ? std::vector<double>{1e-5, 1e-3} : std::vector<double>{1e-3, 1e-1}) {
      const LinearProbe probe = fit_linear_probe(x, y, l2);
      const at::Tensor p = probe.predict_proba(xt).contiguous();
      char c[64];
      std::snprintf(c, sizeof c, "%.17g", sklearn_c(l2, n));
      const auto py = test::run_python(
          "probe_reference.py", shell_quote(work.file("x.npy")) + " " + shell_quote(work.file("y.npy")) + " " +
                                    shell_quote(work.file("xt.npy")) + " " + c + " " + shell_quote(work.file("p.npy")));
      ASSERT_EQ(py.exit_code, 0) << py.err;
      const at::Tensor want = read_npy(work.file("p.npy"));
      const double diff = (p - want).abs().max().item<double>();
      std::cout << "probe vs sklearn: unit=" << unit << " l2=" << l2 << " max |p - p_sklearn| = " << diff
                << " (L-BFGS iterations " << probe.iterations << ")\n";
      EXPECT_LT(diff, 1e-6) << "unit=" << unit << " l2=" << l2;  // measured: 7e-9 to 1.0e-7
      for (int64_t j = 0; j < k; ++j) {
        const at::Tensor pj = p.select(1, j).contiguous(), wj = want.select(1, j).contiguous();
        const at::Tensor yj = yt.select(1, j).contiguous();
        const std::span<const uint8_t> labels(yj.data_ptr<uint8_t>(), 200);
        const auto ours = roc_auc(std::span<const double>(pj.data_ptr<double>(), 200), labels);
        const auto theirs = roc_auc(std::span<const double>(wj.data_ptr<double>(), 200), labels);
        ASSERT_TRUE(ours && theirs);
        EXPECT_NEAR(*ours, *theirs, 0.01);
      }
    }
  }
}

TEST(LinearProbe, RefusesAOneClassColumnAndChoosesL2ByValidationRocAuc) {
  const at::Tensor x = torch::randn({20, 4}, torch::kFloat64);
  at::Tensor y = torch::zeros({20, 2}, torch::kFloat64);
  y.index_put_({torch::indexing::Slice(0, 10), 0}, 1);
  EXPECT_THROW(fit_linear_probe(x, y, 1e-2), Error);  // column 1 has no positive
  // y = (x0 - x1 > 0) with x1 = x0 + noise: only weak regularisation finds the direction
  // (x0 - x1); strong shrinkage leaves the gradient at zero, dominated by x0, unrelated to y.
  torch::manual_seed(1);
  const auto make = [](int64_t n) {
    const at::Tensor x0 = torch::randn({n}, torch::kFloat64), noise = torch::randn({n}, torch::kFloat64);
    const at::Tensor xx = torch::stack({x0, x0 + 0.3 * noise}, 1);
    return std::pair{xx, (noise < 0).to(torch::kFloat64).unsqueeze(1)};
  };
  const auto [xs, ys] = make(300);
  const auto [xv, yv] = make(200);
  const L2Choice c = choose_l2(xs, ys, xv, yv, {1e-5, 1e2});
  ASSERT_EQ(c.trials.size(), 2u);
  EXPECT_GT(c.trials[0].val_macro_roc_auc, 0.99);
  EXPECT_LT(c.trials[1].val_macro_roc_auc, 0.9);
  EXPECT_EQ(c.l2, 1e-5);
  // In one dimension every l2 ranks alike: the tie goes to the stronger regularisation.
  const L2Choice tie = choose_l2(xs.slice(1, 0, 1), ys, xv.slice(1, 0, 1), yv, {1e-3, 1e-1});
  EXPECT_EQ(tie.trials[0].val_macro_roc_auc, tie.trials[1].val_macro_roc_auc);
  EXPECT_EQ(tie.l2, 1e-1);
}

}  // namespace
}  // namespace mulan::eval
