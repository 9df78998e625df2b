#include "import/import_common.h"

#include <torch/torch.h>

#include <filesystem>

#include "import/torch_checkpoint.h"
#include "model/weights_fit.h"
#include "mulan/error.h"
#include "mulan/model.h"

namespace mulan::model {
namespace fs = std::filesystem;

namespace {
bool optional_tensor(const std::string& name) { return name.ends_with("num_batches_tracked"); }
}  // namespace

void install_tower(const TowerImport& t, const std::string& model_dir, uint64_t seed, ImportReport& report) {
  MulanConfig config;
  TensorMap existing;
  std::string vocab = t.vocab_path;
  if (fs::exists(fs::path(model_dir) / "config.json")) {
    const Model old = Model::load(model_dir);
    if (old.is_int8()) {
      throw UsageError(file_error(model_dir, "is an int8 model (made by mulan quantize): import into the float model, "
                                             "then quantize it again"));
    }
    config = old.config();
    existing = old.state();
    if (vocab.empty() && old.has_text()) vocab = (fs::path(model_dir) / "vocab.txt").string();
  } else {
    config.text.reset();
  }
  t.set_config(config);
  // The new tower's tensors against its config, before the tower is built (a config.json that
  // asks for thousands of layers is refused here, not after allocating them).
  ShapeMap shapes;
  for (const auto& [name, tensor] : t.tensors) shapes.emplace(name, tensor.sizes().vec());
  config.validate(t.where);
  if (t.trunk_prefix.starts_with("text.")) check_weights_fit_text(shapes, *config.text, /*embed_dim=*/0, t.where);
  else check_weights_fit_audio(shapes, *config.audio, /*embed_dim=*/0, t.where);
  Model m = Model::init(config, seed);
  TensorMap state = m.state();  // fresh projection (and temperature for a new directory)
  for (const auto& [name, tensor] : state) {
    if (name.starts_with(t.trunk_prefix) && !t.tensors.count(name) && !optional_tensor(name)) {
      throw Error(t.where + ": missing tensor for '" + name + "'");
    }
  }
  for (const auto& [name, tensor] : t.tensors) state[name] = tensor;
  const std::string proj_w = t.proj_prefix + "weight", proj_b = t.proj_prefix + "bias";
  const auto old_proj = existing.find(proj_w);
  if (old_proj != existing.end() && old_proj->second.sizes() == state.at(proj_w).sizes()) {
    state[proj_w] = old_proj->second;
    state[proj_b] = existing.at(proj_b);
    report.projection_kept = true;
  }
  // Every other tower, and the temperature, stay as they were.
  const std::string tower = t.trunk_prefix.substr(0, t.trunk_prefix.find('.') + 1);  // "text." | "audio."
  for (const auto& [name, tensor] : existing) {
    if (!name.starts_with(tower) && state.count(name)) state[name] = tensor;
  }
  m.load_state(state, t.where);
  m.save(model_dir, vocab);
}

TensorMap read_state_dict(const std::string& path) {
  if (!fs::exists(path)) throw FileNotFound(file_error(path, "no such file"));
  const std::string ext = fs::path(path).extension().string();
  return ext == ".safetensors" ? read_safetensors(path).tensors : read_torch_checkpoint(path);
}

}  // namespace mulan::model
