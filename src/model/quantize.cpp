#include "mulan/quantize.h"

#include <torch/torch.h>

#include <filesystem>

#include "model/int8.h"
#include "mulan/error.h"
#include "mulan/model.h"

namespace mulan {
namespace fs = std::filesystem;

QuantizeSummary quantize_model_dir(const std::string& model_dir, const std::string& out_dir, bool force) {
  if (fs::exists(out_dir) && fs::exists(model_dir) && fs::equivalent(model_dir, out_dir)) {
    throw UsageError(file_error(out_dir, "is the model directory itself; the int8 model needs a directory of its own"));
  }
  if (!force && fs::exists(fs::path(out_dir) / "config.json")) {
    throw UsageError(file_error(out_dir, "already holds a model (config.json); the force option replaces it"));
  }
  const Model model = Model::load(model_dir);
  if (model.is_int8()) throw UsageError(file_error(model_dir, "is already an int8 model"));
  const Model q = quantize_int8(model);
  q.save(out_dir, (fs::path(model_dir) / "vocab.txt").string());

  QuantizeSummary s;
  const TensorMap floats = model.state();
  const TensorMap stored = q.state();
  for (const auto& [name, t] : stored) {
    if (name.ends_with(model::kScaleSuffix)) continue;
    if (t.scalar_type() != at::kChar) {
      ++s.float_tensors;
      continue;
    }
    ++s.int8_tensors;
    const at::Tensor w = floats.at(name).to(at::kDouble);
    const at::Tensor back = model::dequantize(t, stored.at(name + model::kScaleSuffix)).to(at::kDouble);
    const double peak = w.abs().max().item<double>();
    if (peak > 0) s.max_relative_error = std::max(s.max_relative_error, (w - back).abs().max().item<double>() / peak);
  }
  s.bytes_before = static_cast<int64_t>(fs::file_size(fs::path(model_dir) / "model.safetensors"));
  s.bytes_after = static_cast<int64_t>(fs::file_size(fs::path(out_dir) / "model.safetensors"));
  return s;
}

}  // namespace mulan
