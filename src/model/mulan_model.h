// The two-tower model as a module: "text" (TextTower) and the temperature "log_tau".
// The audio towers join here with issue 4.
#pragma once

#include <torch/nn.h>

#include "model/bert.h"
#include "mulan/config.h"

namespace mulan::model {

struct MulanModelImpl : torch::nn::Module {
  explicit MulanModelImpl(const MulanConfig& c);

  TextTower text{nullptr};
  torch::Tensor log_tau;  // scalar; tau = exp(log_tau)
};
TORCH_MODULE(MulanModel);

}  // namespace mulan::model
