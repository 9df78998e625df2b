#include "model/linear.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/torch.h>

#include <mutex>

#include "mulan/error.h"

namespace mulan::model {

bool int8_engine_available() {
  static const bool available = [] {
    auto& ctx = at::globalContext();
    for (const at::QEngine e : {at::QEngine::ONEDNN, at::QEngine::FBGEMM}) {
      for (const at::QEngine s : ctx.supportedQEngines()) {
        if (s == e) {
          ctx.setQEngine(e);
          return true;
        }
      }
    }
    return false;  // QNNPACK alone is slower than float here; the float weights run instead
  }();
  return available;
}

void LinearImpl::set_int8(const at::Tensor& q, const at::Tensor& scale) {
  if (q.scalar_type() != at::kChar || q.dim() != 2 || q.sizes() != weight.sizes()) {
    throw Error("int8 linear: weight must be int8 of shape [out, in] like the float weight");
  }
  if (scale.dim() != 1 || scale.size(0) != q.size(0)) throw Error("int8 linear: one scale per output row is needed");
  packed_.reset();
  if (!int8_engine_available() || !weight.device().is_cpu() || q.numel() < kMinInt8Weights) return;
  c10::InferenceMode guard;
  const at::Tensor qweight = at::_make_per_channel_quantized_tensor(
      q.contiguous(), scale.to(at::kDouble).contiguous(), at::zeros({q.size(0)}, at::kLong), /*axis=*/0);
  static const c10::OperatorHandle prepack =
      c10::Dispatcher::singleton().findSchemaOrThrow("quantized::linear_prepack", "");
  std::vector<c10::IValue> stack{qweight, bias.defined() ? c10::IValue(bias.detach().clone()) : c10::IValue()};
  prepack.callBoxed(&stack);
  packed_ = std::make_shared<const c10::IValue>(std::move(stack.at(0)));
  // The float weight is not used again: an int8 model only runs inference (Model::set_training
  // refuses it), so its memory goes back (Model::state gives the int8 tensors).
  torch::NoGradGuard no_grad;
  weight.set_data(at::empty({0}, weight.options()));
}

torch::Tensor LinearImpl::forward(const torch::Tensor& input) {
  if (packed_) {
    if (!input.device().is_cpu() || input.scalar_type() != at::kFloat) {
      throw Error("an int8 linear layer takes float32 input on the CPU, got " + input.device().str() + " " +
                  std::string(c10::toString(input.scalar_type())));
    }
    static const c10::OperatorHandle dynamic =
        c10::Dispatcher::singleton().findSchemaOrThrow("quantized::linear_dynamic", "");
    std::vector<c10::IValue> stack{input.contiguous(), *packed_, /*reduce_range=*/false};
    dynamic.callBoxed(&stack);
    return stack.at(0).toTensor();
  }
  return torch::nn::LinearImpl::forward(input);
}

}  // namespace mulan::model
