// `mulan synth` end to end: same seed same bytes whatever --jobs, a manifest that validates
// (splits, held-out combinations, tags, queries), tempo tags that an onset detector agrees
// with, and clear errors. Skips without an installed SoundFont.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <set>
#include <sstream>

#include "mulan/audio.h"
#include "mulan/error.h"
#include "support/test_support.h"
#include "mulan/synth.h"

namespace mulan::synth {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::run_cli;
using test::shell_quote;

bool have_soundfont() {
  try {
    find_soundfont("");
    return true;
  } catch (const Error&) {
    return false;
  }
}

using test::slurp;

std::vector<json> read_jsonl(const fs::path& p) {
  std::vector<json> rows;
  std::ifstream in(p);
  int line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    EXPECT_NO_THROW(rows.push_back(json::parse(line))) << p << ":" << line_no;
  }
  return rows;
}

int lines(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }

TEST(SynthCli, SameSeedSameBytesWhateverTheJobs) {
  if (!have_soundfont()) GTEST_SKIP() << "no SoundFont installed";
  test::TempDir dir;
  const auto synth = [&](const std::string& out, int seed, int jobs) {
    const auto r = run_cli("synth --out " + shell_quote(dir.file(out)) + " --clips 12 --seconds 3 --seed " +
                           std::to_string(seed) + " --jobs " + std::to_string(jobs));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("synth: 12 clips"), std::string::npos) << r.err;  // the summary line
  };
  synth("a", 5, 1);
  synth("b", 5, 3);
  synth("c", 6, 2);
  const fs::path a = dir.path() / "a", b = dir.path() / "b", c = dir.path() / "c";
  for (const char* f : {"manifest.jsonl", "tags.txt", "queries.jsonl", "synth.json"})
    EXPECT_EQ(slurp(a / f), slurp(b / f)) << f;
  int files = 0;
  for (const auto& e : fs::directory_iterator(a / "audio")) {
    EXPECT_EQ(slurp(e.path()), slurp(b / "audio" / e.path().filename())) << e.path().filename();
    ++files;
  }
  EXPECT_EQ(files, 12);
  EXPECT_NE(slurp(a / "manifest.jsonl"), slurp(c / "manifest.jsonl"));
  EXPECT_NE(slurp(a / "audio" / "clip-000001.flac"), slurp(c / "audio" / "clip-000001.flac"));
}

// One corpus for the checks below: 60 clips of 8 s.
class SynthCorpus : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!have_soundfont()) return;
    dir_ = std::make_unique<test::TempDir>();
    result_ = run_cli("synth --out " + shell_quote(dir_->file("corpus")) + " --clips 60 --seconds 8 --seed 3 --jobs 2");
  }
  static void TearDownTestSuite() { dir_.reset(); }
  void SetUp() override {
    if (!dir_) GTEST_SKIP() << "no SoundFont installed";
    ASSERT_EQ(result_.exit_code, 0) << result_.err;
  }
  static fs::path root() { return dir_->path() / "corpus"; }
  static std::unique_ptr<test::TempDir> dir_;
  static test::CommandResult result_;
};
std::unique_ptr<test::TempDir> SynthCorpus::dir_;
test::CommandResult SynthCorpus::result_;

TEST_F(SynthCorpus, ManifestValidates) {
  EXPECT_EQ(lines(result_.err), 1) << result_.err;  // not a terminal: no progress bar, one summary line
  const auto rows = read_jsonl(root() / "manifest.jsonl");
  ASSERT_EQ(rows.size(), 60u);
  std::map<std::string, int> splits;
  std::set<std::string> ids, train_tags;
  std::set<std::pair<std::string, std::string>> seen_pairs, test_pairs;
  std::vector<std::set<std::string>> seen_tag_sets;  // of train and val clips
  for (const auto& r : rows) {
    for (const char* k : {"id", "audio", "texts", "tags", "labels", "split", "bpm", "factors"})
      ASSERT_TRUE(r.contains(k)) << k << " missing in " << r.dump();
    EXPECT_TRUE(ids.insert(r["id"].get<std::string>()).second);
    for (const char* form : {"sf", "lf", "pl", "aset"}) EXPECT_GE(r["texts"][form].size(), 2u) << form;
    const auto info = audio::probe((root() / r["audio"].get<std::string>()).string());
    EXPECT_EQ(info.sample_rate, 16000);
    EXPECT_EQ(info.channels, 1);
    EXPECT_EQ(info.frames, 8 * 16000);
    const std::string split = r["split"];
    ++splits[split];
    const auto pair = std::make_pair(r["factors"]["style"].get<std::string>(), r["factors"]["lead"].get<std::string>());
    if (split == "test") {
      test_pairs.insert(pair);
    } else {
      seen_pairs.insert(pair);
      seen_tag_sets.push_back(r["tags"].get<std::set<std::string>>());
    }
    if (split == "train")
      for (const auto& t : r["tags"]) train_tags.insert(t.get<std::string>());
    EXPECT_EQ(r["labels"], r["tags"]);
    EXPECT_EQ(r["bpm"], r["factors"]["bpm"]);
  }
  EXPECT_EQ(splits["train"], 42);
  EXPECT_EQ(splits["val"], 6);
  EXPECT_EQ(splits["test"], 12);
  // The test split's style x lead combinations never occur in train or val; no train or val
  // clip even has both tags (the instrument does not accompany that style there either).
  EXPECT_FALSE(test_pairs.empty());
  for (const auto& p : test_pairs) {
    EXPECT_FALSE(seen_pairs.count(p)) << p.first << " x " << p.second;
    for (const auto& t : seen_tag_sets)
      EXPECT_FALSE(t.count(p.first) && t.count(p.second)) << p.first << " and " << p.second << " in training";
  }
  // tags.txt: one tag a line, each used in training.
  std::istringstream tags(slurp(root() / "tags.txt"));
  int n = 0;
  for (std::string t; std::getline(tags, t); ++n) EXPECT_TRUE(train_tags.count(t)) << t;
  EXPECT_EQ(n, static_cast<int>(train_tags.size()));
  EXPECT_GE(n, 30);
}

