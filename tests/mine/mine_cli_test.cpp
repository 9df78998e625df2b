// mulan mine end to end, on a synthetic crawl whose generator wrote down what it put in
// (crawl-truth.json): the report's counts against that truth, the manifest trained on, an
// interrupted run resumed, a split run merged, a hostile crawl, WebDataset shards, the LF filter
// and the built-in detector's held-out accuracy.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "mulan/manifest.h"
#include "mulan/music_detector.h"
#include "mulan/text_mining.h"
#include "support/test_support.h"
#include "data/shards.h"

namespace mulan {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;
using test::shell_quote;

json read_json(const fs::path& p) { return json::parse(test::slurp(p)); }

std::map<std::string, json> rows_by_id(const fs::path& manifest) {
  std::map<std::string, json> m;
  for (const json& j : test::read_jsonl(manifest)) m[j.at("id").get<std::string>()] = j;
  return m;
}

class MineCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    auto r = test::run_cli("synth --crawl " + shell_quote(file("crawl")) +
                           " --recordings 36 --seed 5 --seconds-min 6 --seconds-max 14");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = test::run_cli("mine --crawl " + shell_quote(file("crawl/crawl.jsonl")) + " --out " + shell_quote(file("mined")) +
                      " --clip-seconds 8 --chunk 8 --shards --shard-clips 10");
    mine_ = new test::CommandResult(r);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    truth_ = new json(read_json(file("crawl/crawl-truth.json")));
    report_ = new json(read_json(file("mined/mining-report.json")));
  }
  static void TearDownTestSuite() {
    delete truth_;
    delete report_;
    delete mine_;
    delete dir_;
  }
  static std::string file(const std::string& name) { return dir_->file(name); }
  static test::TempDir* dir_;
  static test::CommandResult* mine_;
  static json* truth_;
  static json* report_;
};
test::TempDir* MineCli::dir_ = nullptr;
test::CommandResult* MineCli::mine_ = nullptr;
json* MineCli::truth_ = nullptr;
json* MineCli::report_ = nullptr;

TEST_F(MineCli, ReportCountsWhatTheCrawlGeneratorPutIn) {
  const json& t = *truth_;
  const json& r = *report_;
  EXPECT_EQ(r["rows"], t["recordings"]);
  EXPECT_EQ(r["rejected"]["malformed"], 0);
  EXPECT_EQ(r["rejected"]["unreadable"], t["kinds"]["unreadable"]);
  EXPECT_EQ(r["rejected"]["too_short"], t["kinds"]["too_short"]);
  // The detector: every recording it gets wrong counts against it; one mistake in 36 is allowed.
  const auto kept = rows_by_id(file("mined/manifest.jsonl"));
  int wrong = 0, music = 0;
  for (const json& row : t["rows"]) {
    const std::string kind = row["kind"];
    if (kind == "unreadable" || kind == "too_short") continue;
    const bool is_music = row["music"].get<bool>();
    music += is_music;
    wrong += is_music != (kept.count(row["id"].get<std::string>()) > 0);
  }
  EXPECT_LE(wrong, 1) << mine_->err;
  EXPECT_NEAR(r["rejected"]["not_music"].get<double>(), t["non_music"].get<double>(), 1.0);
  EXPECT_EQ(r["kept"].get<int>(), static_cast<int>(kept.size()));

  // SF and LF counts over the recordings kept, against the truth's own counts of them.
  int64_t sf_texts = 0, sf_tokens = 0, sf_after_texts = 0, sf_after_tokens = 0, lf_sentences = 0;
  std::map<std::string, const json*> truth_rows;
  for (const json& row : t["rows"]) truth_rows[row["id"].get<std::string>()] = &row;
  for (const auto& [id, row] : kept) {
    const json& tr = *truth_rows.at(id);
    std::set<std::string> seen;
    for (const json& sf : tr["sf"]) {
      if (!seen.insert(sf["text"].get<std::string>()).second) continue;  // mine drops a repeated text
      ++sf_texts;
      sf_tokens += sf["tokens"].get<int64_t>();
      if (sf["has_music"].get<bool>()) {
        ++sf_after_texts;
        sf_after_tokens += sf["tokens"].get<int64_t>() - sf["boilerplate_tokens"].get<int64_t>();
      }
    }
    lf_sentences += static_cast<int64_t>(tr["lf"].size());
  }
  // The generator counted its tokens with its own copy of the rule; the report's counter agrees.
  for (const json& row : t["rows"]) {
    for (const json& sf : row["sf"]) {
      EXPECT_EQ(text::count_tokens(sf["text"].get<std::string>()), sf["tokens"].get<int64_t>()) << sf["text"];
    }
  }
  EXPECT_EQ(r["sf"]["texts_before"].get<int64_t>(), sf_texts);
  EXPECT_EQ(r["sf"]["tokens_before"].get<int64_t>(), sf_tokens);
  // The rule filter removes the boilerplate the generator put in and keeps the texts with music.
  EXPECT_EQ(r["sf"]["texts_after"].get<int64_t>(), sf_after_texts);
  EXPECT_EQ(r["sf"]["tokens_after"].get<int64_t>(), sf_after_tokens);
  EXPECT_LT(r["sf"]["tokens_after"].get<int64_t>(), r["sf"]["tokens_before"].get<int64_t>());
  // The sentence splitter finds the sentences the generator wrote (repeats within a row count once).
  EXPECT_NEAR(r["lf"]["texts_before"].get<double>(), static_cast<double>(lf_sentences), 0.03 * lf_sentences);
  // Without an LF filter, LF passes through.
  EXPECT_EQ(r["lf"]["texts_after"], r["lf"]["texts_before"]);
  EXPECT_NE(mine_->err.find("SF"), std::string::npos) << "the table is printed";
}

