#include "mulan/train_config.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include "mulan/error.h"
#include "train/loss.h"
#include "util/field_reader.h"
#include "util/read_file.h"

namespace mulan::train {

audio::SpecAugmentConfig TrainConfig::spec_augment_config(int n_mels) const {
  audio::SpecAugmentConfig c = audio::SpecAugmentConfig::for_mels(n_mels);
  c.freq_masks = spec_freq_masks;
  if (spec_freq_width >= 0) c.freq_width = spec_freq_width;
  c.time_masks = spec_time_masks;
  c.time_width = spec_time_width;
  return c;
}

void TrainConfig::validate(const std::string& where) const {
  auto bad = [&](const std::string& field, const std::string& why) { throw Error(where + ": field '" + field + "' " + why); };
  if (steps < 1) bad("steps", "must be >= 1");
  if (batch < 2) bad("batch", "must be >= 2 (a contrastive batch needs negatives)");
  if (batch > kMaxBatch) bad("batch", "must be <= " + std::to_string(kMaxBatch));
  if (!(lr >= 0)) bad("lr", "must be >= 0");
  if (!(trunk_lr >= 0)) bad("trunk_lr", "must be >= 0");
  if (!(text_trunk_lr >= 0 || text_trunk_lr == -1)) bad("text_trunk_lr", "must be >= 0, or -1 for trunk_lr");
  if (!(weight_decay >= 0)) bad("weight_decay", "must be >= 0");
  if (!(adam_beta1 >= 0 && adam_beta1 < 1)) bad("adam_beta1", "must be in [0, 1)");
  if (!(adam_beta2 >= 0 && adam_beta2 < 1)) bad("adam_beta2", "must be in [0, 1)");
  if (!(adam_eps > 0 && adam_eps <= 1)) bad("adam_eps", "must be in (0, 1]");
  if (warmup_steps < 0) bad("warmup_steps", "must be >= 0");
  if (!(min_lr_fraction >= 0 && min_lr_fraction <= 1)) bad("min_lr_fraction", "must be in [0, 1]");
  if (!(grad_clip >= 0)) bad("grad_clip", "must be >= 0");
  try {
    loss_kind_from_string(loss);
  } catch (const Error& e) {
    bad("loss", std::string("is wrong: ") + e.what());
  }
  if (!(tau_min > 0 && tau_min <= 1)) bad("tau_min", "must be in (0, 1]");
  if (audio_proj != "learn" && audio_proj != "tagger" && audio_proj != "tagger-standardized") {
    bad("audio_proj", "must be \"learn\", \"tagger\" or \"tagger-standardized\"");
  }
  if (text_variant != "filtered" && text_variant != "raw") bad("text_variant", "must be \"filtered\" or \"raw\"");
  double total = 0;
  for (const auto& [source, w] : source_ratio) {
    if (source != "sf" && source != "lf" && source != "pl" && source != "aset") {
      bad("source_ratio", "has unknown source '" + source + "' (expected sf, lf, pl, aset)");
    }
    if (!(w >= 0)) bad("source_ratio", "weight of '" + source + "' must be >= 0");
    total += w;
  }
  if (!(total > 0)) bad("source_ratio", "must give some source a positive weight");
  if (spec_freq_masks < 0) bad("spec_freq_masks", "must be >= 0");
  if (spec_freq_width < -1) bad("spec_freq_width", "must be >= 0 (or -1 for the spec's default)");
  if (spec_time_masks < 0) bad("spec_time_masks", "must be >= 0");
  if (spec_time_width < 0) bad("spec_time_width", "must be >= 0");
  if (log_every < 1) bad("log_every", "must be >= 1");
  if (val_every < 0) bad("val_every", "must be >= 0");
  if (checkpoint_every < 0) bad("checkpoint_every", "must be >= 0");
  if (keep_checkpoints < 1 || keep_checkpoints > 1000) bad("keep_checkpoints", "must be in 1..1000");
  if (workers < 1 || workers > 256) bad("workers", "must be in 1..256");
  if (prefetch_batches < 1 || prefetch_batches > 1024) bad("prefetch_batches", "must be in 1..1024");
  if (cache_mb < 0) bad("cache_mb", "must be >= 0");
  if (!(max_bad_fraction >= 0 && max_bad_fraction <= 1)) bad("max_bad_fraction", "must be in [0, 1]");
  if (max_nonfinite_steps < 1) bad("max_nonfinite_steps", "must be >= 1");
  if (val_batch < 2) bad("val_batch", "must be >= 2");
}

void to_json(nlohmann::json& j, const TrainConfig& c) {
  j = nlohmann::json{{"steps", c.steps},
                     {"batch", c.batch},
                     {"lr", c.lr},
                     {"trunk_lr", c.trunk_lr},
                     {"text_trunk_lr", c.text_trunk_lr},
                     {"weight_decay", c.weight_decay},
                     {"adam_beta1", c.adam_beta1},
                     {"adam_beta2", c.adam_beta2},
                     {"adam_eps", c.adam_eps},
                     {"warmup_steps", c.warmup_steps},
                     {"min_lr_fraction", c.min_lr_fraction},
                     {"grad_clip", c.grad_clip},
                     {"loss", c.loss},
                     {"tau_min", c.tau_min},
                     {"learn_tau", c.learn_tau},
                     {"audio_proj", c.audio_proj},
                     {"text_variant", c.text_variant},
                     {"source_ratio", c.source_ratio},
                     {"spec_augment", c.spec_augment},
                     {"spec_freq_masks", c.spec_freq_masks},
                     {"spec_freq_width", c.spec_freq_width},
                     {"spec_time_masks", c.spec_time_masks},
                     {"spec_time_width", c.spec_time_width},
                     {"seed", c.seed},
                     {"log_every", c.log_every},
                     {"val_every", c.val_every},
                     {"checkpoint_every", c.checkpoint_every},
                     {"keep_checkpoints", c.keep_checkpoints},
                     {"workers", c.workers},
                     {"prefetch_batches", c.prefetch_batches},
                     {"cache_mb", c.cache_mb},
                     {"max_bad_fraction", c.max_bad_fraction},
                     {"max_nonfinite_steps", c.max_nonfinite_steps},
                     {"amp", c.amp},
                     {"val_batch", c.val_batch}};
}

TrainConfig parse_train_config(const nlohmann::json& j, const std::string& where) {
  TrainConfig c;
  FieldReader r(j, where, "");
  r.get("steps", c.steps, false);
  r.get("batch", c.batch, false);
  r.get("lr", c.lr, false);
  r.get("trunk_lr", c.trunk_lr, false);
  r.get("text_trunk_lr", c.text_trunk_lr, false);
  r.get("weight_decay", c.weight_decay, false);
  r.get("adam_beta1", c.adam_beta1, false);
  r.get("adam_beta2", c.adam_beta2, false);
  r.get("adam_eps", c.adam_eps, false);
  r.get("warmup_steps", c.warmup_steps, false);
  r.get("min_lr_fraction", c.min_lr_fraction, false);
  r.get("grad_clip", c.grad_clip, false);
  r.get("loss", c.loss, false);
  r.get("tau_min", c.tau_min, false);
  r.get("learn_tau", c.learn_tau, false);
  r.get("audio_proj", c.audio_proj, false);
  r.get("text_variant", c.text_variant, false);
  r.get("source_ratio", c.source_ratio, false);
  r.get("spec_augment", c.spec_augment, false);
  r.get("spec_freq_masks", c.spec_freq_masks, false);
  r.get("spec_freq_width", c.spec_freq_width, false);
  r.get("spec_time_masks", c.spec_time_masks, false);
  r.get("spec_time_width", c.spec_time_width, false);
  r.get("seed", c.seed, false);
  r.get("log_every", c.log_every, false);
  r.get("val_every", c.val_every, false);
  r.get("checkpoint_every", c.checkpoint_every, false);
  r.get("keep_checkpoints", c.keep_checkpoints, false);
  r.get("workers", c.workers, false);
  r.get("prefetch_batches", c.prefetch_batches, false);
  r.get("cache_mb", c.cache_mb, false);
  r.get("max_bad_fraction", c.max_bad_fraction, false);
  r.get("max_nonfinite_steps", c.max_nonfinite_steps, false);
  r.get("amp", c.amp, false);
  r.get("val_batch", c.val_batch, false);
  r.refuse_unknown();
  c.validate(where);
  return c;
}

TrainConfig load_train_config(const std::string& path) {
  const std::string text = read_file(path, kMaxConfigBytes, "a train config");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(file_error(path, std::string("not valid JSON (") + e.what() + ")"));
  }
  return parse_train_config(j, path);
}

}  // namespace mulan::train
