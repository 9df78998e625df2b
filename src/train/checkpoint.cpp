#include "train/checkpoint.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "mulan/error.h"
#include "mulan/safetensors.h"
#include "util/sha256.h"

namespace mulan::train {
namespace {

constexpr const char* kMetaKey = "mulan.checkpoint";
constexpr const char* kFormat = "mulan-checkpoint";
constexpr int kVersion = 1;
constexpr const char* kMoments[] = {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"};

std::string state_key(const torch::Tensor& p) { return c10::guts::to_string(p.unsafeGetTensorImpl()); }

std::string optim_name(size_t group, size_t index, const char* moment) {
  return "optim." + std::to_string(group) + "." + std::to_string(index) + "." + moment;
}

std::string shape_str(at::IntArrayRef s) {
  std::ostringstream os;
  os << s;
  return os.str();
}

// SHA-256 of the tensors' bytes in name order (each as a contiguous CPU tensor).
std::string data_checksum(const TensorMap& tensors) {
  Sha256 h;
  for (const auto& [name, t] : tensors) {
    const at::Tensor c = t.detach().to(torch::kCPU).contiguous();
    h.update(name);
    h.update(c.data_ptr(), c.nbytes());
  }
  return h.hex();
}

// (C++17: scripts/fuzz.sh compiles this file with clang in C++17 mode for LibTorch's headers.)
bool has_prefix(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }
bool has_suffix(const std::string& s, const std::string& x) { return s.size() >= x.size() && s.compare(s.size() - x.size(), x.size(), x) == 0; }

constexpr const char* kPrefix = "checkpoint-";
constexpr const char* kSuffix = ".safetensors";

// Every named parameter and buffer of the model, under "model.NAME".
std::map<std::string, torch::Tensor> model_targets(torch::nn::Module& model) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& p : model.named_parameters(/*recurse=*/true)) out.emplace("model." + p.key(), p.value());
  for (const auto& b : model.named_buffers(/*recurse=*/true)) out.emplace("model." + b.key(), b.value());
  return out;
}

}  // namespace

std::string checkpoint_path(const std::string& run_dir, int64_t step) {
  char name[48];
  std::snprintf(name, sizeof name, "%s%09lld%s", kPrefix, static_cast<long long>(step), kSuffix);
  return (std::filesystem::path(run_dir) / name).string();
}

void remove_checkpoint_temporaries(const std::string& run_dir) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(run_dir, ec)) {
    const std::string f = e.path().filename().string();
    if (has_prefix(f, std::string(".") + kPrefix) && has_suffix(f, ".tmp") && e.is_regular_file(ec) && !e.is_symlink(ec)) {
      std::filesystem::remove(e.path(), ec);
    }
  }
}

