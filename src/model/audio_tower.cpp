#include "model/audio_tower.h"

#include <torch/torch.h>

#include "mulan/error.h"

namespace mulan::model {
namespace nn = torch::nn;

AudioTowerImpl::AudioTowerImpl(const AudioConfig& c, int embed_dim) : config(c) {
  if (c.arch == "resnet50") {
    resnet = register_module("resnet", ResNet(c.resnet_layers, c.resnet_width, c.resnet_stem_fstride));
  } else {
    ast = register_module("ast", Ast(c));
  }
  proj = register_module("proj", Linear(c.pooled_dim(), embed_dim));
  if (c.tagger_classes > 0) tagger = register_module("tagger", Linear(c.pooled_dim(), c.tagger_classes));
  if (c.tagger_norm) {
    tagger_norm = register_module("tagger_norm", nn::LayerNorm(nn::LayerNormOptions({c.pooled_dim()}).eps(1e-5)));
  }
}

torch::Tensor AudioTowerImpl::pooled(const torch::Tensor& spec) {
  // spec: [B, F, T] -> [B, C]
  if (spec.dim() != 3 || spec.size(1) != config.n_mels) {
    throw Error("audio tower: expected windows [B, " + std::to_string(config.n_mels) + ", T]");
  }
  const auto x = spec.unsqueeze(1);
  return resnet ? resnet(x) : ast(x);
}

torch::Tensor AudioTowerImpl::project(const torch::Tensor& features) {
  return nn::functional::normalize(proj(features), nn::functional::NormalizeFuncOptions().dim(-1));
}

torch::Tensor AudioTowerImpl::forward(const torch::Tensor& spec) {
  return project(pooled(spec));
}

torch::Tensor AudioTowerImpl::tag_logits(const torch::Tensor& spec) {
  if (!tagger) throw Error("audio tower: this model has no tagger head (audio.tagger_classes = 0)");
  return tagger_norm ? tagger(tagger_norm(pooled(spec))) : tagger(pooled(spec));
}

void init_audio_weights(AudioTowerImpl& tower) {
  torch::NoGradGuard no_grad;
  if (tower.resnet) {
    for (auto& m : tower.resnet->modules(/*include_self=*/false)) {
      if (auto* conv = m->as<nn::Conv2d>()) nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut, torch::kReLU);
    }
    for (auto& item : tower.resnet->named_parameters()) {
      if (item.key().find("bn") != std::string::npos || item.key().find("downsample.1") != std::string::npos) {
        item.value().fill_(item.key().ends_with("weight") ? 1.0 : 0.0);
      }
    }
  }
  if (tower.ast) {
    for (auto& item : tower.ast->named_parameters()) {
      const std::string& n = item.key();
      at::Tensor& p = item.value();
      if (n.find("norm") != std::string::npos) {
        p.fill_(n.ends_with("weight") ? 1.0 : 0.0);
      } else if (n.ends_with("bias")) {
        p.zero_();
      } else {
        p.normal_(0.0, 0.02).clamp_(-0.04, 0.04);  // timm truncates at 2 sigma
      }
    }
  }
}

}  // namespace mulan::model
