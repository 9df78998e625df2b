// The two-tower model as a module: "audio" (AudioTower), "text" (TextTower) and the
// temperature "log_tau". A model directory may hold one tower only.
#pragma once

#include <torch/nn.h>

#include "model/audio_tower.h"
#include "model/bert.h"
#include "mulan/config.h"

namespace mulan::model {

struct MulanModelImpl : torch::nn::Module {
  explicit MulanModelImpl(const MulanConfig& c);

  AudioTower audio{nullptr};
  TextTower text{nullptr};
  torch::Tensor log_tau;  // scalar; tau = exp(log_tau)
};
TORCH_MODULE(MulanModel);

}  // namespace mulan::model
