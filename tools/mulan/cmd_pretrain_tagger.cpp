// mulan pretrain-tagger --model DIR --data MANIFEST --labels LABELS.txt --out RUN_DIR: AudioSet-style
// multi-label pre-training of the audio tower (spec 1.2) before the contrastive stage.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli_common.h"
#include "commands.h"
#include "mulan/error.h"
#include "mulan/train_tagger.h"

namespace mulan::cli {

namespace {
struct TaggerArgs {
  train::TaggerRun run;
  std::string config_path;
  std::optional<int64_t> steps, batch;
  std::optional<uint64_t> seed;
  std::optional<double> lr;
  bool no_progress = false;
};

void run_tagger(TaggerArgs a) {
  train::TrainRun& run = a.run.base;
  run.config_given = a.steps || a.batch || a.seed || a.lr || !a.config_path.empty();
  if (!a.config_path.empty()) run.config = train::load_train_config(a.config_path);
  if (a.steps) run.config.steps = *a.steps;
  if (a.batch) run.config.batch = *a.batch;
  if (a.seed) run.config.seed = *a.seed;
  if (a.lr) run.config.lr = run.config.trunk_lr = *a.lr;
  run.progress = !a.no_progress && isatty(fileno(stderr));
  run.stop_signal = install_stop_signals();
  const train::TaggerSummary s = with_resume_hints([&] { return train::pretrain_tagger(a.run); });
  nlohmann::json out = {{"step", s.step}, {"loss", s.last_loss}, {"pairs_per_s", s.pairs_per_s}, {"run_dir", run.out_dir}};
  if (s.val_loss >= 0) {
    nlohmann::json per_label = nlohmann::json::object();
    for (const auto& [label, auc] : s.val_roc_auc_per_label) per_label[label] = auc;
    out["val"] = {{"loss", s.val_loss}, {"macro_roc_auc", s.val_roc_auc}, {"macro_map", s.val_map}, {"roc_auc_per_label", per_label}};
  }
  std::cout << out.dump() << "\n";
}
}  // namespace

void register_pretrain_tagger(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "pretrain-tagger",
      "AudioSet-style pre-training of the audio tower: trunk + tagger head, a sigmoid and binary cross-entropy per class "
      "over the manifest's \"labels\". The model needs a tagger head (mulan init --tagger-classes N). RUN_DIR gets "
      "train.json, metrics.jsonl, checkpoint-STEP.safetensors and model/. Prints a JSON summary on stdout. SIGTERM or "
      "SIGINT stops it after the current step with a checkpoint (exit status 128 + signal); --resume continues.");
  auto a = std::make_shared<TaggerArgs>();
  cmd->add_option("--model", a->run.base.model_dir, "Initial model directory with a tagger head")->required();
  cmd->add_option("--data", a->run.base.data, "Manifest (.jsonl) or WebDataset shards with \"labels\"")->required();
  cmd->add_option("--labels", a->run.labels, "Labels file: one label a line, line i = class i")->required();
  cmd->add_option("--out", a->run.base.out_dir, "Run directory")->required();
  cmd->add_option("--learn", a->run.learn,
                  "Only these labels (comma-separated, each a line of --labels) enter the loss; the rest of the head gets no "
                  "gradient. For a curriculum: a hard label alone first, then a second run from RUN_DIR/model on every label")
      ->delimiter(',');
  cmd->add_option("--val", a->run.base.val, "Validation manifest (default: the data's rows of split \"val\")");
  cmd->add_option("--config", a->config_path, "train.json with TrainConfig fields (the loss fields are not used)");
  cmd->add_option("--steps", a->steps, "Optimiser steps (default 1000)")->check(positive_number());
  cmd->add_option("--batch", a->batch, "Recordings per step (default " + std::to_string(kDefaultTrainBatch) + ")")->check(CLI::Range(int64_t{2}, int64_t{1} << 20));
  cmd->add_option("--seed", a->seed, "Seed of every random choice (default 0)");
  cmd->add_option("--lr", a->lr, "Peak learning rate (default 5e-4)")->check(non_negative_number());
  cmd->add_flag("--resume", a->run.base.resume,
                "Continue the run in --out from its newest checkpoint; start it when --out holds none yet. Flags or --config "
                "that differ from the run's train.json are refused");
  cmd->add_option("--stop-at", a->run.base.stop_at, "Stop after this step with a checkpoint")->check(positive_number());
  cmd->add_option("--device", a->run.base.device, "cpu, cuda or cuda:N")->capture_default_str()->check(device_validator());
  cmd->add_flag("--no-progress", a->no_progress, "No progress line even on a terminal");
  cmd->callback([a] { run_tagger(*a); });
}

}  // namespace mulan::cli
