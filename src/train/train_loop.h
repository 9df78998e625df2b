// The training loop that `mulan train` (trainer.cpp) and `mulan pretrain-tagger`
// (tagger_trainer.cpp) share: the run directory (train.json, run.json), the data-parallel group,
// the optimiser, checkpoints (their cadence, keep_checkpoints, the final one, resume and its
// checks), the step driver (mixed precision, non-finite steps, gradient all-reduce and
// clipping), the metrics.jsonl rows and the progress line, and the stop signal. A trainer gives
// only what is its own: the loss of a batch, its data, its validation and its metrics columns.
//
// A step: the batch of this process; the seed of torch's generator set from (seed, step) so that
// a resumed run draws the same dropout; the trainer's loss (under autocast with amp on CUDA);
// every process agrees whether it is finite; if so, back-propagation, the gradient summed over
// the processes, the global norm clipped to grad_clip and checked; then the optimiser's step,
// or, for a non-finite loss or norm, no update, counted in skipped_steps and left out of
// loss_mean. max_nonfinite_steps of them in a row stop the run.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "mulan/manifest.h"
#include "data/pair_loader.h"
#include "mulan/config.h"
#include "train/checkpoint.h"
#include "train/distributed.h"
#include "train/optimizer.h"
#include "train/run_log.h"
#include "mulan/train.h"

namespace mulan {
class Model;
}
namespace mulan::model {
struct MulanModelImpl;
}

namespace mulan::train {

// The run directory and its config.
struct ResolvedRun {
  TrainConfig config;            // RUN_DIR/train.json when resuming a started run, else run.config (validated)
  bool from_checkpoint = false;  // RUN_DIR holds a checkpoint to continue from
};
// Refuses a RUN_DIR that is a file, that holds an earlier version's checkpoint.pt, that holds a
// run without resume, or whose train.json differs from the given config with resume.
ResolvedRun resolve_run(const TrainRun& run);
// The fault-injection switch for tests (documented in docs/training.md): the steps listed in
// MULAN_TEST_NONFINITE_STEPS (comma-separated, 1-based) get a NaN loss. Empty when unset.
std::vector<int64_t> injected_nonfinite_steps();
struct RunData {
  std::vector<data::Recording> train, val;  // split "train" or none; the val manifest, or split "val"
  std::vector<std::string> notes;           // bad-row summaries, for the log
};
// Reads run.data (manifest or shards) and run.val with these options.
RunData read_run_data(const TrainRun& run, const data::ManifestOptions& options);

// The loader of a run: the config's batch, workers, cache, SpecAugment; the audio tower's front
// end and window; process rank of world.
data::PairLoaderOptions loader_options(const TrainConfig& c, const AudioConfig& audio, int64_t rank = 0, int64_t world = 1);

// The modules of a model (towers, temperature), for training: the one place the trainers reach
// past mulan::Model.
model::MulanModelImpl& training_modules(Model& model);

// How a step's loss stands to the global batch (all processes' batches) in data-parallel runs.
enum class LossScope {
  // Every process computes the same loss of the global batch from the gathered rows (see
  // distributed.h): the processes' gradients are summed, the loss is reported as it is.
  global,
  // The mean over this process's batch: the global loss is the mean of the processes' losses
  // (the batches are the same size), so each back-propagates its loss / world before the sum.
  process,
};

struct StepHooks {
  // The loss of a step (a scalar) on this process's batch; step is 0-based. Called under
  // autocast when amp is on (CUDA only). Required.
  std::function<at::Tensor(const data::PairBatch& batch, int64_t step)> loss;
  // LossScope::global only: parameters that enter the loss directly rather than through this
  // process's rows (the temperature). Every process holds their whole gradient, so it is divided
  // by the world size before the sum.
  std::vector<at::Tensor> whole_gradient;
  // Adds the trainer's columns to a training row of metrics.jsonl (the temperature). Optional.
  std::function<void(nlohmann::json& row)> columns;
  // The temperature shown on the progress line. Optional: no tau part without it.
  std::function<double()> tau;
  // Validation after step `done` (every val_every steps, and after the last step of the run);
  // called on rank 0 only, which writes its rows with log(). Optional.
  std::function<void(int64_t done)> validate;
};

struct LoopResult {
  int64_t step = 0;           // the step the run ended at
  double last_loss = 0;       // the loss of the last step (NaN when it was skipped)
  int64_t skipped_steps = 0;  // non-finite steps so far, over every start of the run
  double pairs_per_s = 0;     // global batch examples per second over this start
  double data_wait = 0;       // fraction of this start spent waiting for the loader
  bool finished = false;      // the run reached config.steps (and rank 0 wrote RUN_DIR/model)
};

class TrainLoop {
 public:
  // Resolves the run directory and config (resolve_run) and, when started by torchrun & co.
  // (WORLD_SIZE > 1), joins the data-parallel group (blocks until every process has). command
  // ("mulan train") starts the notes; what ("training") the messages of a stopped run.
  TrainLoop(const TrainRun& run, std::string command, std::string what, LossScope scope);
  ~TrainLoop();
  TrainLoop(const TrainLoop&) = delete;
  TrainLoop& operator=(const TrainLoop&) = delete;

  const TrainConfig& config() const { return config_; }
  const DistEnv& env() const { return env_; }
  bool root() const { return env_.rank == 0; }
  // Where this process trains: cuda:LOCAL_RANK for a data-parallel run on "cuda".
  c10::Device device() const { return device_; }
  // The global batch: what the sampler hands out per step (batch x world).
  int64_t pairs_per_step() const { return config_.batch * env_.world; }
  // The data-parallel group; null for a run of one process.
  Distributed* distributed() { return dist_.get(); }

  // Makes the optimiser over model's trainable parameters (freeze before), then restores the
  // newest checkpoint that loads (refusing one written with another seed, batch or number of
  // processes) or, on a new run, has rank 0 write RUN_DIR/train.json and RUN_DIR/run.json
  // (run_info). Opens metrics.jsonl (rank 0) and prints notes.
  void start(Model& model, const nlohmann::json& run_info, const std::vector<std::string>& notes);
  // Before start() too: whether start() will continue from a checkpoint of RUN_DIR.
  bool resuming() const { return from_checkpoint_; }
  // After start(): the first step of this start (the checkpoint's step, or 0).
  int64_t first_step() const { return meta_.step; }
  RunLog& log() { return *log_; }

  // Trains from first_step() to stop_at or config.steps, batches from loader (which must start
  // at first_step()). Throws mulan::Error when too many steps in a row are non-finite, and
  // mulan::Interrupted after a stop signal (with a checkpoint). At config.steps, rank 0 writes
  // RUN_DIR/model from model.
  LoopResult run(data::PairLoader& loader, const StepHooks& hooks);

 private:
  std::string last_checkpoint() const;
  void checkpoint(int64_t step);

  const TrainRun& run_;
  std::string command_, what_;
  LossScope scope_;
  TrainConfig config_;
  bool from_checkpoint_ = false;
  DistEnv env_;
  c10::Device device_;
  std::unique_ptr<Distributed> dist_;
  Model* model_ = nullptr;
  model::MulanModelImpl* net_ = nullptr;
  Optimizer opt_;
  CheckpointMeta meta_;
  std::unique_ptr<RunLog> log_;
};

}  // namespace mulan::train
