// Training checkpoints: one file (RUN_DIR/checkpoint.pt, a LibTorch archive) holding the model's
// parameters and buffers, the optimiser state, the step and what fixes the data position
// (seed, batch, world). Written atomically (temporary file, fsync, rename): a SIGKILL at any
// moment leaves the previous checkpoint or the new one, never half of one.
#pragma once

#include <cstdint>
#include <string>

namespace torch::nn {
class Module;
}
namespace torch::optim {
class Optimizer;
}

namespace mulan::train {

struct CheckpointMeta {
  int64_t step = 0;            // optimiser steps done
  uint64_t seed = 0;           // the run's seed: with step, batch and world it fixes the next pair
  int64_t batch = 0;           // pairs per step on each process
  int64_t world = 1;           // processes
  int64_t skipped_steps = 0;   // non-finite losses skipped so far
};

void save_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::Optimizer& optimizer,
                     const CheckpointMeta& meta);
// Restores model and optimiser in place; refuses (naming the file and tensor) a checkpoint whose
// tensors do not fit the model.
CheckpointMeta load_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::Optimizer& optimizer);

}  // namespace mulan::train
