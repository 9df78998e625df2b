#include "mulan/spec_augment.h"

#include <torch/torch.h>

#include "mulan/error.h"

namespace mulan::audio {

SpecAugmentConfig SpecAugmentConfig::for_mels(int n_mels) {
  SpecAugmentConfig c;
  c.freq_width = n_mels >= 128 ? 16 : 8;
  return c;
}

void SpecAugmentConfig::validate() const {
  auto bad = [](const char* field) { throw Error(std::string("spec_augment: field '") + field + "' must be >= 0"); };
  if (freq_masks < 0) bad("freq_masks");
  if (freq_width < 0) bad("freq_width");
  if (time_masks < 0) bad("time_masks");
  if (time_width < 0) bad("time_width");
}

namespace {
// Masks `count` bands of up to max_width along dim of one example x: [F, T].
void mask_axis(at::Tensor& x, int64_t dim, int count, int max_width, const at::Tensor& value, Rng& rng) {
  const int64_t size = x.size(dim);
  for (int m = 0; m < count; ++m) {
    const int64_t width = std::min<int64_t>(rng.uniform_int(0, max_width), size);
    const int64_t start = rng.uniform_int(0, size - width);
    if (width > 0) x.narrow(dim, start, width).copy_(value.expand_as(x.narrow(dim, start, width)));
  }
}
}  // namespace

void spec_augment_(at::Tensor& spec, const SpecAugmentConfig& config, Rng& rng) {
  config.validate();
  if (spec.dim() != 2 && spec.dim() != 3) throw Error("spec_augment: expected [F, T] or [B, F, T]");
  torch::NoGradGuard no_grad;
  at::Tensor batch = spec.dim() == 2 ? spec.unsqueeze(0) : spec;
  for (int64_t b = 0; b < batch.size(0); ++b) {
    at::Tensor x = batch[b];
    const at::Tensor mean = x.mean();
    mask_axis(x, 0, config.freq_masks, config.freq_width, mean, rng);
    mask_axis(x, 1, config.time_masks, config.time_width, mean, rng);
  }
}

}  // namespace mulan::audio