TEST_F(MineCli, ManifestRowsKeepTheIdClipAndBothTextVariants) {
  const auto kept = rows_by_id(file("mined/manifest.jsonl"));
  ASSERT_FALSE(kept.empty());
  for (const auto& [id, row] : kept) {
    ASSERT_TRUE(row.contains("texts_raw")) << id;
    ASSERT_TRUE(row["audio"].get<std::string>().starts_with("clips/")) << id;
    const fs::path clip = fs::path(file("mined")) / row["audio"].get<std::string>();
    ASSERT_TRUE(fs::exists(clip)) << clip;
    EXPECT_LE(row["clip"]["duration_s"].get<double>(), 8.0);
    // The middle of the recording: offset = (length - clip) / 2.
    const double of = row["clip"]["of_s"].get<double>();
    if (of > 8) {
      EXPECT_NEAR(row["clip"]["offset_s"].get<double>(), (of - 8) / 2, 1e-3) << id;
    }
    EXPECT_GE(row["music"].get<double>(), 0.5);
  }
  const auto rejected = test::read_jsonl(file("mined/rejected.jsonl"));
  EXPECT_EQ(static_cast<int64_t>(rejected.size()), (*report_)["rows"].get<int64_t>() - (*report_)["kept"].get<int64_t>());
  for (const json& j : rejected) EXPECT_NE(j["where"].get<std::string>().find("crawl.jsonl:"), std::string::npos);
}

