// `mulan train`: contrastive training of a model directory on a manifest (docs/mulan-spec.md
// sections 2 and 3). RUN_DIR holds train.json (the resolved config), metrics.jsonl,
// checkpoint.safetensors and, at the end, model/ (a model directory).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/pair_loader.h"
#include "mulan/config.h"
#include "train/train_config.h"

namespace mulan::train {

struct TrainRun {
  std::string model_dir;     // the initial model directory (config.json, model.safetensors, vocab.txt)
  std::string data;          // training manifest (.jsonl)
  std::string val;           // validation manifest; "" takes the data's split == "val" rows, if any
  std::string out_dir;       // RUN_DIR
  bool resume = false;       // continue from RUN_DIR/checkpoint.safetensors with RUN_DIR/train.json
  int64_t stop_at = 0;       // stop after this step with a checkpoint (0: run all config.steps)
  std::string device = "cpu";
  bool progress = false;     // a progress line on stderr
  TrainConfig config;        // ignored with resume (RUN_DIR/train.json is the run's config)
};

struct TrainSummary {
  int64_t step = 0;          // the step the run ended at
  double last_loss = 0;      // training loss of the last step
  double val_loss = -1;      // the last validation (-1: none)
  double val_chance = -1;
  double val_r_at_10 = -1;
  double val_map = -1;
  int64_t skipped_steps = 0; // non-finite losses skipped
  double pairs_per_s = 0;    // over the whole run
  double data_wait = 0;      // fraction of the run spent waiting for the loader
};

TrainSummary train(const TrainRun& run);

// What the contrastive and the tagger runs share.
// The run's config: RUN_DIR/train.json with --resume (which needs RUN_DIR/checkpoint.safetensors),
// else run.config validated (refused when RUN_DIR already holds a checkpoint).
TrainConfig resolve_config(const TrainRun& run);
struct RunData {
  std::vector<data::Recording> train, val;  // split "train" or none; --val, or split "val"
  std::vector<std::string> notes;           // bad-row summaries, for the log
};
// Reads run.data (manifest or shards) and run.val with these options.
RunData read_run_data(const TrainRun& run, const data::ManifestOptions& options);

// The loader of a run: the config's batch, workers, cache, SpecAugment; the audio tower's front
// end and window; process rank of world.
data::PairLoaderOptions loader_options(const TrainConfig& c, const AudioConfig& audio, int64_t rank = 0, int64_t world = 1);

}  // namespace mulan::train
