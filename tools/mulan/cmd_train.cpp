// mulan train --model INIT_DIR --data MANIFEST --out RUN_DIR [--val MANIFEST] [--steps N]
//             [--batch B] [--config train.json] [--resume]: contrastive training.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli_common.h"
#include "commands.h"
#include "mulan/error.h"
#include "mulan/train.h"

namespace mulan::cli {

namespace {
struct TrainArgs {
  train::TrainRun run;
  std::string config_path;
  std::optional<int64_t> steps, batch, log_every, val_every, checkpoint_every;
  std::optional<uint64_t> seed;
  std::optional<double> lr;
  std::optional<int> workers;
  bool no_progress = false;
};

void run_train(TrainArgs a) {
  train::TrainRun& run = a.run;
  run.config_given = a.steps || a.batch || a.seed || a.lr || a.workers || a.log_every || a.val_every || a.checkpoint_every ||
                     !a.config_path.empty();
  if (!a.config_path.empty()) run.config = train::load_train_config(a.config_path);
  if (a.steps) run.config.steps = *a.steps;
  if (a.batch) run.config.batch = *a.batch;
  if (a.seed) run.config.seed = *a.seed;
  if (a.lr) run.config.lr = run.config.trunk_lr = *a.lr;
  if (a.workers) run.config.workers = *a.workers;
  if (a.log_every) run.config.log_every = *a.log_every;
  if (a.val_every) run.config.val_every = *a.val_every;
  if (a.checkpoint_every) run.config.checkpoint_every = *a.checkpoint_every;
  run.progress = !a.no_progress && isatty(fileno(stderr));
  run.stop_signal = install_stop_signals();
  const train::TrainSummary s = with_resume_hints([&] { return train::train(run); });
  nlohmann::json out = {{"step", s.step},
                        {"loss", s.last_loss},
                        {"skipped_steps", s.skipped_steps},
                        {"pairs_per_s", s.pairs_per_s},
                        {"data_wait", s.data_wait},
                        {"run_dir", run.out_dir}};
  if (s.val_loss >= 0) {
    out["val"] = {{"loss", s.val_loss}, {"chance_loss", s.val_chance}, {"r_at_10", s.val_r_at_10}, {"map", s.val_map}};
  }
  std::cout << out.dump() << "\n";
}
}  // namespace

void register_train(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "train",
      "Contrastive training (the MuLan loss) of a model directory on a manifest. RUN_DIR gets train.json, "
      "metrics.jsonl, checkpoint-STEP.safetensors and, at the end, model/. Prints a JSON summary on stdout. SIGTERM "
      "or SIGINT stops it after the current step with a checkpoint (exit status 128 + signal); --resume continues.");
  auto a = std::make_shared<TrainArgs>();
  cmd->add_option("--model", a->run.model_dir, "Initial model directory (e.g. from mulan init or mulan import)")->required();
  cmd->add_option("--data", a->run.data, "Training data: a manifest (.jsonl; rows of split \"train\" or without a split) or WebDataset "
                  "tar shards (a .tar, a folder of them, or a pattern like train-{000..099}.tar)")->required();
  cmd->add_option("--out", a->run.out_dir, "Run directory")->required();
  cmd->add_option("--val", a->run.val, "Validation manifest (default: the data's rows of split \"val\")");
  cmd->add_option("--config", a->config_path, "train.json with any TrainConfig fields (src/train/train_config.h); flags override it");
  cmd->add_option("--steps", a->steps, "Optimiser steps (default 1000)")->check(positive_number());
  cmd->add_option("--batch", a->batch, "Pairs per step (default " + std::to_string(kDefaultTrainBatch) + ")")->check(CLI::Range(int64_t{2}, int64_t{1} << 20));
  cmd->add_option("--seed", a->seed, "Seed of every random choice (default 0)");
  cmd->add_option("--lr", a->lr, "Peak learning rate of heads and trunks (default 5e-4)")->check(non_negative_number());
  cmd->add_option("--workers", a->workers, "Loader threads (default 2)")->check(CLI::Range(1, 256));
  cmd->add_option("--log-every", a->log_every, "A metrics.jsonl row every N steps (default 10)")->check(positive_number());
  cmd->add_option("--val-every", a->val_every, "Validate every N steps, 0 = at the end only (default 200)")->check(non_negative_number());
  cmd->add_option("--checkpoint-every", a->checkpoint_every, "Checkpoint every N steps, 0 = at the end only (default 200)")
      ->check(non_negative_number());
  cmd->add_flag("--resume", a->run.resume,
                "Continue the run in --out from its newest checkpoint, exactly; start it when --out holds none yet (so "
                "one command line serves the first start and every restart). Flags or --config that differ from the "
                "run's train.json are refused");
  cmd->add_option("--stop-at", a->run.stop_at, "Stop after this step with a checkpoint (resume later)")->check(positive_number());
  cmd->add_option("--device", a->run.device, "cpu, cuda or cuda:N")->capture_default_str()->check(device_validator());
  cmd->add_flag("--no-progress", a->no_progress, "No progress line even on a terminal");
  cmd->callback([a] { run_train(*a); });
}

}  // namespace mulan::cli