TEST_F(MineCli, MulanTrainTrainsOnTheMinedManifestFilteredAndRaw) {
  auto r = test::run_cli("init --preset tiny --out " + shell_quote(file("model")) + " --vocab-from " +
                         shell_quote(file("mined/manifest.jsonl")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = test::run_cli("train --model " + shell_quote(file("model")) + " --data " + shell_quote(file("mined/manifest.jsonl")) +
                    " --out " + shell_quote(file("run")) + " --steps 2 --batch 4 --no-progress --val-every 0");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  test::write_text(file("raw.json"), R"({"text_variant": "raw"})");
  r = test::run_cli("train --model " + shell_quote(file("model")) + " --data " + shell_quote(file("mined/manifest.jsonl")) +
                    " --config " + shell_quote(file("raw.json")) + " --out " + shell_quote(file("run-raw")) +
                    " --steps 2 --batch 4 --no-progress --val-every 0");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_json(file("run-raw/train.json"))["text_variant"], "raw");
  // The same rows, read both ways: raw texts are never fewer than filtered ones.
  data::ManifestOptions o;
  const auto filtered = data::read_manifest(file("mined/manifest.jsonl"), o);
  o.texts_field = "texts_raw";
  const auto raw = data::read_manifest(file("mined/manifest.jsonl"), o);
  ASSERT_EQ(filtered.rows.size(), raw.rows.size());
  std::size_t more = 0;
  for (std::size_t i = 0; i < raw.rows.size(); ++i) {
    EXPECT_GE(raw.rows[i].text_count(), filtered.rows[i].text_count());
    more += raw.rows[i].text_count() > filtered.rows[i].text_count();
  }
  EXPECT_GT(more, 0u);
}

TEST_F(MineCli, ShardsHoldEveryKeptClipForTheTrainer) {
  data::ManifestOptions o;
  o.require_texts = true;
  const data::Manifest m = data::read_shards(data::expand_shards(file("mined/shards")), o);
  EXPECT_TRUE(m.bad.empty()) << m.bad_summary();
  EXPECT_EQ(static_cast<int64_t>(m.rows.size()), (*report_)["kept"].get<int64_t>());
  EXPECT_GE(data::expand_shards(file("mined/shards")).size(), 2u);  // 10 clips a tar
  EXPECT_FALSE(data::load_audio(m.rows[0].audio).empty());
}

TEST_F(MineCli, ASecondRunOfAFinishedMiningChangesNothing) {
  const std::string before = test::slurp(file("mined/manifest.jsonl"));
  const auto r = test::run_cli("mine --crawl " + shell_quote(file("crawl/crawl.jsonl")) + " --out " + shell_quote(file("mined")) +
                               " --clip-seconds 8 --chunk 8 --shards --shard-clips 10");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("already complete"), std::string::npos) << r.err;
  EXPECT_EQ(test::slurp(file("mined/manifest.jsonl")), before);
  // Other options into the same folder are refused, naming the option.
  const auto other = test::run_cli("mine --crawl " + shell_quote(file("crawl/crawl.jsonl")) + " --out " +
                                   shell_quote(file("mined")) + " --clip-seconds 5");
  EXPECT_EQ(other.exit_code, 2) << other.err;
  EXPECT_NE(other.err.find("clip_seconds"), std::string::npos) << other.err;
}

