// The numbers of an audio front end (docs/model-format.md, audio.frontend_params), LibTorch-free:
// config.h stores them in a model directory, frontend.h computes with them.
#pragma once

#include <string>

namespace mulan::audio {

enum class FrontendKind {
  kResnet,  // torch.stft + mel filters + log(x + log_offset); a frame is n_fft samples
  kAst,     // Kaldi fbank as torchaudio.compliance.kaldi.fbank, then AST's normalisation
};
enum class WindowShape {
  kHannPeriodic,   // "hann_periodic": torch.hann_window(periodic=True), as torch.stft users pass it
  kHannSymmetric,  // "hann_symmetric": Kaldi's "hanning" window
};
enum class MelFilters {
  kHtk,    // "htk": torchaudio.functional.melscale_fbanks(mel_scale="htk", norm=None)
  kKaldi,  // "kaldi": torchaudio.compliance.kaldi.get_mel_banks (no VTLN, zero Nyquist row)
};

// Every number of a front end (docs/mulan-spec.md 1.1): the kind picks the algorithm, the
// fields are its numbers. resnet() and ast() give the spec's values; a model directory stores
// them in config.json as audio.frontend_params (docs/model-format.md). The front end itself is
// mulan/frontend.h.
struct FrontendConfig {
  FrontendKind kind = FrontendKind::kResnet;
  int sample_rate = 16000;   // input rate, Hz; decoders resample to it
  int n_fft = 512;           // FFT size; the window is zero-padded to it
  int win_length = 400;      // analysis window, samples (25 ms)
  int hop_length = 160;      // frame shift, samples (10 ms)
  WindowShape window = WindowShape::kHannPeriodic;  // ast: kHannSymmetric
  int n_mels = 64;           // F, mel channels (ast: 128)
  MelFilters mel_filters = MelFilters::kHtk;         // ast: kKaldi
  double f_min = 125.0;      // lowest mel filter edge, Hz (ast: 20)
  double f_max = 7500.0;     // highest mel filter edge, Hz (ast: 8000)
  double log_offset = 1e-6;  // log(mel + log_offset) (ast: 0)
  double log_floor = 0.0;    // log(max(mel, log_floor)) (ast: FLT_EPSILON, as kaldi.fbank)
  double preemphasis = 0.0;  // ast only: x[i] -= preemphasis * x[i-1] within each frame (0.97)
  bool remove_dc = false;    // ast only: subtract each frame's mean before pre-emphasis (true)
  double norm_mean = 0.0;    // output = (log_mel - norm_mean) / (2 * norm_std) ...
  double norm_std = 0.5;     // ... (AST's normalisation; 0 and 0.5 leave values unchanged;
                             // ast: the public checkpoint's AudioSet statistics -4.2677393, 4.5689974)

  static FrontendConfig resnet();  // spec 1.1, ResNet-50 front end (F = 64)
  static FrontendConfig ast();     // spec 1.1, AST front end (F = 128)
  static FrontendConfig named(const std::string& name);  // "resnet" | "ast": one of the two above

  // Throws mulan::Error "<where>: field '<prefix><name>' ..." naming the offending field.
  void validate(const std::string& where = "front end config", const std::string& prefix = "") const;
  // Samples covered by one frame: n_fft (resnet, as torch.stft) or win_length (ast, as Kaldi).
  int frame_length() const;
};

}  // namespace mulan::audio
