// `mulan train` end to end on a small corpus the test makes: exact resume, refusals, bad data,
// non-finite losses, and checkpoints that survive SIGKILL.
#include <gtest/gtest.h>
#include <sndfile.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <fstream>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "mulan/audio.h"
#include "mulan/frontend.h"
#include "mulan/model.h"
#include "mulan/safetensors.h"
#include "mulan/windows.h"
#include "util/sha256.h"
#include "support/test_support.h"

namespace mulan::test {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

std::string q(const std::string& s) { return shell_quote(s); }

// Recomputes a checkpoint's "sha256" metadata field (as train/checkpoint.cpp does) after an edit.
void reseal(Safetensors& f) {
  const auto it = f.metadata.find("mulan.checkpoint");
  if (it == f.metadata.end()) return;
  json meta = json::parse(it->second);
  Sha256 h;
  for (const auto& [name, t] : f.tensors) {
    const torch::Tensor c = t.contiguous();
    h.update(name);
    h.update(c.data_ptr(), c.nbytes());
  }
  meta["sha256"] = h.hex();
  it->second = meta.dump();
}

// The training rows of a metrics.jsonl (no validation rows).
std::vector<json> training_rows(const std::string& metrics) {
  std::vector<json> out;
  for (const json& row : read_jsonl(metrics)) if (!row.contains("split")) out.push_back(row);
  return out;
}

// The run's checkpoints, newest first.
std::vector<std::string> checkpoints(const std::string& run_dir) {
  std::vector<std::string> out;
  if (!fs::is_directory(run_dir)) return out;
  for (const auto& e : fs::directory_iterator(run_dir)) {
    const std::string f = e.path().filename().string();
    if (f.starts_with("checkpoint-") && f.ends_with(".safetensors")) out.push_back(e.path().string());
  }
  std::sort(out.rbegin(), out.rend());
  return out;
}

// 12 tones of 3 s with texts that name their pitch; 3 of them in the validation split.
class TrainCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    fs::create_directories(dir_->path() / "audio");
    std::ofstream m(dir_->file("manifest.jsonl"));
    for (int i = 0; i < 12; ++i) {
      const double f = 220.0 * std::pow(2.0, i / 4.0);
      const std::string name = "audio/t" + std::to_string(i) + ".wav";
      write_audio(dir_->file(name), tone(f, 3.0, 16000), 1, 16000, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
      const std::string word = i < 4 ? "low" : i < 8 ? "middle" : "high";
      json row = {{"id", "t" + std::to_string(i)},
                  {"audio", name},
                  {"texts", {{"sf", {word + " tone " + std::to_string(i)}}, {"aset", {word + " pitch"}}, {"pl", {word + " sounds"}}}},
                  {"labels", {word}},
                  {"split", i % 4 == 3 ? "val" : "train"}};
      m << row.dump() << "\n";
    }
    m.close();
    const CommandResult r = run_cli("init --preset tiny --seed 3 --out " + q(dir_->file("init")));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() { delete dir_; }

  static std::string train_args(const std::string& out, const std::string& val_every = "2") {
    return "train --model " + q(dir_->file("init")) + " --data " + q(dir_->file("manifest.jsonl")) + " --out " + q(out) +
           " --batch 4 --workers 2 --log-every 1 --no-progress --val-every " + val_every;
  }
  static std::string resume_args(const std::string& out) {
    return "train --model " + q(dir_->file("init")) + " --data " + q(dir_->file("manifest.jsonl")) + " --out " + q(out) +
           " --resume --no-progress";
  }
  // pretrain-tagger on the tones' three labels from a fresh tiny model (runs/init) to runs/run,
  // with the given train.json and sizes.
  static CommandResult pretrain_tagger(const TempDir& runs, const std::string& config_json, int steps, int batch) {
    std::ofstream(runs.file("labels.txt")) << "low\nmiddle\nhigh\n";
    std::ofstream(runs.file("tagger.json")) << config_json;
    const CommandResult init = run_cli("init --preset tiny --seed 3 --tagger-classes 3 --out " + q(runs.file("init")));
    if (init.exit_code != 0) return init;
    return run_cli("pretrain-tagger --model " + q(runs.file("init")) + " --data " + q(dir_->file("manifest.jsonl")) +
                   " --labels " + q(runs.file("labels.txt")) + " --out " + q(runs.file("run")) + " --steps " +
                   std::to_string(steps) + " --batch " + std::to_string(batch) + " --no-progress --config " + q(runs.file("tagger.json")));
  }
  // The pretrain-tagger command line for the tones' three labels (labels.txt and init in runs,
  // made by tagger_inputs) into out, with config_json as its --config.
  static std::string tagger_args(const TempDir& runs, const std::string& out, const std::string& config_json) {
    const std::string config = runs.file(fs::path(out).filename().string() + ".json");
    std::ofstream(config) << config_json;
    return "pretrain-tagger --model " + q(runs.file("init")) + " --data " + q(dir_->file("manifest.jsonl")) + " --labels " +
           q(runs.file("labels.txt")) + " --out " + q(out) + " --batch 4 --no-progress --config " + q(config);
  }
  static void tagger_inputs(const TempDir& runs) {
    std::ofstream(runs.file("labels.txt")) << "low\nmiddle\nhigh\n";
    const CommandResult init = run_cli("init --preset tiny --seed 3 --tagger-classes 3 --out " + q(runs.file("init")));
    ASSERT_EQ(init.exit_code, 0) << init.err;
  }
  static TempDir* dir_;
};
TempDir* TrainCli::dir_ = nullptr;

// Runs `args` (a mulan command line that writes RUN_DIR/metrics.jsonl into out) with step 3's
// loss made NaN, once logging every step and once every 3 steps: each row of the second run must
// hold the mean of its interval's finite losses (taken from the first: the logging cadence
// changes nothing in training), never a mean that counts the skipped step.
void expect_loss_mean_over_finite_steps(const std::function<std::string(const std::string& out, int log_every)>& args,
                                        const TempDir& runs) {
  const std::string each = runs.file("each"), every3 = runs.file("every3");
  CommandResult r = run_command("MULAN_TEST_NONFINITE_STEPS=3 " + std::string(MULAN_CLI) + " " + args(each, 1));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_command("MULAN_TEST_NONFINITE_STEPS=3 " + std::string(MULAN_CLI) + " " + args(every3, 3));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto steps = training_rows(each + "/metrics.jsonl"), rows = training_rows(every3 + "/metrics.jsonl");
  ASSERT_EQ(steps.size(), 6u);
  ASSERT_EQ(rows.size(), 2u);
  for (size_t i = 0; i < steps.size(); ++i) {
    EXPECT_EQ(steps[i]["step"], static_cast<int64_t>(i + 1));
    EXPECT_EQ(steps[i]["loss"].is_null(), i == 2) << steps[i];  // NaN is written as null
    EXPECT_EQ(steps[i]["skipped_steps"], i >= 2 ? 1 : 0) << steps[i];
  }
  const auto loss = [&](size_t i) { return steps[i]["loss"].get<double>(); };
  const double first = (loss(0) + loss(1)) / 2;  // step 3 skipped: not divided by 3
  const double second = (loss(3) + loss(4) + loss(5)) / 3;
  EXPECT_NEAR(rows[0]["loss_mean"].get<double>(), first, 1e-9 * std::abs(first)) << rows[0];
  EXPECT_NEAR(rows[1]["loss_mean"].get<double>(), second, 1e-9 * std::abs(second)) << rows[1];
  EXPECT_TRUE(rows[0]["loss"].is_null()) << rows[0];
  EXPECT_EQ(rows[0]["skipped_steps"], 1);
  EXPECT_EQ(rows[1]["skipped_steps"], 1);
}

// Makes the newest checkpoint of run_dir claim that `world` processes wrote it.
void forge_world(const std::string& run_dir, int world) {
  const std::string ckpt = checkpoints(run_dir).front();
  Safetensors f = read_safetensors(ckpt);
  json meta = json::parse(f.metadata.at("mulan.checkpoint"));
  meta["world"] = world;
  f.metadata["mulan.checkpoint"] = meta.dump();
  reseal(f);
  write_safetensors(ckpt, f.tensors, f.metadata);
}

TEST_F(TrainCli, ResumeContinuesExactlyLossForLoss) {
  TempDir runs;
  const std::string whole = runs.file("whole"), split = runs.file("split");
  CommandResult r = run_cli(train_args(whole) + " --steps 6");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json summary = json::parse(r.out);
  EXPECT_EQ(summary["step"], 6);
  EXPECT_TRUE(summary.contains("val"));
  r = run_cli(train_args(split) + " --steps 6 --stop-at 3");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(fs::exists(split + "/model"));  // not finished
  r = run_cli("train --model " + q(dir_->file("init")) + " --data " + q(dir_->file("manifest.jsonl")) + " --out " + q(split) +
              " --resume --no-progress");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto a = read_jsonl(whole + "/metrics.jsonl"), b = read_jsonl(split + "/metrics.jsonl");
  ASSERT_EQ(a.size(), b.size());
  int train_rows = 0, val_rows = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i]["step"], b[i]["step"]);
    EXPECT_EQ(a[i]["loss"].get<double>(), b[i]["loss"].get<double>()) << "row " << i;  // bit for bit
    if (a[i].contains("split")) {
      ++val_rows;
      EXPECT_EQ(a[i]["split"], "val");
      for (const char* k : {"loss", "r_at_10", "map"}) EXPECT_TRUE(a[i].contains(k));
    } else {
      ++train_rows;
      for (const char* k : {"loss", "tau", "lr", "pairs_per_s"}) EXPECT_TRUE(a[i].contains(k)) << k;
    }
  }
  EXPECT_EQ(train_rows, 6);
  EXPECT_EQ(val_rows, 3);
  EXPECT_EQ(slurp(whole + "/model/model.safetensors"), slurp(split + "/model/model.safetensors"));
  // The final model is a model directory the other commands take.
  r = run_cli("embed-text --model " + q(whole + "/model") + " 'high pitch'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(TrainCli, RefusesToOverwriteARunAndToChangeAResumedOne) {
  TempDir runs;
  const std::string out = runs.file("run");
  ASSERT_EQ(run_cli(train_args(out) + " --steps 2").exit_code, 0);
  CommandResult r = run_cli(train_args(out) + " --steps 2");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--resume"), std::string::npos) << r.err;
  r = run_cli(train_args(out) + " --steps 4 --resume");  // another config than the run's: refused, naming the field
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("steps: saved 2, given 4"), std::string::npos) << r.err;
  std::ofstream(runs.file("bad.json")) << "{\"steps\": 3, \"learning_rate\": 0.1}";
  r = run_cli(train_args(runs.file("x")) + " --config " + q(runs.file("bad.json")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("learning_rate"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("bad.json"), std::string::npos) << r.err;
}

TEST_F(TrainCli, SkipsBadRowsAndUnreadableAudioAndSaysWhere) {
  TempDir runs;
  std::string manifest = slurp(dir_->file("manifest.jsonl"));
  manifest += "{this is not json\n";
  manifest += json({{"id", "broken"}, {"audio", "broken.wav"}, {"texts", {{"sf", {"broken"}}}}}).dump() + "\n";
  manifest += json({{"id", "gone"}, {"audio", "gone.wav"}, {"texts", {{"sf", {"gone"}}}}}).dump() + "\n";
  std::ofstream(dir_->file("bad_manifest.jsonl")) << manifest;
  std::ofstream(dir_->file("broken.wav")) << "RIFF but not really a wave file";
  const CommandResult r = run_cli("train --model " + q(dir_->file("init")) + " --data " + q(dir_->file("bad_manifest.jsonl")) +
                                  " --out " + q(runs.file("run")) + " --batch 4 --steps 4 --no-progress");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("bad_manifest.jsonl:13"), std::string::npos) << r.err;  // invalid JSON
  EXPECT_NE(r.err.find("bad_manifest.jsonl:15"), std::string::npos) << r.err;  // missing audio
  EXPECT_NE(r.err.find("broken.wav"), std::string::npos) << r.err;             // unreadable audio
  const auto m = read_jsonl(runs.file("run") + "/metrics.jsonl");
  int64_t bad = 0;
  for (const json& row : m) if (!row.contains("split")) bad = std::max<int64_t>(bad, row["bad_recordings"].get<int64_t>());
  EXPECT_EQ(bad, 1);
}

