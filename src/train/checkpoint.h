// Training checkpoints: RUN_DIR/checkpoint-STEP.safetensors (STEP zero-padded to 9 digits), the
// last keep_checkpoints of them kept. Each holds the model's parameters and buffers
// ("model.NAME"), the AdamW state of every parameter ("optim.GROUP.INDEX.exp_avg",
// "...exp_avg_sq", "...max_exp_avg_sq"), and, as JSON in the safetensors metadata under
// "mulan.checkpoint", the step, what fixes the data position (seed, batch, world), each
// parameter's AdamW step count and the SHA-256 of the tensor data. Data only: reading one runs no
// code (the LibTorch archives of earlier versions, pickles that can, are refused). Written
// atomically (a fresh temporary file, fsync, rename): a SIGKILL at any moment leaves the previous
// checkpoints and maybe the new one, never half of one; a checkpoint that is cut or corrupt
// anyway (a disk fault) fails its checksum and the one before it is used.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace torch::nn {
class Module;
}
namespace torch::optim {
class AdamW;
}

namespace mulan::train {

// What earlier versions wrote (a pickled LibTorch archive): refused, never opened.
inline constexpr const char* kLegacyCheckpointFile = "checkpoint.pt";

struct CheckpointMeta {
  int64_t step = 0;            // optimiser steps done
  uint64_t seed = 0;           // the run's seed: with step, batch and world it fixes the next pair
  int64_t batch = 0;           // pairs per step on each process
  int64_t world = 1;           // processes
  int64_t skipped_steps = 0;   // non-finite losses skipped so far
};

// RUN_DIR/checkpoint-STEP.safetensors.
std::string checkpoint_path(const std::string& run_dir, int64_t step);
// Removes what a process killed while writing a checkpoint left: ".checkpoint-*.tmp" files.
void remove_checkpoint_temporaries(const std::string& run_dir);
// The checkpoints of RUN_DIR, newest (highest step) first.
std::vector<std::string> list_checkpoints(const std::string& run_dir);

// Writes RUN_DIR/checkpoint-META.STEP.safetensors, then removes all but the newest `keep`.
void save_checkpoint(const std::string& run_dir, int keep, torch::nn::Module& model, torch::optim::AdamW& optimizer,
                     const CheckpointMeta& meta);
// Restores model and optimiser in place. Refuses, naming the file and the tensor or field, a
// file that is not a mulan checkpoint, a tensor that is missing, unexpected, misshapen or not
// finite, and an optimiser state that does not fit the optimiser's parameter groups. Nothing is
// changed in the model or the optimiser unless everything fits.
CheckpointMeta load_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::AdamW& optimizer);

struct ResumePoint {
  CheckpointMeta meta;
  std::string path;                  // the checkpoint restored
  std::vector<std::string> skipped;  // newer ones that were refused, each "PATH: why"
};
// Restores the newest checkpoint of RUN_DIR that loads; a newer one that is cut, corrupt or
// refused is skipped and named. Throws mulan::Error when there is none, or none loads.
ResumePoint load_latest_checkpoint(const std::string& run_dir, torch::nn::Module& model, torch::optim::AdamW& optimizer);

}  // namespace mulan::train
