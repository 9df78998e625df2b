#include "train/optimizer.h"

#include <torch/torch.h>

#include <cmath>

#include "model/mulan_model.h"

namespace mulan::train {

bool is_head_parameter(const std::string& name) {
  return name.starts_with("audio.proj.") || name.starts_with("text.proj.") || name.starts_with("audio.tagger.") ||
         name == "log_tau";
}

Optimizer make_optimizer(torch::nn::Module& model, const TrainConfig& config) {
  // Groups by part (0 trunk, 1 text trunk when it has its own rate, 2 head) and decay.
  const bool text_apart = config.text_trunk_lr >= 0;
  const double part_lr[3] = {config.trunk_lr, config.text_trunk_lr, config.lr};
  std::vector<torch::Tensor> groups[3][2];  // [part][0: decay, 1: no decay]
  for (const auto& p : model.named_parameters(/*recurse=*/true)) {
    if (p.key() == "log_tau" && !config.learn_tau) {
      p.value().set_requires_grad(false);
      continue;
    }
    if (!p.value().requires_grad()) continue;
    // audio_proj "tagger" (or "tagger-standardized"): the projection is held where mulan train set it.
    if (config.audio_proj != "learn" && p.key().starts_with("audio.proj.")) {
      p.value().set_requires_grad(false);
      continue;
    }
    const int part = is_head_parameter(p.key()) ? 2 : text_apart && p.key().starts_with("text.") ? 1 : 0;
    // A part at rate 0 is frozen: no gradient is computed for it (a frozen audio trunk then
    // runs its forward pass without building a graph) and it does not count in the clipping norm.
    // Its buffers are not parameters: the trainer keeps BatchNorm's running statistics by running
    // a frozen trunk in evaluation mode.
    if (part_lr[part] == 0) {
      p.value().set_requires_grad(false);
      continue;
    }
    const bool decay = p.value().dim() >= 2;
    groups[part][decay ? 0 : 1].push_back(p.value());
  }
  Optimizer o;
  std::vector<torch::optim::OptimizerParamGroup> param_groups;
  for (int part = 0; part < 3; ++part) {
    for (int d = 0; d < 2; ++d) {
      if (groups[part][d].empty()) continue;
      const double lr = part_lr[part];
      auto options = std::make_unique<torch::optim::AdamWOptions>(lr);
      options->betas({config.adam_beta1, config.adam_beta2}).eps(config.adam_eps).weight_decay(d == 0 ? config.weight_decay : 0.0);
      param_groups.emplace_back(groups[part][d], std::move(options));
      o.peak_lr.push_back(lr);
    }
  }
  o.adamw = std::make_unique<torch::optim::AdamW>(param_groups, torch::optim::AdamWOptions(config.lr));
  return o;
}

void enter_training_mode(model::MulanModelImpl& net, const TrainConfig& config) {
  net.train();
  if (config.trunk_lr == 0 && net.audio) {
    if (net.audio->resnet) net.audio->resnet->eval();
    if (net.audio->ast) net.audio->ast->eval();
  }
  const double text_trunk_lr = config.text_trunk_lr >= 0 ? config.text_trunk_lr : config.trunk_lr;
  if (text_trunk_lr == 0 && net.text) net.text->bert->eval();
}

double lr_factor(int64_t step, const TrainConfig& c) {
  if (step < c.warmup_steps) return static_cast<double>(step + 1) / static_cast<double>(c.warmup_steps);
  const int64_t decay_steps = c.steps - c.warmup_steps;
  if (decay_steps <= 1) return 1.0;
  const double p = std::min(1.0, static_cast<double>(step - c.warmup_steps) / static_cast<double>(decay_steps - 1));
  return c.min_lr_fraction + (1.0 - c.min_lr_fraction) * 0.5 * (1.0 + std::cos(M_PI * p));
}

double Optimizer::set_lr(int64_t step, const TrainConfig& config) {
  const double f = lr_factor(step, config);
  auto& groups = adamw->param_groups();
  for (std::size_t g = 0; g < groups.size(); ++g) {
    static_cast<torch::optim::AdamWOptions&>(groups[g].options()).lr(peak_lr[g] * f);
  }
  return config.lr * f;
}

}  // namespace mulan::train