TEST_F(TrainCli, NonFiniteLossesStopTheRunAndKeepTheLastCheckpoint) {
  TempDir runs;
  std::ofstream(runs.file("explode.json")) << R"({"lr": 1e30, "trunk_lr": 1e30, "warmup_steps": 0, "grad_clip": 0,
      "max_nonfinite_steps": 3, "checkpoint_every": 1, "val_every": 0})";
  const std::string out = runs.file("run");
  const CommandResult r = run_cli("train --model " + q(dir_->file("init")) + " --data " + q(dir_->file("manifest.jsonl")) +
                                  " --out " + q(out) + " --batch 4 --steps 50 --no-progress --config " + q(runs.file("explode.json")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("non-finite"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("checkpoint-000000003.safetensors"), std::string::npos) << r.err;  // steps 2 to 4 were not finite
  ASSERT_FALSE(checkpoints(out).empty());
  EXPECT_FALSE(fs::exists(out + "/model"));
}

TEST_F(TrainCli, SigkillNeverLeavesACorruptCheckpoint) {
  TempDir runs;
  const std::string out = runs.file("run");
  // The same command line every time, as a scheduler restarts it: --resume starts the run too.
  const std::string args = train_args(out, "0") + " --steps 400 --checkpoint-every 1 --resume";
  // Kill the run at different moments; every time the checkpoint left behind must resume.
  for (const char* after : {"8", "2.9", "3.6"}) {
    run_command("timeout -s KILL " + std::string(after) + " " + MULAN_CLI + " " + args + " >/dev/null 2>&1");
    ASSERT_FALSE(checkpoints(out).empty()) << "after " << after << " s";
    EXPECT_LE(checkpoints(out).size(), 2u) << "keep_checkpoints is 2";
    // A kill mid-write may leave that write's temporary file; a rerun removes the earlier ones.
    int temporaries = 0;
    for (const auto& e : fs::directory_iterator(out)) temporaries += e.path().extension() == ".tmp";
    EXPECT_LE(temporaries, 1) << "after " << after << " s";
  }
  // Resume one step more than the checkpoint holds: loads, trains, ends.
  const auto before = read_jsonl(out + "/metrics.jsonl");
  ASSERT_FALSE(before.empty());
  const CommandResult r = run_cli("train --model " + q(dir_->file("init")) + " --data " + q(dir_->file("manifest.jsonl")) +
                                  " --out " + q(out) + " --resume --stop-at " + std::to_string(before.back()["step"].get<int64_t>() + 1));
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(TrainCli, TrainsOnWebDatasetShards) {
  TempDir runs;
  const fs::path src = runs.path() / "src";
  fs::create_directories(src);
  for (int i = 0; i < 12; ++i) {
    fs::copy_file(dir_->file("audio/t" + std::to_string(i) + ".wav"), src / ("k" + std::to_string(i) + ".wav"));
    std::ofstream(src / ("k" + std::to_string(i) + ".json")) << json({{"text", "tone number " + std::to_string(i)}}).dump();
  }
  fs::create_directories(runs.path() / "shards");
  for (int s = 0; s < 2; ++s) {
    std::string members;
    for (int i = s * 6; i < s * 6 + 6; ++i) members += " k" + std::to_string(i) + ".wav k" + std::to_string(i) + ".json";
    ASSERT_EQ(run_command("cd " + q(src.string()) + " && tar cf " + q(runs.file("shards/part-00" + std::to_string(s) + ".tar")) + members).exit_code, 0);
  }
  const CommandResult r = run_cli("train --model " + q(dir_->file("init")) + " --data " + q(runs.file("shards/part-{000..001}.tar")) +
                                  " --out " + q(runs.file("run")) + " --batch 4 --steps 3 --no-progress --val-every 0");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["step"], 3);
  EXPECT_EQ(read_jsonl(runs.file("run") + "/metrics.jsonl").back()["bad_recordings"], 0);
}

TEST_F(TrainCli, AFrozenAudioTrunkKeepsItsWeightsAndBatchNormStatistics) {
  TempDir runs;
  std::ofstream(runs.file("frozen.json")) << R"({"trunk_lr": 0, "text_trunk_lr": 0.001, "lr": 0.001, "warmup_steps": 1})";
  const CommandResult r = run_cli(train_args(runs.file("run")) + " --steps 4 --config " + q(runs.file("frozen.json")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const TensorMap before = Model::load(dir_->file("init")).state();
  const TensorMap after = Model::load(runs.file("run/model")).state();
  int trunk = 0, statistics = 0;
  for (const auto& [name, t] : before) {
    const bool changed = !torch::equal(t, after.at(name));
    if (name.starts_with("audio.") && !name.starts_with("audio.proj.")) {
      EXPECT_FALSE(changed) << name;  // weights and running_mean / running_var alike
      ++trunk;
      if (name.find("running_") != std::string::npos) ++statistics;
    }
    if (name == "audio.proj.weight" || name == "text.bert.encoder.layer.0.attention.self.query.weight") {
      EXPECT_TRUE(changed) << name;  // the rest trains
    }
  }
  EXPECT_GT(statistics, 0);  // the state holds the BatchNorm statistics that must stay
  EXPECT_GT(trunk, statistics);
}

TEST_F(TrainCli, AnAudioProjectionHeldAtTheTaggerHeadEmbedsTheTaggersLogits) {
  TempDir runs;
  ASSERT_EQ(pretrain_tagger(runs, R"({"warmup_steps": 1, "lr": 0.003})", 3, 4).exit_code, 0);
  const std::string tagger = runs.file("run/model");
  std::ofstream(runs.file("held.json")) << R"({"audio_proj": "tagger", "trunk_lr": 0, "text_trunk_lr": 0.001, "lr": 0.001, "warmup_steps": 1})";
  const std::string args = "train --model " + q(tagger) + " --data " + q(dir_->file("manifest.jsonl")) + " --out " +
                           q(runs.file("held")) + " --batch 4 --no-progress --val-every 2 --steps 3 --config " + q(runs.file("held.json"));
  CommandResult r = run_cli(args + " --stop-at 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_cli(args + " --resume");  // the checkpoint restores the same projection
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const TensorMap before = Model::load(tagger).state();
  const Model held = Model::load(runs.file("held/model"));
  const TensorMap after = held.state();
  // Rows 0..2 are the tagger head's (the head itself does not train here); rows 3..127 are 0.
  for (const char* part : {"weight", "bias"}) {
    const torch::Tensor head = before.at(std::string("audio.tagger.") + part), proj = after.at(std::string("audio.proj.") + part);
    EXPECT_TRUE(torch::equal(after.at(std::string("audio.tagger.") + part), head)) << part;
    ASSERT_EQ(proj.size(0), 128) << part;
    EXPECT_TRUE(torch::equal(proj.slice(0, 0, 3), head)) << part;
    EXPECT_EQ(proj.slice(0, 3).abs().max().item<float>(), 0.0f) << part;
  }
  // So the audio embedding is the tagger's logits, L2-normalised (float64 reference) ...
  torch::manual_seed(5);
  const AudioConfig& ac = *held.config().audio;
  const torch::Tensor windows = torch::randn({3, ac.n_mels, ac.window_frames});
  const torch::Tensor logits = held.tag_logits(windows).to(torch::kFloat64);
  const torch::Tensor reference = logits / logits.norm(2, 1, true);
  const torch::Tensor embedding = held.embed_windows(windows).to(torch::kFloat64);
  EXPECT_LT((embedding.slice(1, 0, 3) - reference).abs().max().item<double>(), 1e-5);
  EXPECT_EQ(embedding.slice(1, 3).abs().max().item<double>(), 0.0);
  // ... while the text tower learns to meet it.
  const char* text_weight = "text.bert.encoder.layer.0.attention.self.query.weight";
  EXPECT_FALSE(torch::equal(before.at(text_weight), after.at(text_weight)));
  std::ifstream saved(runs.file("held/train.json"));
  EXPECT_EQ(json::parse(saved)["audio_proj"], "tagger");

  // A model without a tagger head is refused before the run starts, in one line naming the model.
  r = run_cli(train_args(runs.file("none")) + " --steps 2 --config " + q(runs.file("held.json")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("has no tagger head"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(dir_->file("init")), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  // pretrain-tagger never trains the projection: the field is refused there, and a wrong value anywhere.
  r = run_cli(tagger_args(runs, runs.file("tagrun"), R"({"audio_proj": "tagger"})") + " --steps 2");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("audio_proj"), std::string::npos) << r.err;
  std::ofstream(runs.file("bad.json")) << R"({"audio_proj": "head"})";
  r = run_cli(train_args(runs.file("bad")) + " --steps 2 --config " + q(runs.file("bad.json")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("field 'audio_proj' must be \"learn\", \"tagger\" or \"tagger-standardized\""), std::string::npos) << r.err;
}

TEST_F(TrainCli, AStandardizedTaggerProjectionGivesEveryLogitMeanZeroAndUnitSpreadOverTheTrainingClips) {
  TempDir runs;
  ASSERT_EQ(pretrain_tagger(runs, R"({"warmup_steps": 1, "lr": 0.003})", 3, 4).exit_code, 0);
  const std::string tagger = runs.file("run/model");
  std::ofstream(runs.file("z.json")) << R"({"audio_proj": "tagger-standardized", "trunk_lr": 0, "text_trunk_lr": 0.001, "lr": 0.001, "warmup_steps": 1})";
  const std::string args = "train --model " + q(tagger) + " --data " + q(dir_->file("manifest.jsonl")) + " --out " +
                           q(runs.file("z")) + " --batch 4 --no-progress --val-every 2 --steps 3 --config " + q(runs.file("z.json"));
  CommandResult r = run_cli(args + " --stop-at 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("standardised over the middle windows of 9 training recordings"), std::string::npos) << r.err;
  r = run_cli(args + " --resume");  // the checkpoint restores the rows; nothing is measured again
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("standardised"), std::string::npos) << r.err;
  const Model before = Model::load(tagger), after = Model::load(runs.file("z/model"));
  // The reference, in float64: the 9 training tones of 3 s, each one window (silence after it),
  // through the public front end; their logits from the tagger's own head.
  const AudioConfig& ac = *after.config().audio;
  const audio::Frontend frontend(ac.frontend_config());
  std::vector<torch::Tensor> windows;
  for (int i = 0; i < 12; ++i) {
    if (i % 4 == 3) continue;  // the val split
    const std::vector<float> pcm = audio::decode(dir_->file("audio/t" + std::to_string(i) + ".wav"));
    const torch::Tensor spec = frontend(torch::tensor(pcm));
    windows.push_back(audio::cut_windows(spec, {0}, ac.window_frames, frontend.silence_value())[0]);
  }
  const torch::Tensor w = torch::stack(windows);
  const torch::Tensor logits = before.tag_logits(w).to(torch::kFloat64);  // [9, 3]
  const torch::Tensor mean = logits.mean(0), sd = logits.std(0, /*unbiased=*/false);
  ASSERT_GT(sd.min().item<double>(), 1e-3);
  // Row k of the projection is (logit_k - mean_k) / sd_k: over these clips, each of the 3
  // coordinates before the normalisation has mean 0 and standard deviation 1 ...
  const TensorMap state = after.state();
  const torch::Tensor pw = state.at("audio.proj.weight").to(torch::kFloat64), pb = state.at("audio.proj.bias").to(torch::kFloat64);
  const torch::Tensor pooled = after.pooled_audio(w).to(torch::kFloat64);
  const torch::Tensor z = torch::matmul(pooled, pw.t()) + pb;  // [9, 128]
  EXPECT_LT(z.slice(1, 0, 3).mean(0).abs().max().item<double>(), 1e-4) << z.slice(1, 0, 3);
  EXPECT_LT((z.slice(1, 0, 3).std(0, false) - 1).abs().max().item<double>(), 1e-4) << z.slice(1, 0, 3);
  EXPECT_EQ(z.slice(1, 3).abs().max().item<double>(), 0.0);
  // ... and equals the standardised logits of the tagger it came from, which stays as it was.
  const torch::Tensor reference = (logits - mean) / sd;
  EXPECT_LT((z.slice(1, 0, 3) - reference).abs().max().item<double>(), 1e-4);
  EXPECT_TRUE(torch::equal(state.at("audio.tagger.weight"), before.state().at("audio.tagger.weight")));
  // The embedding is their L2-normalised form; the text tower learns to meet it.
  const torch::Tensor embedding = after.embed_windows(w).to(torch::kFloat64);
  EXPECT_LT((embedding.slice(1, 0, 3) - reference / reference.norm(2, 1, true)).abs().max().item<double>(), 1e-5);
  std::ifstream saved(runs.file("z/train.json"));
  EXPECT_EQ(json::parse(saved)["audio_proj"], "tagger-standardized");
}

TEST_F(TrainCli, AFrozenTrunkWithoutSpecAugmentRunsOncePerWindowAndResumesExactly) {
  TempDir runs;
  ASSERT_EQ(pretrain_tagger(runs, R"({"warmup_steps": 1, "lr": 0.003})", 3, 4).exit_code, 0);
  // The projection held at the tagger head, and learnt.
  for (const std::string proj : {"tagger", "learn"}) {
    SCOPED_TRACE(proj);
    std::ofstream(runs.file(proj + ".json")) << R"({"audio_proj": ")" + proj +
                                                    R"(", "trunk_lr": 0, "text_trunk_lr": 0.001, "lr": 0.001, "warmup_steps": 1, "spec_augment": false})";
    const auto args = [&](const std::string& out) {
      return "train --model " + q(runs.file("run/model")) + " --data " + q(dir_->file("manifest.jsonl")) + " --out " + q(out) +
             " --batch 4 --log-every 1 --no-progress --val-every 3 --steps 6 --config " + q(runs.file(proj + ".json"));
    };
    const std::string memo = runs.file(proj + "-memo"), every = runs.file(proj + "-every"), split = runs.file(proj + "-split");
    CommandResult r = run_cli(args(memo));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("it runs once per training window"), std::string::npos) << r.err;
    r = run_command("MULAN_TEST_NO_AUDIO_MEMO=1 " + std::string(MULAN_CLI) + " " + args(every));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err.find("once per training window"), std::string::npos) << r.err;
    const auto a = training_rows(memo + "/metrics.jsonl"), b = training_rows(every + "/metrics.jsonl");
    ASSERT_EQ(a.size(), 6u);
    ASSERT_EQ(b.size(), 6u);
    for (size_t i = 0; i < a.size(); ++i) {
      // The same pairs and the same model: a window through the trunk alone or in its batch
      // differs in the rounding only.
      const double la = a[i]["loss"].get<double>(), lb = b[i]["loss"].get<double>();
      EXPECT_NEAR(la, lb, 1e-4 * std::abs(lb)) << "step " << i + 1;
      EXPECT_FALSE(b[i].contains("audio_windows_embedded"));
    }
    // 9 training tones of 3 s, each shorter than the window (one place to cut it): 9 trunk
    // passes in all, done within the first three steps of 4 pairs (an epoch), none after.
    EXPECT_LE(a[0]["audio_windows_embedded"].get<int>(), 4);
    EXPECT_EQ(a[2]["audio_windows_embedded"], 9) << a[2];
    EXPECT_EQ(a[5]["audio_windows_embedded"], 9) << a[5];
    // A resumed run starts with no trunk output kept and still gives the same losses bit for bit.
    ASSERT_EQ(run_cli(args(split) + " --stop-at 4").exit_code, 0);
    r = run_cli(args(split) + " --resume");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto c = training_rows(split + "/metrics.jsonl");
    ASSERT_EQ(c.size(), 6u);
    for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i]["loss"].get<double>(), c[i]["loss"].get<double>()) << "step " << i + 1;
    EXPECT_EQ(slurp(memo + "/model/model.safetensors"), slurp(split + "/model/model.safetensors"));
    // A learnt projection still learns through the kept trunk outputs.
    const TensorMap before = Model::load(runs.file("run/model")).state(), after = Model::load(memo + "/model").state();
    EXPECT_EQ(torch::equal(before.at("audio.proj.weight"), after.at("audio.proj.weight")), false);
    if (proj == "tagger") {
      EXPECT_TRUE(torch::equal(after.at("audio.proj.weight").slice(0, 0, 3), after.at("audio.tagger.weight")));
    }
  }
  // The kept outputs share cache_mb's limit: with 0 MiB none is kept, and every step runs the
  // trunk as before.
  std::ofstream(runs.file("none.json"))
      << R"({"audio_proj": "tagger", "trunk_lr": 0, "text_trunk_lr": 0.001, "lr": 0.001, "warmup_steps": 1, "spec_augment": false, "cache_mb": 0})";
  const CommandResult r = run_cli("train --model " + q(runs.file("run/model")) + " --data " + q(dir_->file("manifest.jsonl")) + " --out " +
                                  q(runs.file("none")) + " --batch 4 --log-every 1 --no-progress --val-every 3 --steps 6 --config " +
                                  q(runs.file("none.json")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto kept = training_rows(runs.file("none/metrics.jsonl")), every = training_rows(runs.file("tagger-every/metrics.jsonl"));
  ASSERT_EQ(kept.size(), every.size());
  for (size_t i = 0; i < kept.size(); ++i) {
    EXPECT_EQ(kept[i]["audio_windows_embedded"], 0) << kept[i];
    EXPECT_NEAR(kept[i]["loss"].get<double>(), every[i]["loss"].get<double>(), 1e-4 * std::abs(every[i]["loss"].get<double>()));
  }
}

TEST_F(TrainCli, PretrainTaggerWithTheTrunkAtRateZeroIsALinearProbe) {
  TempDir runs;
  const CommandResult r = pretrain_tagger(runs, R"({"warmup_steps": 1, "lr": 0.003, "trunk_lr": 0})", 4, 4);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const TensorMap before = Model::load(runs.file("init")).state();
  const TensorMap after = Model::load(runs.file("run/model")).state();
  for (const auto& [name, t] : before) {
    if (!name.starts_with("audio.") || name.starts_with("audio.proj.")) continue;
    const bool changed = !torch::equal(t, after.at(name));
    // Only the tagger head learns; the trunk's weights and BatchNorm statistics stay.
    EXPECT_EQ(changed, name.starts_with("audio.tagger.")) << name;
  }
}

TEST_F(TrainCli, PretrainTaggerLearnsTheLabels) {
  TempDir runs;
  const CommandResult r = pretrain_tagger(runs, R"({"warmup_steps": 5, "lr": 0.003, "trunk_lr": 0.003})", 40, 8);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json s = json::parse(r.out);
  // 3 validation tones, one per label: each label's positive must outrank its two negatives.
  EXPECT_GE(s["val"]["macro_roc_auc"].get<double>(), 0.99) << r.out;
  EXPECT_LT(s["val"]["loss"].get<double>(), std::log(2.0));  // below the BCE of a coin
  // Each label's own ROC-AUC, named; their mean is the macro value.
  const json& per = s["val"]["roc_auc_per_label"];
  ASSERT_EQ(per.size(), 3u) << r.out;
  double sum = 0;
  for (const char* label : {"low", "middle", "high"}) {
    ASSERT_TRUE(per.contains(label)) << r.out;
    sum += per[label].get<double>();
  }
  EXPECT_NEAR(sum / 3, s["val"]["macro_roc_auc"].get<double>(), 1e-12);
  EXPECT_TRUE(fs::exists(runs.file("run/model/model.safetensors")));
  // A labels file that does not fit the head is refused, naming both.
  std::ofstream(runs.file("two.txt")) << "low\nhigh\n";
  const CommandResult bad = run_cli("pretrain-tagger --model " + q(runs.file("init")) + " --data " + q(dir_->file("manifest.jsonl")) +
                                    " --labels " + q(runs.file("two.txt")) + " --out " + q(runs.file("run2")) + " --steps 2");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("tagger_classes = 3"), std::string::npos) << bad.err;
}

TEST_F(TrainCli, PretrainTaggerLearnsOnlyTheLabelsAskedFor) {
  TempDir runs;
  tagger_inputs(runs);
  // No weight decay and the trunk at rate 0, so that a head row without gradient stays exactly.
  const std::string args = tagger_args(runs, runs.file("run"), R"({"warmup_steps": 1, "lr": 0.003, "trunk_lr": 0, "weight_decay": 0, "steps": 4})");
  const CommandResult first = run_cli(args + " --learn high --stop-at 2");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.err.find("learning 1 of the 3 labels"), std::string::npos) << first.err;
  // A resume learns what the run started with.
  const CommandResult other = run_cli(args + " --resume");
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_NE(other.err.find("resume it with the same --learn"), std::string::npos) << other.err;
  const CommandResult r = run_cli(args + " --resume --learn high");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["step"], 4) << r.out;
  const TensorMap before = Model::load(runs.file("init")).state();
  const TensorMap after = Model::load(runs.file("run/model")).state();
  for (const char* name : {"audio.tagger.weight", "audio.tagger.bias"}) {
    ASSERT_TRUE(before.count(name)) << name;
    const torch::Tensor b = before.at(name), a = after.at(name);
    // Rows 0 and 1 (low, middle) are not in the loss; row 2 (high) is.
    EXPECT_TRUE(torch::equal(b.slice(0, 0, 2), a.slice(0, 0, 2))) << name;
    EXPECT_FALSE(torch::equal(b[2], a[2])) << name;
  }
  std::ifstream info(runs.file("run/run.json"));
  EXPECT_EQ(json::parse(info)["learn"], json::array({"high"}));
  // A label the labels file lacks is refused, naming the file and the label.
  const CommandResult bad = run_cli(tagger_args(runs, runs.file("run2"), "{}") + " --steps 2 --learn high,loud");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("labels.txt"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("'loud'"), std::string::npos) << bad.err;
}

