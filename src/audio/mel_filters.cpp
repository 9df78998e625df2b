#include "audio/mel_filters.h"

#include <torch/torch.h>

#include <cmath>
#include <vector>

namespace mulan::audio {
namespace {

double hz_to_mel_htk(double hz) { return 2595.0 * std::log10(1.0 + hz / 700.0); }
double mel_to_hz_htk(double mel) { return 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0); }
double hz_to_mel_kaldi(double hz) { return 1127.0 * std::log(1.0 + hz / 700.0); }

at::Tensor to_tensor(const std::vector<double>& w, int rows, int cols) {
  return torch::tensor(w, torch::kFloat64).reshape({rows, cols}).to(torch::kFloat32);
}

}  // namespace

at::Tensor htk_mel_filters(int n_freqs, double f_min, double f_max, int n_mels, int sample_rate) {
  const double m_min = hz_to_mel_htk(f_min), m_max = hz_to_mel_htk(f_max);
  std::vector<double> f_pts(n_mels + 2);
  for (int i = 0; i < n_mels + 2; ++i) {
    f_pts[i] = mel_to_hz_htk(m_min + (m_max - m_min) * i / (n_mels + 1));
  }
  std::vector<double> w(static_cast<size_t>(n_freqs) * n_mels, 0.0);
  for (int k = 0; k < n_freqs; ++k) {
    const double f = (sample_rate / 2.0) * k / (n_freqs - 1);  // linspace(0, sr / 2, n_freqs)
    for (int m = 0; m < n_mels; ++m) {
      const double down = (f - f_pts[m]) / (f_pts[m + 1] - f_pts[m]);
      const double up = (f_pts[m + 2] - f) / (f_pts[m + 2] - f_pts[m + 1]);
      w[static_cast<size_t>(k) * n_mels + m] = std::max(0.0, std::min(down, up));
    }
  }
  return to_tensor(w, n_freqs, n_mels);
}

at::Tensor kaldi_mel_filters(int n_fft, double f_min, double f_max, int n_mels, int sample_rate) {
  // torchaudio's get_mel_banks computes the weights in float32 (torch.arange's default dtype)
  // whatever the wave's dtype; kaldi.fbank casts them afterwards. Weights computed in float64
  // are more exact but differ from those by up to 1.6e-3 relative at the triangles' small feet,
  // which moves a band's log power by as much wherever such a bin carries it, and put the median
  // difference to a float64 kaldi.fbank at 7-10 times that of torchaudio's own float32 path.
  // So: torchaudio's expressions, the same float32 operations in the same order, which give
  // its weights bit for bit.
  const int n_bins = n_fft / 2;  // Kaldi leaves out the Nyquist bin
  if (f_max <= 0) f_max += sample_rate / 2.0;
  const double bin_hz = static_cast<double>(sample_rate) / n_fft;
  const double mel_low = hz_to_mel_kaldi(f_min), mel_high = hz_to_mel_kaldi(f_max);  // Python floats
  const double delta = (mel_high - mel_low) / (n_mels + 1);
  const at::Tensor bin = torch::arange(n_mels, torch::kFloat32).unsqueeze(1);  // [n_mels, 1]
  const at::Tensor left = mel_low + bin * delta;
  const at::Tensor center = mel_low + (bin + 1.0) * delta;
  const at::Tensor right = mel_low + (bin + 2.0) * delta;
  const at::Tensor freq = bin_hz * torch::arange(static_cast<double>(n_bins), torch::kFloat32);
  const at::Tensor mel = (1127.0 * (1.0 + freq / 700.0).log()).unsqueeze(0);  // kaldi.mel_scale
  const at::Tensor up = (mel - left) / (center - left);
  const at::Tensor down = (right - mel) / (right - center);
  const at::Tensor banks = torch::clamp_min(torch::min(up, down), 0.0);  // [n_mels, n_bins]
  return torch::constant_pad_nd(banks, {0, 1}, 0.0).t().contiguous();  // + Nyquist, [n_bins + 1, n_mels]
}

}  // namespace mulan::audio