TEST_F(SynthCorpus, QueriesTargetEveryTestClipWithTheirTagsAndUseUnseenPhrasing) {
  const auto rows = read_jsonl(root() / "manifest.jsonl");
  std::map<std::string, std::set<std::string>> test_tags;
  std::string texts;
  for (const auto& r : rows) {
    if (r["split"] == "test") test_tags[r["id"]] = r["tags"].get<std::set<std::string>>();
    for (const auto& [form, list] : r["texts"].items())
      for (const auto& t : list) texts += t.get<std::string>() + "\n";
  }
  const auto queries = read_jsonl(root() / "queries.jsonl");
  ASSERT_GE(queries.size(), 10u);
  std::set<std::string> phrasings;
  for (const auto& q : queries) {
    const std::string text = q["text"];
    ASSERT_FALSE(q["targets"].empty()) << text;
    EXPECT_EQ(texts.find(text), std::string::npos) << text;
    phrasings.insert(q["phrasing"].get<std::string>());
    const auto tags = q["tags"].get<std::vector<std::string>>();
    std::set<std::string> expected;
    for (const auto& [id, have] : test_tags)
      if (std::all_of(tags.begin(), tags.end(), [&](const std::string& t) { return have.count(t) > 0; }))
        expected.insert(id);
    EXPECT_EQ(q["targets"].get<std::set<std::string>>(), expected) << text;
  }
  EXPECT_EQ(phrasings, (std::set<std::string>{"tag words", "unseen words"}));
}

TEST_F(SynthCorpus, TempoTagsAgreeWithTheOnsetRateOfTheAudio) {
  const auto rows = read_jsonl(root() / "manifest.jsonl");
  test::TempDir tmp;
  std::string args;
  std::vector<std::string> tempo;
  for (const auto& r : rows) {
    const std::vector<float> x = audio::decode((root() / r["audio"].get<std::string>()).string());
    const std::string path = tmp.file(r["id"].get<std::string>() + ".f32");
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(x.data()), static_cast<std::streamsize>(x.size() * sizeof(float)));
    args += " " + shell_quote(path);
    tempo.push_back(r["factors"]["tempo"]);
  }
  const auto r = test::run_python("onset_rate.py", "16000" + args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto rates = json::parse(r.out).get<std::vector<double>>();
  ASSERT_EQ(rates.size(), tempo.size());
  std::vector<double> slow, fast;
  for (size_t i = 0; i < rates.size(); ++i) {
    if (tempo[i] == "slow") slow.push_back(rates[i]);
    if (tempo[i] == "fast") fast.push_back(rates[i]);
  }
  ASSERT_GE(slow.size(), 5u);
  ASSERT_GE(fast.size(), 5u);
  const auto mean = [](const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / v.size(); };
  EXPECT_GT(mean(fast), 1.4 * mean(slow)) << "slow " << mean(slow) << "/s, fast " << mean(fast) << "/s";
  // Across styles too: a random fast clip has more onsets than a random slow one most of the time.
  double wins = 0;
  for (double f : fast)
    for (double s : slow) wins += f > s ? 1 : f == s ? 0.5 : 0;
  EXPECT_GT(wins / static_cast<double>(fast.size() * slow.size()), 0.75);
}

TEST(SynthCli, BadArgumentsFailWithOneClearLine) {
  test::TempDir dir;
  const std::string out = shell_quote(dir.file("out"));
  auto r = run_cli("synth --out " + out + " --clips 0");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("--clips"), std::string::npos) << r.err;

  r = run_cli("synth --out " + out + " --clips many");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(lines(r.err), 1) << r.err;

  r = run_cli("synth --out " + out + " --clips 2 --soundfont " + shell_quote(dir.file("missing.sf2")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("SoundFont not found"), std::string::npos) << r.err;

  std::ofstream(dir.file("not.sf2")) << "this is not a SoundFont\n";
  r = run_cli("synth --out " + out + " --clips 2 --seconds 1 --soundfont " + shell_quote(dir.file("not.sf2")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("cannot load SoundFont"), std::string::npos) << r.err;

  if (!have_soundfont()) return;
  std::ofstream(dir.file("file")) << "x";
  r = run_cli("synth --out " + shell_quote(dir.file("file") + "/sub") + " --clips 2");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("cannot create output folder"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace mulan::synth