std::vector<std::string> list_checkpoints(const std::string& run_dir) {
  std::vector<std::pair<int64_t, std::string>> found;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(run_dir, ec)) {
    const std::string f = e.path().filename().string();
    const std::string digits = f.size() > 23 ? f.substr(11, f.size() - 11 - 12) : "";
    if (!has_prefix(f, kPrefix) || !has_suffix(f, kSuffix) || digits.empty() || digits.size() > 18 ||
        digits.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    found.emplace_back(std::stoll(digits), e.path().string());
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::string> out;
  for (auto& [step, path] : found) out.push_back(std::move(path));
  return out;
}

void save_checkpoint(const std::string& run_dir, int keep, torch::nn::Module& model, torch::optim::AdamW& optimizer,
                     const CheckpointMeta& meta) {
  const std::string path = checkpoint_path(run_dir, meta.step);
  TensorMap tensors;
  for (const auto& [name, t] : model_targets(model)) tensors.emplace(name, t.detach());
  nlohmann::json groups = nlohmann::json::array();
  auto& state = optimizer.state();
  const auto& param_groups = optimizer.param_groups();
  for (size_t g = 0; g < param_groups.size(); ++g) {
    nlohmann::json steps = nlohmann::json::array();
    const auto& params = param_groups[g].params();
    for (size_t i = 0; i < params.size(); ++i) {
      const auto it = state.find(state_key(params[i]));
      if (it == state.end()) {  // not stepped yet
        steps.push_back(nullptr);
        continue;
      }
      const auto& s = static_cast<const torch::optim::AdamWParamState&>(*it->second);
      steps.push_back(s.step());
      tensors.emplace(optim_name(g, i, kMoments[0]), s.exp_avg().detach());
      tensors.emplace(optim_name(g, i, kMoments[1]), s.exp_avg_sq().detach());
      if (s.max_exp_avg_sq().defined()) tensors.emplace(optim_name(g, i, kMoments[2]), s.max_exp_avg_sq().detach());
    }
    const auto& o = static_cast<const torch::optim::AdamWOptions&>(param_groups[g].options());
    groups.push_back({{"lr", o.lr()}, {"params", params.size()}, {"steps", steps}});
  }
  const nlohmann::json info = {{"format", kFormat},          {"version", kVersion},          {"step", meta.step},
                               {"seed", meta.seed},          {"batch", meta.batch},          {"world", meta.world},
                               {"skipped_steps", meta.skipped_steps}, {"optimizer_groups", groups},
                               {"sha256", data_checksum(tensors)}};
  write_safetensors(path, tensors, {{kMetaKey, info.dump()}});
  const std::vector<std::string> all = list_checkpoints(run_dir);
  for (size_t i = static_cast<size_t>(std::max(keep, 1)); i < all.size(); ++i) {
    std::error_code ec;
    std::filesystem::remove(all[i], ec);
  }
}

namespace {

// The checkpoint's JSON, checked field by field.
struct Info {
  CheckpointMeta meta;
  nlohmann::json groups;
};

Info read_info(const Safetensors& file, const std::string& path) {
  const auto it = file.metadata.find(kMetaKey);
  if (it == file.metadata.end()) throw Error(file_error(path, "is not a mulan checkpoint (no '" + std::string(kMetaKey) + "' metadata)"));
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(it->second);
  } catch (const nlohmann::json::exception&) {
    throw Error(file_error(path, "checkpoint metadata is not valid JSON"));
  }
  auto field = [&](const char* name) -> const nlohmann::json& {
    if (!j.is_object() || !j.contains(name)) throw Error(file_error(path, "checkpoint metadata lacks '" + std::string(name) + "'"));
    return j.at(name);
  };
  auto integer = [&](const char* name, int64_t min) {
    const nlohmann::json& v = field(name);
    if (!v.is_number_integer() || v.get<int64_t>() < min) {
      throw Error(file_error(path, "checkpoint field '" + std::string(name) + "' must be an integer >= " + std::to_string(min)));
    }
    return v.get<int64_t>();
  };
  if (field("format") != kFormat || field("version") != kVersion) {
    throw Error(file_error(path, "is not a mulan checkpoint of format version " + std::to_string(kVersion)));
  }
  Info info;
  info.meta.step = integer("step", 0);
  const nlohmann::json& seed = field("seed");
  if (!seed.is_number_unsigned() && !(seed.is_number_integer() && seed.get<int64_t>() >= 0)) {
    throw Error(file_error(path, "checkpoint field 'seed' must be an integer >= 0"));
  }
  info.meta.seed = seed.get<uint64_t>();
  info.meta.batch = integer("batch", 1);
  info.meta.world = integer("world", 1);
  info.meta.skipped_steps = integer("skipped_steps", 0);
  info.groups = field("optimizer_groups");
  if (!info.groups.is_array()) throw Error(file_error(path, "checkpoint field 'optimizer_groups' must be an array"));
  const nlohmann::json& sum = field("sha256");
  if (!sum.is_string() || sum.get<std::string>() != data_checksum(file.tensors)) {
    throw Error(file_error(path, "checksum mismatch: the tensor data is not what was written (a disk or copy fault?)"));
  }
  return info;
}

const torch::Tensor& tensor_like(const TensorMap& tensors, const std::string& name, const torch::Tensor& like,
                                 const std::string& path) {
  const auto it = tensors.find(name);
  if (it == tensors.end()) throw Error(file_error(path, "checkpoint lacks tensor '" + name + "'"));
  const torch::Tensor& t = it->second;
  if (t.sizes() != like.sizes()) {
    throw Error(file_error(path, "tensor '" + name + "' has shape " + shape_str(t.sizes()) + ", the model expects " + shape_str(like.sizes())));
  }
  if (t.scalar_type() != like.scalar_type()) {
    throw Error(file_error(path, "tensor '" + name + "' has dtype " + std::string(c10::toString(t.scalar_type())) + ", the model expects " +
                                     c10::toString(like.scalar_type())));
  }
  if (t.is_floating_point() && !torch::isfinite(t).all().item<bool>()) {
    throw Error(file_error(path, "tensor '" + name + "' holds values that are not finite numbers"));
  }
  return t;
}

}  // namespace

