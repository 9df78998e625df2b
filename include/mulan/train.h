// `mulan train`: contrastive training of a model directory on a manifest (docs/mulan-spec.md
// sections 2 and 3). RUN_DIR holds train.json (the resolved config), metrics.jsonl,
// checkpoint-STEP.safetensors (train/checkpoint.h) and, at the end, model/ (a model directory).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "mulan/train_config.h"

namespace mulan::train {

struct TrainRun {
  std::string model_dir;     // the initial model directory (config.json, model.safetensors, vocab.txt)
  std::string data;          // training manifest (.jsonl)
  std::string val;           // validation manifest; "" takes the data's split == "val" rows, if any
  std::string out_dir;       // RUN_DIR
  // Continue the run in RUN_DIR from its newest checkpoint, with RUN_DIR/train.json; a RUN_DIR
  // without a checkpoint yet (or none at all) starts the run from step 0. So the same command
  // line serves the first start and every restart (a scheduler's requeue, torchrun's restarts).
  bool resume = false;
  // config was set from a config file or flags: with resume it must equal RUN_DIR/train.json,
  // field by field (else a usage error naming each field, its saved value and the new one).
  bool config_given = false;
  int64_t stop_at = 0;       // stop after this step with a checkpoint (0: run all config.steps)
  std::string device = "cpu";
  bool progress = false;     // a progress line on stderr
  TrainConfig config;        // with resume, RUN_DIR/train.json wins (and must agree, see config_given)
  // Set to a signal number (by the caller's signal handler) to stop the run at the end of the
  // current step with a checkpoint: train() then throws mulan::Interrupted. Every process of a
  // data-parallel run stops at the same step.
  const std::atomic<int>* stop_signal = nullptr;
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

// A model directory to train from (`mulan init`): a preset's towers, randomly initialised from
// a seed, and vocab.txt: the preset's vocabulary, or with vocab_from the words of a corpus.
struct InitOptions {
  std::string preset;          // a name of model::preset_names() (mulan/presets.h)
  std::string out_dir;         // the model directory to write (created)
  uint64_t seed = 0;           // of the random initialisation
  int tagger_classes = 0;      // > 0 adds an AudioSet-style tagger head (0..100000)
  std::string vocab_from;      // a manifest whose texts and tags join the vocabulary; "" = none
  bool force = false;          // replace a model already in out_dir
};
struct InitSummary {
  int64_t parameters = 0;
};
InitSummary init_model(const InitOptions& options);

}  // namespace mulan::train