// Hostile inputs (issue: a checkpoint that runs code, bombs, silent NaNs).

TEST_F(TrainCli, APickledCheckpointOfAnEarlierVersionIsNeverOpened) {
  TempDir runs;
  const std::string out = runs.file("run");
  fs::create_directories(out);
  // Whatever it holds (a TorchScript archive could run code when read), it is refused unread.
  std::ofstream(out + "/checkpoint.pt") << "PK\x03\x04 a LibTorch archive with a scripted __setstate__";
  for (const std::string& args : {resume_args(out), train_args(out) + " --steps 2"}) {
    const CommandResult r = run_cli(args);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("checkpoint.pt"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("never loaded"), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  EXPECT_FALSE(fs::exists(out + "/metrics.jsonl"));
}

TEST_F(TrainCli, ACheckpointIsDataOnlyAndEveryForgeryIsRefused) {
  TempDir runs;
  const std::string out = runs.file("run");
  ASSERT_EQ(run_cli(train_args(out) + " --steps 3 --stop-at 2").exit_code, 0);
  ASSERT_EQ(checkpoints(out).size(), 1u);
  const std::string ckpt = checkpoints(out).front();
  EXPECT_EQ(fs::path(ckpt).filename(), "checkpoint-000000002.safetensors");
  const Safetensors good = read_safetensors(ckpt);
  ASSERT_TRUE(good.metadata.count("mulan.checkpoint"));
  const json meta = json::parse(good.metadata.at("mulan.checkpoint"));
  EXPECT_EQ(meta["step"], 2);
  bool has_moments = false;
  for (const auto& [name, t] : good.tensors) has_moments |= name.ends_with(".exp_avg_sq");
  EXPECT_TRUE(has_moments);

  auto forged = [&](const std::string& why, const std::function<void(Safetensors&)>& change) {
    Safetensors f = good;
    change(f);
    reseal(f);  // a forger can recompute the checksum: each check must hold on its own
    write_safetensors(ckpt, f.tensors, f.metadata);
    const CommandResult r = run_cli(resume_args(out));
    EXPECT_EQ(r.exit_code, 1) << why << ": " << r.err;
    EXPECT_NE(r.err.find("checkpoint-000000002.safetensors"), std::string::npos) << why << ": " << r.err;
    return r.err;
  };
  const std::string some = good.tensors.begin()->first;
  EXPECT_NE(forged("NaN", [&](Safetensors& f) { f.tensors[some] = torch::full_like(f.tensors[some], NAN); }).find("not finite"),
            std::string::npos);
  EXPECT_NE(forged("extra", [&](Safetensors& f) { f.tensors["model.evil"] = torch::zeros({1}); }).find("model.evil"), std::string::npos);
  EXPECT_NE(forged("missing", [&](Safetensors& f) { f.tensors.erase(some); }).find(some), std::string::npos);
  EXPECT_NE(forged("step", [&](Safetensors& f) {
              json m = meta;
              m["step"] = -5;
              f.metadata["mulan.checkpoint"] = m.dump();
            }).find("'step'"),
            std::string::npos);
  EXPECT_NE(forged("no metadata", [&](Safetensors& f) { f.metadata.clear(); }).find("not a mulan checkpoint"), std::string::npos);
  // The real one still resumes.
  write_safetensors(ckpt, good.tensors, good.metadata);
  const CommandResult resumed = run_cli(resume_args(out));
  EXPECT_EQ(resumed.exit_code, 0) << resumed.err;
}

TEST_F(TrainCli, ABatchLargerThanTheRecordingsIsRefusedBeforeAnythingIsWritten) {
  TempDir runs;
  // 9 training recordings: a batch of 16 would hold each twice, a positive and a negative of itself.
  for (const char* batch : {"16", "100000"}) {
    const CommandResult r = run_cli("train --model " + q(dir_->file("init")) + " --data " + q(dir_->file("manifest.jsonl")) +
                                    " --out " + q(runs.file("run")) + " --batch " + batch + " --steps 2 --no-progress");
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("only 9 usable training recordings"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(runs.file("run")));
  }
  std::ofstream(runs.file("huge.json")) << R"({"batch": 1000000000000})";
  CommandResult r = run_cli("train --model " + q(dir_->file("init")) + " --data " + q(dir_->file("manifest.jsonl")) + " --out " +
                            q(runs.file("run")) + " --config " + q(runs.file("huge.json")) + " --no-progress");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("'batch'"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(runs.file("run")));
  std::ofstream(runs.file("eps.json")) << R"({"adam_eps": 1e308})";
  r = run_cli(train_args(runs.file("run")) + " --config " + q(runs.file("eps.json")));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("'adam_eps'"), std::string::npos) << r.err;
  std::ofstream(runs.file("file")) << "not a folder";
  r = run_cli(train_args(runs.file("file")) + " --steps 2");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("is not a directory"), std::string::npos) << r.err;
  r = run_cli(train_args(runs.file("run")) + " --steps 0");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("must be a number > 0"), std::string::npos) << r.err;
  EXPECT_LT(r.err.size(), 200u) << r.err;
  r = run_cli(train_args(runs.file("run")) + " --device xla");
  EXPECT_EQ(r.exit_code, 2) << r.err;
}

