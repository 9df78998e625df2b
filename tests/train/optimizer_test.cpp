// The optimiser's parameter groups (which rate and decay each parameter gets) and the
// learning-rate schedule against its formula.
#include "train/optimizer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <map>
#include <numbers>

#include "model/mulan_model.h"
#include "mulan/presets.h"
#include "mulan/model.h"

namespace mulan::train {
namespace {

struct GroupOf {
  double lr, weight_decay;
};

// For every named parameter, the rate and decay of the group holding it.
std::map<std::string, GroupOf> groups_of(torch::nn::Module& m, const Optimizer& o) {
  std::map<std::string, GroupOf> out;
  const auto& groups = o.adamw->param_groups();
  for (const auto& p : m.named_parameters()) {
    for (const auto& g : groups) {
      for (const auto& t : g.params()) {
        if (t.is_same(p.value())) {
          const auto& opt = static_cast<const torch::optim::AdamWOptions&>(g.options());
          out[p.key()] = {opt.lr(), opt.weight_decay()};
        }
      }
    }
  }
  return out;
}

TEST(Optimizer, TrunkTextTrunkAndHeadRatesAndNoDecayOnVectors) {
  Model model = Model::init(model::preset("tiny"), 1);
  auto& net = model::modules_of(model);
  TrainConfig c;
  c.lr = 1e-3, c.trunk_lr = 1e-4, c.weight_decay = 0.05;
  for (double text_lr : {-1.0, 5e-4}) {
    c.text_trunk_lr = text_lr;
    const Optimizer o = make_optimizer(net, c);
    EXPECT_EQ(o.adamw->param_groups().size(), text_lr < 0 ? 4u : 6u);
    ASSERT_EQ(o.peak_lr.size(), o.adamw->param_groups().size());
    const auto g = groups_of(net, o);
    int64_t counted = 0;
    for (const auto& p : net.named_parameters()) {
      const std::string& name = p.key();
      ASSERT_TRUE(g.count(name)) << name << " is in no group";
      ++counted;
      const bool head = name.starts_with("audio.proj.") || name.starts_with("text.proj.") || name == "log_tau";
      const double want = head ? 1e-3 : name.starts_with("text.") && text_lr >= 0 ? text_lr : 1e-4;
      EXPECT_DOUBLE_EQ(g.at(name).lr, want) << name;
      EXPECT_DOUBLE_EQ(g.at(name).weight_decay, p.value().dim() >= 2 ? 0.05 : 0.0) << name;
    }
    EXPECT_GT(counted, 20);
  }
}

TEST(Optimizer, RateZeroFreezesAPartAndItsGradientsAreNotComputed) {
  Model model = Model::init(model::preset("tiny"), 1);
  auto& net = model::modules_of(model);
  TrainConfig c;
  c.lr = 1e-3, c.trunk_lr = 0, c.text_trunk_lr = 5e-4;
  const Optimizer o = make_optimizer(net, c);
  const auto g = groups_of(net, o);
  for (const auto& p : net.named_parameters()) {
    const std::string& name = p.key();
    const bool audio_trunk = name.starts_with("audio.") && !is_head_parameter(name);
    EXPECT_EQ(g.count(name), audio_trunk ? 0u : 1u) << name;
    EXPECT_EQ(p.value().requires_grad(), !audio_trunk) << name;
  }
  // The frozen trunk builds no graph: only the projection receives a gradient.
  const torch::Tensor a = net.audio->forward(torch::randn({2, model.config().audio->n_mels, 200}));
  a.sum().backward();
  for (const auto& p : net.audio->named_parameters()) {
    EXPECT_EQ(p.value().grad().defined(), p.key().starts_with("proj.")) << p.key();
  }
}

TEST(Optimizer, WarmUpThenCosineAsTheFormula) {
  TrainConfig c;
  c.steps = 100, c.warmup_steps = 10, c.min_lr_fraction = 0.1;
  for (int64_t step = 0; step < c.steps; ++step) {
    double want;
    if (step < 10) {
      want = (step + 1) / 10.0;
    } else {
      const double p = (step - 10) / 89.0;  // the last step reaches the minimum
      want = 0.1 + 0.9 * (1 + std::cos(std::numbers::pi * p)) / 2;
    }
    EXPECT_NEAR(lr_factor(step, c), want, 1e-12) << "step " << step;
  }
}

}  // namespace
}  // namespace mulan::train
