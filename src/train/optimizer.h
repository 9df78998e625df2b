// AdamW over the model with separate learning rates for trunks and new heads, and the
// learning-rate schedule (linear warm-up, then cosine decay).
#pragma once

#include <torch/optim/adamw.h>

#include <memory>
#include <string>
#include <vector>

#include "mulan/train_config.h"

namespace mulan::model {
struct MulanModelImpl;
}

namespace mulan::train {

// Heads are the projections to the joint space ("audio.proj.", "text.proj."), the tagger
// ("audio.tagger.") and the temperature ("log_tau"); the rest is trunk.
bool is_head_parameter(const std::string& name);

struct Optimizer {
  std::unique_ptr<torch::optim::AdamW> adamw;
  std::vector<double> peak_lr;  // one per parameter group
  // Sets every group's learning rate for step (0-based) and returns the heads' rate.
  double set_lr(int64_t step, const TrainConfig& config);
};

// Groups: trunk / head x weight decay (matrices) / none (biases, norms, tau); with
// config.text_trunk_lr >= 0 the text trunk ("text." but not a head) has groups of its own.
Optimizer make_optimizer(torch::nn::Module& model, const TrainConfig& config);

// Training mode for the model, except for a trunk that make_optimizer froze (rate 0): it runs in
// evaluation mode, so that BatchNorm normalises with the statistics it was trained with (and
// keeps them), dropout is off, and its features in training are those it gives at inference.
void enter_training_mode(model::MulanModelImpl& net, const TrainConfig& config);

// The schedule's factor at step (0-based) of steps: (step + 1) / warmup during the warm-up,
// then min + (1 - min) (1 + cos(pi p)) / 2 with p going from 0 to 1 over the rest.
double lr_factor(int64_t step, const TrainConfig& config);

}  // namespace mulan::train