TEST_F(MineCli, KilledMidRunResumesToTheSameOutput) {
  const std::string out = file("killed");
  const std::string cmd = std::string(MULAN_CLI) + " mine --crawl " + shell_quote(file("crawl/crawl.jsonl")) + " --out " +
                          shell_quote(out) + " --clip-seconds 8 --chunk 2 --jobs 1";
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", ("exec " + cmd + " 2>/dev/null").c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  // Kill it once a few chunks are saved (mine-state.json is written after each).
  bool killed = false;
  for (int i = 0; i < 3000 && !killed; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (fs::exists(out + "/mine-state.json")) {
      const json s = json::parse(test::slurp(out + "/mine-state.json"), nullptr, false);
      if (!s.is_discarded() && s["rows_done"].get<int64_t>() >= 6 && !s["finished"].get<bool>()) {
        kill(pid, SIGKILL);
        killed = true;
      }
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(killed) << "the run finished before it could be killed";
  const json s = read_json(out + "/mine-state.json");
  EXPECT_FALSE(s["finished"].get<bool>());
  const auto r = test::run_cli("mine --crawl " + shell_quote(file("crawl/crawl.jsonl")) + " --out " + shell_quote(out) +
                               " --clip-seconds 8 --chunk 2 --jobs 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("resuming"), std::string::npos) << r.err;
  EXPECT_EQ(test::slurp(out + "/manifest.jsonl"), test::slurp(file("mined/manifest.jsonl")));
  EXPECT_EQ(test::slurp(out + "/rejected.jsonl"), test::slurp(file("mined/rejected.jsonl")));
  const json rep = read_json(out + "/mining-report.json");
  EXPECT_EQ(rep["kept"], (*report_)["kept"]);
  EXPECT_EQ(rep["sf"], (*report_)["sf"]);
  EXPECT_TRUE(rep["resumed"].get<bool>());
}

TEST_F(MineCli, SplitAcrossProcessesThenMergedEqualsOneRun) {
  const std::string out = file("split");
  const std::string base = "mine --crawl " + shell_quote(file("crawl/crawl.jsonl")) + " --out " + shell_quote(out) +
                           " --clip-seconds 8";
  auto r = test::run_cli(base + " --shard 0/2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = test::run_cli("mine merge " + shell_quote(out));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--shard 1/2"), std::string::npos) << r.err;
  r = test::run_command("RANK=1 WORLD_SIZE=2 " + std::string(MULAN_CLI) + " " + base);  // torchrun's environment
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = test::run_cli("mine merge " + shell_quote(out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto one = rows_by_id(file("mined/manifest.jsonl")), merged = rows_by_id(out + "/manifest.jsonl");
  ASSERT_EQ(merged.size(), one.size());
  for (const auto& [id, row] : one) {
    ASSERT_TRUE(merged.count(id)) << id;
    EXPECT_EQ(merged.at(id)["texts"], row["texts"]) << id;
    EXPECT_TRUE(fs::exists(fs::path(out) / merged.at(id)["audio"].get<std::string>())) << id;
  }
  const json rep = read_json(out + "/mining-report.json");
  EXPECT_EQ(rep["rows"], (*report_)["rows"]);
  EXPECT_EQ(rep["sf"], (*report_)["sf"]);
}

TEST_F(MineCli, AHostileCrawlIsCountedNamedAndNeverCrashes) {
  // Real audio from the synthetic crawl, rows that are wrong in every way the issue lists.
  const json& t = *truth_;
  std::string music_audio;
  for (const json& row : t["rows"]) {
    if (row["kind"] == "music") {
      music_audio = fs::absolute(fs::path(file("crawl")) / test::read_jsonl(file("crawl/crawl.jsonl"))[0]["audio"].get<std::string>()).string();
      for (const json& c : test::read_jsonl(file("crawl/crawl.jsonl"))) {
        if (c["id"] == row["id"]) music_audio = (fs::path(file("crawl")) / c["audio"].get<std::string>()).string();
      }
      break;
    }
  }
  ASSERT_FALSE(music_audio.empty());
  test::write_text(file("garbage.flac"), std::string(5000, 'z'));
  const std::string big(5u << 20, 'd');
  std::string comments = "[";
  for (int i = 0; i < 10000; ++i) comments += std::string(i ? "," : "") + "\"great jazz piano " + std::to_string(i) + ".\"";
  comments += "]";
  std::string c;
  c += json({{"id", "ok"}, {"audio", music_audio}, {"title", "Smooth jazz piano (Official Video) HD"}}).dump() + "\n";
  c += "{broken json\n";
  c += json({{"id", "noaudio"}}).dump() + "\n";
  c += json({{"id", "missing"}, {"audio", "nowhere.flac"}, {"title", "jazz"}}).dump() + "\n";
  c += json({{"id", "garbage"}, {"audio", file("garbage.flac")}, {"title", "jazz"}}).dump() + "\n";
  c += "{\"id\": \"big\", \"audio\": " + json(music_audio).dump() + ", \"description\": \"" + big + "\", \"comments\": " + comments + "}\n";
  c += "{\"id\": \"utf\", \"audio\": " + json(music_audio).dump() + ", \"title\": \"rock \xFF\xFE guitar\", \"tags\": [\"jazz\"]}\n";
  c += json({{"id", "ok"}, {"audio", music_audio}}).dump() + "\n";  // a repeated id
  c += json({{"id", "types"}, {"audio", music_audio}, {"tags", {{"a", 1}}}}).dump() + "\n";
  c += "\n\n";
  test::write_text(file("hostile.jsonl"), c);
  const auto r = test::run_cli("mine --crawl " + shell_quote(file("hostile.jsonl")) + " --out " + shell_quote(file("hostile")) +
                               " --clip-seconds 8");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json rep = read_json(file("hostile/mining-report.json"));
  EXPECT_EQ(rep["rows"], 9);
  EXPECT_EQ(rep["rejected"]["malformed"], 4);   // broken JSON, no audio field, repeated id, wrong types
  EXPECT_EQ(rep["rejected"]["unreadable"], 2);  // missing file, garbage bytes
  EXPECT_EQ(rep["kept"], 3);                    // ok, big (capped), utf (its bad title dropped)
  EXPECT_EQ(rep["capped_rows"], 1);
  EXPECT_EQ(rep["invalid_utf8_texts"], 1);
  const auto kept = rows_by_id(file("hostile/manifest.jsonl"));
  ASSERT_TRUE(kept.count("big"));
  EXPECT_LE(kept.at("big")["texts_raw"]["lf"].size(), 501u);  // description + the first 500 comments
  ASSERT_TRUE(kept.count("utf"));
  EXPECT_EQ(kept.at("utf")["texts_raw"]["sf"], json({"jazz"}));
  const auto rejected = test::read_jsonl(file("hostile/rejected.jsonl"));
  ASSERT_EQ(rejected.size(), 6u);
  EXPECT_EQ(rejected[0]["where"], file("hostile.jsonl") + ":2");
  EXPECT_EQ(rejected[0]["kind"], "malformed");
  for (const json& j : rejected) EXPECT_NE(r.err.find(j["where"].get<std::string>()), std::string::npos) << "printed: " << j["where"];

  // Nothing kept is an error (exit 1); a nonsense option a usage error (exit 2).
  test::write_text(file("none.jsonl"), "{bad\n");
  EXPECT_EQ(test::run_cli("mine --crawl " + shell_quote(file("none.jsonl")) + " --out " + shell_quote(file("none"))).exit_code, 1);
  EXPECT_EQ(test::run_cli("mine --crawl " + shell_quote(file("none.jsonl")) + " --out " + shell_quote(file("none2")) +
                          " --min-music 2").exit_code, 2);
  EXPECT_EQ(test::run_cli("mine --crawl " + shell_quote(file("absent.jsonl")) + " --out " + shell_quote(file("none3"))).exit_code, 1);
}

TEST_F(MineCli, LfFilterLearnsTheProjectsSentencesAndFiltersTheCrawl) {
  // A tiny text tower from scratch (a real user starts from an imported BERT), its vocabulary
  // from the mined texts.
  auto r = test::run_cli("init --preset tiny --out " + shell_quote(file("lf-base")) + " --vocab-from " +
                         shell_quote(file("mined/manifest.jsonl")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = test::run_cli("mine train-lf-filter --model " + shell_quote(file("lf-base")) + " --data " +
                    shell_quote(std::string(MULAN_SOURCE_DIR) + "/data/mining/lf-sentences.jsonl") + " --out " +
                    shell_quote(file("lf")) + " --steps 200 --seed 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json info = read_json(file("lf/lf-filter.json"));
  EXPECT_GE(info["heldout"]["accuracy"].get<double>(), 0.8) << info.dump();
  EXPECT_GE(info["heldout"]["roc_auc"].get<double>(), 0.85) << info.dump();
  r = test::run_cli("mine --crawl " + shell_quote(file("crawl/crawl.jsonl")) + " --out " + shell_quote(file("mined-lf")) +
                    " --clip-seconds 8 --lf-filter " + shell_quote(file("lf")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Against the generator's labels: most sentences kept are about the music, most of those kept.
  std::map<std::string, bool> music;
  for (const json& row : (*truth_)["rows"]) {
    for (const json& s : row["lf"]) music[s["text"].get<std::string>()] = s["music"].get<bool>();
  }
  int64_t kept = 0, kept_music = 0, all_music = 0;
  for (const auto& [id, row] : rows_by_id(file("mined-lf/manifest.jsonl"))) {
    const json lf = row["texts"].value("lf", json::array());
    const std::set<std::string> in(lf.begin(), lf.end());
    for (const json& s : row["texts_raw"].value("lf", json::array())) {
      const auto it = music.find(s.get<std::string>());
      if (it == music.end()) continue;
      all_music += it->second;
      if (in.count(s.get<std::string>())) kept += 1, kept_music += it->second;
    }
  }
  ASSERT_GT(kept, 0);
  const double precision = static_cast<double>(kept_music) / static_cast<double>(kept);
  const double recall = static_cast<double>(kept_music) / static_cast<double>(std::max<int64_t>(1, all_music));
  std::cerr << "LF filter on the synthetic crawl: precision " << precision << ", recall " << recall << "\n";
  EXPECT_GE(precision, 0.75);
  EXPECT_GE(recall, 0.6);
}

TEST(MusicDetector, BuiltInDetectorOnHeldOutMaterial) {
  const mine::MusicDetector d("", "", "Music");
  const mine::DetectorAccuracy a = mine::evaluate_detector(d, 424242, 4, 6.0);
  for (const auto& [kind, acc] : a.per_kind) std::cerr << kind << " " << acc << "\n";
  EXPECT_EQ(a.clips, 28);
  EXPECT_GE(a.accuracy(), 0.85);
  EXPECT_NEAR(d.window_seconds(), 2.0, 1e-9);
  EXPECT_THROW(mine::MusicDetector("", "", "Nope"), UsageError);
}

}  // namespace
}  // namespace mulan
