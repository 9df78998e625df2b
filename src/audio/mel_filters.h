// Mel filter banks as float32 [n_freqs, n_mels] matrices, built on the CPU.
#pragma once

#include <ATen/core/Tensor.h>

namespace mulan::audio {

// As torchaudio.functional.melscale_fbanks(n_freqs, f_min, f_max, n_mels, sample_rate,
// norm=None, mel_scale="htk"): triangles placed evenly on the HTK mel scale, interpolated in
// Hz, no area normalisation. n_freqs = n_fft / 2 + 1. Computed in float64, then rounded.
at::Tensor htk_mel_filters(int n_freqs, double f_min, double f_max, int n_mels, int sample_rate);

// As torchaudio.compliance.kaldi.get_mel_banks (Kaldi's MelBanks, no VTLN): triangles in
// mel space over the bins 0 .. n_fft/2 - 1, plus a zero row for the Nyquist bin, as
// kaldi.fbank pads it. f_max <= 0 means Nyquist + f_max. Computed in float32 as torchaudio
// computes them (also for a float64 wave), bit for bit its weights.
at::Tensor kaldi_mel_filters(int n_fft, double f_min, double f_max, int n_mels, int sample_rate);

}  // namespace mulan::audio