TEST_F(TrainCli, ARunThatEndsInNonFiniteStepsWritesNoModel) {
  TempDir runs;
  std::ofstream(runs.file("explode.json")) << R"({"lr": 1e30, "trunk_lr": 1e30, "warmup_steps": 0, "grad_clip": 0,
      "max_nonfinite_steps": 1000, "val_every": 0})";
  const std::string out = runs.file("run");
  const CommandResult r = run_cli("train --model " + q(dir_->file("init")) + " --data " + q(dir_->file("manifest.jsonl")) +
                                  " --out " + q(out) + " --batch 4 --steps 4 --no-progress --config " + q(runs.file("explode.json")));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("non-finite"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out + "/model"));
}

// Runs that survive what clusters do to them.

TEST_F(TrainCli, ResumeStartsARunThatHasNoCheckpointYet) {
  TempDir runs;
  const std::string out = runs.file("run");
  // Killed before its first checkpoint: train.json and metrics.jsonl, no checkpoint.
  const std::string args = train_args(out, "0") + " --steps 400 --checkpoint-every 0 --resume";
  run_command("timeout -s KILL 4 " + std::string(MULAN_CLI) + " " + args + " >/dev/null 2>&1");
  ASSERT_TRUE(fs::exists(out + "/train.json"));
  ASSERT_TRUE(checkpoints(out).empty());
  // The very same command line starts it again from step 0.
  CommandResult r = run_cli(args + " --stop-at 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto rows = training_rows(out + "/metrics.jsonl");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["step"], 1);
  // A brand-new directory with --resume: the first start.
  r = run_cli(train_args(runs.file("fresh")) + " --steps 2 --resume");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(runs.file("fresh") + "/model/model.safetensors"));
}

