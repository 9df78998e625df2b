#include "model/int8.h"

#include <torch/torch.h>

#include "mulan/error.h"

namespace mulan::model {

bool is_int8_weight(const std::string& name, const at::Tensor& t) {
  return t.is_floating_point() && t.dim() >= 2 && name.ends_with(".weight");
}

std::string scaled_weight(const std::string& name) {
  const std::string suffix = kScaleSuffix;
  return name.ends_with(suffix) ? name.substr(0, name.size() - suffix.size()) : std::string();
}

TensorMap quantize_weights(const TensorMap& floats) {
  TensorMap out;
  for (const auto& [name, t] : floats) {
    if (!is_int8_weight(name, t)) {
      out.emplace(name, t);
      continue;
    }
    const at::Tensor w = t.detach().to(at::kCPU, at::kDouble).reshape({t.size(0), -1});
    at::Tensor scale = (w.abs().amax(1) / 127.0).to(at::kFloat);
    scale = at::where(scale > 0, scale, at::ones_like(scale));
    const at::Tensor q = at::clamp(at::round(w / scale.to(at::kDouble).unsqueeze(1)), -127, 127).to(at::kChar);
    out.emplace(name, q.reshape(t.sizes()).contiguous());
    out.emplace(name + kScaleSuffix, scale.contiguous());
  }
  return out;
}

TensorMap check_int8_tensors(const TensorMap& stored, bool int8, const std::string& where) {
  TensorMap out;
  for (const auto& [name, t] : stored) {
    if (t.scalar_type() == at::kChar && !int8) {
      throw Error(where + ": tensor '" + name + "' is int8, but config.json has no \"quantization\": \"int8\"");
    }
    if (!int8) continue;
    if (const std::string weight = scaled_weight(name); !weight.empty()) {
      const auto it = stored.find(weight);
      if (it == stored.end() || it->second.scalar_type() != at::kChar) {
        throw Error(where + ": tensor '" + name + "' is a scale, but '" + weight + "' is not an int8 tensor in the file");
      }
      continue;
    }
    if (t.scalar_type() != at::kChar) continue;
    if (!name.ends_with(".weight") || t.dim() < 2) {
      throw Error(where + ": tensor '" + name + "' is int8, but only weights (\"*.weight\", rank 2 or more) may be");
    }
    const auto s = stored.find(name + kScaleSuffix);
    if (s == stored.end()) throw Error(where + ": int8 tensor '" + name + "' has no scale '" + name + kScaleSuffix + "'");
    const at::Tensor& scale = s->second;
    if (!scale.is_floating_point() || scale.dim() != 1 || scale.size(0) != t.size(0)) {
      throw Error(where + ": tensor '" + s->first + "' must be float of shape [" + std::to_string(t.size(0)) +
                  "] (one scale per output channel of '" + name + "')");
    }
    const at::Tensor scale32 = scale.to(at::kFloat);
    if (!(torch::isfinite(scale32).all().item<bool>() && (scale32 > 0).all().item<bool>())) {
      throw Error(where + ": tensor '" + s->first + "' holds a scale that is not a finite positive number");
    }
    out.emplace(name, t);
    out.emplace(s->first, scale32);
  }
  return out;
}

at::Tensor dequantize(const at::Tensor& q, const at::Tensor& scale) {
  std::vector<int64_t> shape(static_cast<size_t>(q.dim()), 1);
  shape[0] = q.size(0);
  return q.to(at::kFloat) * scale.to(at::kFloat).view(shape);
}

}  // namespace mulan::model
