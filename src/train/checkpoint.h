// Training checkpoints: one file, RUN_DIR/checkpoint.safetensors, holding the model's parameters
// and buffers ("model.NAME"), the AdamW state of every parameter ("optim.GROUP.INDEX.exp_avg",
// "...exp_avg_sq", "...max_exp_avg_sq"), and, as JSON in the safetensors metadata under
// "mulan.checkpoint", the step, what fixes the data position (seed, batch, world) and each
// parameter's AdamW step count. Data only: reading one runs no code (the LibTorch archives of
// earlier versions, pickles that can, are refused). Written atomically (a fresh temporary file,
// fsync, rename): a SIGKILL at any moment leaves the previous checkpoint or the new one, never
// half of one.
#pragma once

#include <cstdint>
#include <string>

namespace torch::nn {
class Module;
}
namespace torch::optim {
class AdamW;
}

namespace mulan::train {

inline constexpr const char* kCheckpointFile = "checkpoint.safetensors";
// What earlier versions wrote (a pickled LibTorch archive): refused, never opened.
inline constexpr const char* kLegacyCheckpointFile = "checkpoint.pt";

struct CheckpointMeta {
  int64_t step = 0;            // optimiser steps done
  uint64_t seed = 0;           // the run's seed: with step, batch and world it fixes the next pair
  int64_t batch = 0;           // pairs per step on each process
  int64_t world = 1;           // processes
  int64_t skipped_steps = 0;   // non-finite losses skipped so far
};

void save_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::AdamW& optimizer,
                     const CheckpointMeta& meta);
// Restores model and optimiser in place. Refuses, naming the file and the tensor or field, a
// file that is not a mulan checkpoint, a tensor that is missing, unexpected, misshapen or not
// finite, and an optimiser state that does not fit the optimiser's parameter groups. Nothing is
// changed in the model or the optimiser unless everything fits.
CheckpointMeta load_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::AdamW& optimizer);

}  // namespace mulan::train
