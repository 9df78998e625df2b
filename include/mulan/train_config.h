// Everything a training run is made of, as plain fields with defaults; read from train.json
// (strictly: unknown fields are refused), overridden by CLI flags, saved into RUN_DIR/train.json.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "mulan/params.h"
#include "mulan/spec_augment.h"

namespace mulan::train {

inline constexpr int64_t kMaxBatch = int64_t{1} << 20;  // pairs per step and process, at most

struct TrainConfig {
  int64_t steps = 1000;             // optimiser steps of the run
  int64_t batch = kDefaultTrainBatch;  // 64 pairs per step on each process (global batch = batch x world)
  double lr = 5e-4;                 // peak learning rate of the new heads (projections, tagger, tau)
  double trunk_lr = 5e-4;           // peak learning rate of the trunks (lower it for pre-trained ones;
                                    // 0 freezes them: no gradients are computed, and they run in
                                    // evaluation mode, BatchNorm statistics fixed and no dropout)
  double text_trunk_lr = -1;        // the text trunk's own peak rate when >= 0 (-1: trunk_lr), e.g. a
                                    // pre-trained audio tower (pretrain-tagger) beside a new text tower
  double weight_decay = 0.01;       // AdamW decoupled weight decay (matrices only: no biases, norms, tau)
  double adam_beta1 = 0.9;          // AdamW beta1
  double adam_beta2 = 0.999;        // AdamW beta2
  double adam_eps = 1e-8;           // AdamW epsilon
  int64_t warmup_steps = 100;       // linear warm-up from 0 to the peak, then cosine decay
  double min_lr_fraction = 0.0;     // the cosine ends at peak x this
  double grad_clip = 1.0;           // clip the global gradient norm to this (0: no clipping)
  std::string loss = "mulan";       // "mulan" (spec 2) or "clip" (symmetric InfoNCE)
  double tau_min = 0.01;            // the temperature is clamped to [tau_min, 1]
  bool learn_tau = true;            // false freezes tau at the model's value
  // The audio projection of `mulan train`: "learn" trains it (at lr); "tagger" sets it, when the
  // run starts, to the model's tagger head (its C rows: the head's weights and biases; the other
  // rows 0), so that the audio embedding is the pre-trained tagger's L2-normalised logits, and
  // holds it there. The text tower then learns to meet an audio side that keeps what the tagger
  // heard (docs/results.md: the contrastive stage otherwise loses the mode).
  // "tagger-standardized" does the same, then standardises each logit over the training
  // recordings' middle windows (row k: (logit_k - mean_k) / sd_k), so that every tag moves the
  // embedding alike; it is what lets the demo model hear major and minor zero-shot.
  std::string audio_proj = "learn";
  // Which texts of a mined manifest (mulan mine) to train on: "filtered" reads each row's
  // "texts", "raw" its "texts_raw" (the same sources before the SF and LF filters; a row without
  // "texts_raw" uses "texts"), so one mining run serves the paper's filtering ablation.
  std::string text_variant = "filtered";
  std::map<std::string, double> source_ratio = {{"sf", 2}, {"lf", 2}, {"pl", 1}, {"aset", 1}};  // SF:LF:PL:ASET
  bool spec_augment = true;         // SpecAugment on training windows
  int spec_freq_masks = 2;          // SpecAugment frequency masks
  int spec_freq_width = -1;         // widest frequency mask (-1: 8 for F = 64, 16 for F = 128)
  int spec_time_masks = 2;          // SpecAugment time masks
  int spec_time_width = 100;        // widest time mask, frames
  uint64_t seed = 0;                // every random choice of the run derives from it
  int64_t log_every = 10;           // a metrics.jsonl row every N steps
  int64_t val_every = 200;          // validation every N steps (0: at the end only)
  int64_t checkpoint_every = 200;   // checkpoint every N steps (0: at the end only)
  int keep_checkpoints = 2;         // the newest N checkpoints are kept (an older one is used when the newest is corrupt)
  int workers = kDefaultLoaderWorkers;  // 2 loader threads (decode, front end, crop)
  int prefetch_batches = 4;         // batches the loader may prepare ahead
  int64_t cache_mb = kDefaultSpectrogramCacheMb;  // 2048 MiB of memory for whole-recording spectrograms kept between epochs
  double max_bad_fraction = 0.5;    // stop when more than this fraction of the recordings is bad
  int max_nonfinite_steps = 20;     // stop after this many non-finite losses in a row
  bool amp = true;                  // mixed precision (autocast) on CUDA; ignored on CPU
  int64_t val_batch = 64;           // pairs per validation step (the loss depends on it)

  audio::SpecAugmentConfig spec_augment_config(int n_mels) const;
  void validate(const std::string& where = "train config") const;  // throws mulan::Error naming the field
};

void to_json(nlohmann::json& j, const TrainConfig& c);
// Reads a train.json object: missing fields keep defaults, unknown fields are refused.
TrainConfig parse_train_config(const nlohmann::json& j, const std::string& where);
TrainConfig load_train_config(const std::string& path);

}  // namespace mulan::train
