#include "mulan/import.h"

#include <torch/torch.h>

#include <map>
#include <regex>

#include "model/ast.h"
#include "mulan/error.h"

namespace mulan::model {
namespace {

const at::Tensor& need(const TensorMap& t, const std::string& name, const std::string& where) {
  const auto it = t.find(name);
  if (it == t.end()) throw Error(where + ": missing tensor '" + name + "'");
  return it->second;
}

}  // namespace

ImportReport import_ast(const std::string& checkpoint, const std::string& model_dir, uint64_t seed,
                        const AstImportOptions& o) {
  const std::string where = "'" + checkpoint + "'";
  const TensorMap raw = read_state_dict(checkpoint);
  ImportReport report;
  TensorMap trunk;  // names after "module.v."
  TensorMap head;   // mlp_head.0 (LayerNorm) and mlp_head.1 (Linear), with keep_head
  for (const auto& [name, t] : raw) {
    std::string n = name;
    for (const char* p : {"module.", "v."}) {
      if (n.starts_with(p)) n = n.substr(std::string(p).size());
    }
    if (o.keep_head && n.starts_with("mlp_head.")) {
      static const std::map<std::string, std::string> kHead = {{"mlp_head.0.weight", "audio.tagger_norm.weight"},
                                                               {"mlp_head.0.bias", "audio.tagger_norm.bias"},
                                                               {"mlp_head.1.weight", "audio.tagger.weight"},
                                                               {"mlp_head.1.bias", "audio.tagger.bias"}};
      const auto it = kHead.find(n);
      if (it == kHead.end()) throw Error(where + ": unexpected tensor '" + name + "' in mlp_head (expected a LayerNorm and a Linear)");
      head[it->second] = t.to(torch::kFloat32);
    } else if (name.starts_with("module.mlp_head.") || n.starts_with("mlp_head.") || n.starts_with("head.") ||
               n.starts_with("head_dist.")) {
      report.dropped.push_back(name);
    } else if (n.starts_with("cls_token") || n.starts_with("dist_token") || n.starts_with("pos_embed") ||
               n.starts_with("patch_embed.") || n.starts_with("blocks.") || n.starts_with("norm.")) {
      trunk[n] = t.to(torch::kFloat32);
    } else if (o.drop_extra) {
      report.dropped.push_back(name);
    } else {
      throw Error(where + ": unexpected tensor '" + name + "' (not part of an AST; the drop-extra option leaves it out)");
    }
  }
  // Sizes from the tensors.
  AudioConfig a = AudioConfig::base_ast();
  const at::Tensor& proj = need(trunk, "patch_embed.proj.weight", where);  // [W, 1, p, p]
  if (proj.dim() != 4 || proj.size(1) != 1 || proj.size(2) != proj.size(3)) {
    throw Error(where + ": tensor 'patch_embed.proj.weight' must be [width, 1, patch, patch]");
  }
  a.width = static_cast<int>(proj.size(0));
  a.patch = static_cast<int>(proj.size(2));
  a.has_dist_token = trunk.count("dist_token") > 0;
  a.heads = o.heads;
  a.layers = 0;
  while (trunk.count("blocks." + std::to_string(a.layers) + ".attn.qkv.weight")) ++a.layers;
  if (a.layers > 0) a.mlp = static_cast<int>(need(trunk, "blocks.0.mlp.fc1.weight", where).size(0));
  // The checkpoint's patch grid, and the window's.
  const int64_t extra = a.has_dist_token ? 2 : 1;
  const at::Tensor pos = need(trunk, "pos_embed", where);
  const int64_t rows = (a.n_mels - a.patch) / o.fstride + 1;
  const int64_t patches = pos.size(1) - extra;
  if (pos.dim() != 3 || patches <= 0 || patches % rows != 0) {
    throw Error(where + ": pos_embed holds " + std::to_string(patches) + " patch positions, not a multiple of the " +
                std::to_string(rows) + " rows of a " + std::to_string(a.n_mels) + "-mel grid at fstride " +
                std::to_string(o.fstride));
  }
  a.fstride = o.fstride;
  a.tstride = o.tstride;
  const auto to = AstImpl::grid(a);
  const std::pair<int64_t, int64_t> grid_from{rows, patches / rows};
  if (grid_from != to) {
    torch::NoGradGuard no_grad;
    trunk["pos_embed"] = resize_pos_embed(pos, extra, grid_from, to);
  }
  a.tagger_classes = 0;
  if (o.keep_head) {
    if (head.size() != 4) throw Error(where + ": keep the head: the checkpoint has no complete mlp_head (mlp_head.0 LayerNorm, mlp_head.1 Linear)");
    const at::Tensor& w = head.at("audio.tagger.weight");
    if (w.dim() != 2 || w.size(1) != a.width || head.at("audio.tagger.bias").sizes() != at::IntArrayRef{w.size(0)} ||
        head.at("audio.tagger_norm.weight").sizes() != at::IntArrayRef{a.width} ||
        head.at("audio.tagger_norm.bias").sizes() != at::IntArrayRef{a.width}) {
      throw Error(where + ": mlp_head does not fit a width-" + std::to_string(a.width) + " AST (LayerNorm [" + std::to_string(a.width) +
                  "], Linear [classes, " + std::to_string(a.width) + "])");
    }
    a.tagger_classes = static_cast<int>(w.size(0));
    a.tagger_norm = true;
  }
  TowerImport t;
  t.trunk_prefix = "audio.ast.";
  t.proj_prefix = "audio.proj.";
  t.set_config = [&](MulanConfig& c) { c.audio = a; };
  for (auto& [n, tensor] : trunk) t.tensors["audio.ast." + n] = tensor;
  for (auto& [n, tensor] : head) t.tensors[n] = tensor;
  t.where = where;
  install_tower(t, model_dir, seed, report);
  return report;
}

ImportReport import_resnet(const std::string& state_dict, const std::string& model_dir, uint64_t seed,
                           bool drop_extra) {
  const std::string where = "'" + state_dict + "'";
  const TensorMap raw = read_state_dict(state_dict);
  ImportReport report;
  TensorMap trunk;
  const std::regex block(R"(layer([1-4])\.(\d+)\..*)");
  AudioConfig a = AudioConfig::base_resnet();
  a.resnet_layers = {0, 0, 0, 0};
  for (const auto& [name, t] : raw) {
    std::smatch m;
    if (name.starts_with("fc.")) {
      report.dropped.push_back(name);
    } else if (name.starts_with("conv1.") || name.starts_with("bn1.")) {
      trunk[name] = t;
    } else if (std::regex_match(name, m, block)) {
      int& n = a.resnet_layers[static_cast<size_t>(std::stoi(m[1]) - 1)];
      n = std::max(n, std::stoi(m[2]) + 1);
      trunk[name] = t;
    } else if (drop_extra) {
      report.dropped.push_back(name);
    } else {
      throw Error(where + ": unexpected tensor '" + name + "' (not part of a torchvision ResNet; the drop-extra option leaves it out)");
    }
  }
  at::Tensor conv1 = need(trunk, "conv1.weight", where);
  if (conv1.dim() != 4) throw Error(where + ": tensor 'conv1.weight' must be [width, channels, 7, 7]");
  if (conv1.size(1) != 1) trunk["conv1.weight"] = conv1.sum(1, /*keepdim=*/true);  // RGB -> one channel
  a.resnet_width = static_cast<int>(conv1.size(0));
  for (int n : a.resnet_layers) {
    if (n == 0) throw Error(where + ": a stage of the ResNet has no blocks (layer1..layer4 must all be present)");
  }
  TowerImport t;
  t.trunk_prefix = "audio.resnet.";
  t.proj_prefix = "audio.proj.";
  t.set_config = [&](MulanConfig& c) { c.audio = a; };
  for (auto& [n, tensor] : trunk) t.tensors["audio.resnet." + n] = tensor.is_floating_point() ? tensor.to(torch::kFloat32) : tensor;
  t.where = where;
  install_tower(t, model_dir, seed, report);
  return report;
}

}  // namespace mulan::model