TEST_F(TrainCli, SigtermStopsAfterTheStepWithACheckpointAndTheSameCommandFinishesExactly) {
  TempDir runs;
  const std::string whole = runs.file("whole"), cut = runs.file("cut");
  const std::string tail = " --steps 40 --checkpoint-every 1000 --resume";
  ASSERT_EQ(run_cli(train_args(whole, "0") + tail).exit_code, 0);
  // The same run, sent SIGTERM once it is training.
  const std::string log = runs.file("cut.log");
  const CommandResult bg = run_command(std::string(MULAN_CLI) + " " + train_args(cut, "0") + tail + " >/dev/null 2>" + q(log) +
                                       " & pid=$!; for i in $(seq 200); do [ $(wc -l < " + q(cut + "/metrics.jsonl") +
                                       " 2>/dev/null || echo 0) -ge 3 ] && break; sleep 0.05; done; kill -TERM $pid; wait $pid; echo $?");
  EXPECT_EQ(bg.out, "143\n") << slurp(log);
  EXPECT_NE(slurp(log).find("--resume to continue"), std::string::npos) << slurp(log);
  ASSERT_EQ(checkpoints(cut).size(), 1u) << slurp(log);
  const int64_t stopped = training_rows(cut + "/metrics.jsonl").back()["step"].get<int64_t>();
  EXPECT_LT(stopped, 40);
  EXPECT_FALSE(fs::exists(cut + "/model"));
  const CommandResult r = run_cli(train_args(cut, "0") + tail);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("resuming from"), std::string::npos) << r.err;
  const TensorMap a = read_safetensors(whole + "/model/model.safetensors").tensors;
  const TensorMap b = read_safetensors(cut + "/model/model.safetensors").tensors;
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, t] : a) EXPECT_TRUE(torch::equal(t, b.at(name))) << name << " (stopped at step " << stopped << ")";
}