CheckpointMeta load_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::AdamW& optimizer) {
  const Safetensors file = read_safetensors(path);
  const Info info = read_info(file, path);
  // Check everything before changing anything.
  const auto targets = model_targets(model);
  std::set<std::string> expected;
  for (const auto& [name, target] : targets) {
    tensor_like(file.tensors, name, target, path);
    expected.insert(name);
  }
  auto& param_groups = optimizer.param_groups();
  if (info.groups.size() != param_groups.size()) {
    throw Error(file_error(path, "checkpoint has " + std::to_string(info.groups.size()) + " optimiser parameter groups, this run has " +
                                     std::to_string(param_groups.size()) + " (another trunk_lr, text_trunk_lr, learn_tau or audio_proj?)"));
  }
  struct Restore {
    torch::Tensor param;
    int64_t step;
    torch::Tensor moments[3];
  };
  std::vector<Restore> restores;
  for (size_t g = 0; g < param_groups.size(); ++g) {
    const nlohmann::json& group = info.groups[g];
    const auto& params = param_groups[g].params();
    const std::string where = "optimiser group " + std::to_string(g);
    if (!group.is_object() || !group.contains("steps") || !group["steps"].is_array() || !group.contains("lr") ||
        !group["lr"].is_number() || group["steps"].size() != params.size()) {
      throw Error(file_error(path, where + " does not fit this run's " + std::to_string(params.size()) + " parameters"));
    }
    for (size_t i = 0; i < params.size(); ++i) {
      const nlohmann::json& step = group["steps"][i];
      if (step.is_null()) continue;
      if (!step.is_number_integer() || step.get<int64_t>() < 1) {
        throw Error(file_error(path, where + ": parameter " + std::to_string(i) + " has a bad step count"));
      }
      Restore r{params[i], step.get<int64_t>(), {}};
      for (int m = 0; m < 3; ++m) {
        const std::string name = optim_name(g, i, kMoments[m]);
        if (m == 2 && !file.tensors.count(name)) continue;  // amsgrad only
        r.moments[m] = tensor_like(file.tensors, name, params[i], path);
        expected.insert(name);
      }
      restores.push_back(std::move(r));
    }
  }
  for (const auto& [name, t] : file.tensors) {
    if (!expected.count(name)) throw Error(file_error(path, "unexpected tensor '" + name + "' (this run has no place for it)"));
  }

  torch::NoGradGuard no_grad;
  for (const auto& [name, target] : targets) target.copy_(file.tensors.at(name));
  auto& state = optimizer.state();
  state.clear();
  for (Restore& r : restores) {
    auto s = std::make_unique<torch::optim::AdamWParamState>();
    s->step(r.step);
    s->exp_avg(r.moments[0].to(r.param.device()));
    s->exp_avg_sq(r.moments[1].to(r.param.device()));
    if (r.moments[2].defined()) s->max_exp_avg_sq(r.moments[2].to(r.param.device()));
    state[state_key(r.param)] = std::move(s);
  }
  for (size_t g = 0; g < param_groups.size(); ++g) {
    static_cast<torch::optim::AdamWOptions&>(param_groups[g].options()).lr(info.groups[g]["lr"].get<double>());
  }
  return info.meta;
}

ResumePoint load_latest_checkpoint(const std::string& run_dir, torch::nn::Module& model, torch::optim::AdamW& optimizer) {
  ResumePoint r;
  for (const std::string& path : list_checkpoints(run_dir)) {
    try {
      r.meta = load_checkpoint(path, model, optimizer);  // changes nothing unless all of it fits
      r.path = path;
      return r;
    } catch (const Error& e) {
      r.skipped.push_back(e.what());
    }
  }
  if (r.skipped.empty()) throw Error(file_error(run_dir, "holds no checkpoint to resume from"));
  throw Error(file_error(run_dir, "no checkpoint loads; the newest: " + r.skipped.front()));
}

}  // namespace mulan::train
