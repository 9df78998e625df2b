#include "mulan/windows.h"

#include <torch/torch.h>

#include "mulan/error.h"

namespace mulan::audio {

std::vector<int64_t> inference_window_starts(int64_t n_frames, int64_t window_frames) {
  if (window_frames <= 0) throw Error("windows: window_frames must be > 0");
  if (n_frames <= window_frames) return {0};
  std::vector<int64_t> starts;
  for (int64_t s = 0; s + window_frames <= n_frames; s += window_frames) starts.push_back(s);
  if (starts.back() + window_frames < n_frames) starts.push_back(n_frames - window_frames);
  return starts;
}

at::Tensor cut_windows(const at::Tensor& spec, const std::vector<int64_t>& starts,
                       int64_t window_frames, float pad_value) {
  // spec: [F, T] -> [K, F, W]
  if (spec.dim() != 2) throw Error("windows: expected a spectrogram [F, T]");
  const int64_t F = spec.size(0), T = spec.size(1);
  at::Tensor out = torch::full({static_cast<int64_t>(starts.size()), F, window_frames}, pad_value,
                               spec.options());
  for (size_t k = 0; k < starts.size(); ++k) {
    const int64_t s = starts[k];
    if (s < 0 || s >= std::max<int64_t>(T, 1)) throw Error("windows: start frame out of range");
    const int64_t n = std::min(window_frames, T - s);
    if (n > 0) out[static_cast<int64_t>(k)].narrow(1, 0, n).copy_(spec.narrow(1, s, n));
  }
  return out;
}

int64_t random_window_start(int64_t n_frames, int64_t window_frames, Rng& rng) {
  return rng.uniform_int(0, std::max<int64_t>(0, n_frames - window_frames));
}

at::Tensor random_crop(const at::Tensor& spec, int64_t window_frames, float pad_value, Rng& rng) {
  // spec: [F, T] -> [F, W]
  const int64_t start = random_window_start(spec.size(1), window_frames, rng);
  return cut_windows(spec, {start}, window_frames, pad_value)[0];
}

}  // namespace mulan::audio