TEST_F(TrainCli, ACorruptOrCutNewestCheckpointFallsBackToThePreviousOne) {
  TempDir runs;
  const std::string out = runs.file("run");
  const std::string args = train_args(out, "0") + " --steps 6 --checkpoint-every 1 --resume";
  ASSERT_EQ(run_cli(args + " --stop-at 4").exit_code, 0);
  auto all = checkpoints(out);
  ASSERT_EQ(all.size(), 2u);  // keep_checkpoints 2: steps 4 and 3
  EXPECT_EQ(fs::path(all[0]).filename(), "checkpoint-000000004.safetensors");
  {  // one flipped byte in the newest one's tensor data
    std::fstream f(all[0], std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(-100, std::ios::end);
    const char c = static_cast<char>(f.get());
    f.seekp(-100, std::ios::end);
    f.put(static_cast<char>(c ^ 0x40));
  }
  CommandResult r = run_cli(args + " --stop-at 5");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("checkpoint-000000004.safetensors': checksum mismatch"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("resuming from " + out + "/checkpoint-000000003.safetensors"), std::string::npos) << r.err;
  // Cut short (a disk filled up): the same.
  all = checkpoints(out);
  ASSERT_EQ(fs::path(all[0]).filename(), "checkpoint-000000005.safetensors");
  fs::resize_file(all[0], fs::file_size(all[0]) / 2);
  r = run_cli(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("resuming from " + all[1]), std::string::npos) << r.err;
}

// (Skipped and counted: LossMeanIsTheMeanOfTheFiniteStepsOfItsInterval.)
TEST_F(TrainCli, InjectedNonFiniteLossesStopTheRunWhenTheyPersist) {
  TempDir runs;
  // Three in a row with max_nonfinite_steps 3: the run stops, saying so, with its last checkpoint.
  std::ofstream(runs.file("strict.json")) << R"({"max_nonfinite_steps": 3, "checkpoint_every": 1})";
  const std::string stopped = runs.file("stopped");
  const CommandResult r = run_command("MULAN_TEST_NONFINITE_STEPS=3,4,5 " + std::string(MULAN_CLI) + " " + train_args(stopped, "0") +
                  " --steps 8 --config " + q(runs.file("strict.json")));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("3 non-finite losses or gradients in a row"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("checkpoint-000000004.safetensors"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(stopped + "/model"));
}

TEST_F(TrainCli, LossMeanIsTheMeanOfTheFiniteStepsOfItsInterval) {
  TempDir runs;
  expect_loss_mean_over_finite_steps(
      [&](const std::string& out, int log_every) {
        return "train --model " + q(dir_->file("init")) + " --data " + q(dir_->file("manifest.jsonl")) + " --out " + q(out) +
               " --batch 4 --workers 2 --no-progress --val-every 0 --steps 6 --log-every " + std::to_string(log_every);
      },
      runs);
}

TEST_F(TrainCli, PretrainTaggerLossMeanIsTheMeanOfTheFiniteStepsOfItsInterval) {
  TempDir runs;
  tagger_inputs(runs);
  expect_loss_mean_over_finite_steps(
      [&](const std::string& out, int log_every) {
        return tagger_args(runs, out, R"({"val_every": 0, "log_every": )" + std::to_string(log_every) + "}") + " --steps 6";
      },
      runs);
  // The tagger has no temperature: no tau column (not a constant 0).
  for (const json& row : training_rows(runs.file("each") + "/metrics.jsonl")) EXPECT_FALSE(row.contains("tau")) << row;
  // Three in a row with max_nonfinite_steps 3: the run stops, saying so, with its last checkpoint.
  const std::string stopped = runs.file("stopped");
  const CommandResult r = run_command("MULAN_TEST_NONFINITE_STEPS=3,4,5 " + std::string(MULAN_CLI) + " " +
                                      tagger_args(runs, stopped, R"({"val_every": 0, "max_nonfinite_steps": 3, "checkpoint_every": 1})") +
                                      " --steps 8");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("pre-training stopped at step 5: 3 non-finite losses or gradients in a row"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("checkpoint-000000004.safetensors"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(stopped + "/model"));
}

TEST_F(TrainCli, AResumeWithAnotherNumberOfProcessesIsRefusedByBothTrainers) {
  TempDir runs;
  tagger_inputs(runs);
  const std::string tagger = runs.file("tagger"), contrastive = runs.file("contrastive");
  const std::string tagger_cmd = tagger_args(runs, tagger, R"({"val_every": 0})") + " --steps 4";
  ASSERT_EQ(run_cli(tagger_cmd + " --stop-at 2").exit_code, 0);
  ASSERT_EQ(run_cli(train_args(contrastive, "0") + " --steps 4 --stop-at 2").exit_code, 0);
  // The same checkpoints, as if 2 processes had written them: the data order would not continue.
  forge_world(tagger, 2);
  forge_world(contrastive, 2);
  for (const auto& [out, cmd] : {std::pair{tagger, tagger_cmd + " --resume"}, std::pair{contrastive, resume_args(contrastive)}}) {
    const CommandResult r = run_cli(cmd);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("checkpoint-000000002.safetensors"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("processes 2 (now 1)"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(out + "/model"));
  }
}

}  // namespace
}  // namespace mulan::test
