// The two audio front ends of docs/mulan-spec.md 1.1: 16 kHz mono samples -> an F x T log-mel
// matrix, mel channels first, one frame every 10 ms. Batched; runs on the device of its input.
//
//   mulan::audio::Frontend fe(mulan::audio::FrontendConfig::resnet());
//   at::Tensor mel = fe(wave);   // wave: [N] or [B, N] float32 -> [F, T] or [B, F, T]
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>

namespace mulan::audio {

enum class FrontendKind {
  kResnet,  // torch.stft + torchaudio HTK mel filters + log(x + log_offset)
  kAst,     // Kaldi fbank as torchaudio.compliance.kaldi.fbank, then AST's normalisation
};

// Every number of a front end. The kind picks the algorithm; the fields are its numbers.
// Use resnet() or ast() for the exact defaults of the spec.
struct FrontendConfig {
  FrontendKind kind = FrontendKind::kResnet;
  int sample_rate = 16000;   // input rate, Hz
  int n_fft = 512;           // FFT size; the window is zero-padded to it
  int win_length = 400;      // analysis window, samples (25 ms)
  int hop_length = 160;      // frame shift, samples (10 ms)
  int n_mels = 64;           // F, mel channels
  double f_min = 125.0;      // lowest mel filter edge, Hz
  double f_max = 7500.0;     // highest mel filter edge, Hz
  double log_offset = 1e-6;  // resnet: log(mel + log_offset)
  double log_floor = 0.0;    // ast: log(max(mel, log_floor)); FLT_EPSILON by default
  double preemphasis = 0.0;  // ast: x[i] -= preemphasis * x[i-1] within each frame (0.97)
  bool remove_dc = false;    // ast: subtract each frame's mean before pre-emphasis
  double norm_mean = 0.0;    // output = (log_mel - norm_mean) / (2 * norm_std) ...
  double norm_std = 0.5;     // ... (AST's normalisation; 0 and 0.5 leave values unchanged)

  static FrontendConfig resnet();  // spec 1.1, ResNet-50 front end (F = 64)
  static FrontendConfig ast();     // spec 1.1, AST front end (F = 128)
  static FrontendConfig named(const std::string& name);  // "resnet" | "ast": one of the two above

  // Throws mulan::Error naming the offending field.
  void validate() const;
  // Samples covered by one frame: n_fft (resnet, as torch.stft) or win_length (ast, as Kaldi).
  int frame_length() const;
};

std::string to_string(FrontendKind kind);
FrontendKind frontend_kind_from_string(const std::string& name);  // "resnet" | "ast"

void to_json(nlohmann::json& j, const FrontendConfig& c);
void from_json(const nlohmann::json& j, FrontendConfig& c);  // missing fields keep defaults

class Frontend {
 public:
  explicit Frontend(const FrontendConfig& config, c10::Device device = c10::Device("cpu"));

  // wave: [N] or [B, N] float32 samples at config().sample_rate, on any device
  //   -> [F, T] or [B, F, T] float32 on the same device, T = num_frames(N).
  // Throws mulan::Error when N is shorter than one frame.
  at::Tensor operator()(const at::Tensor& wave) const;

  // T for a signal of n samples: 1 + (n - frame_length) / hop (no centring), 0 if too short.
  int64_t num_frames(int64_t n_samples) const;
  // The value a frame of digital silence takes: what windows are padded with.
  float silence_value() const;
  const FrontendConfig& config() const { return config_; }

 private:
  at::Tensor finish(const at::Tensor& mel_power) const;  // log, normalise

  FrontendConfig config_;
  at::Tensor window_;   // [frame_length]: the analysis window, already zero-padded for resnet
  at::Tensor filters_;  // [n_fft / 2 + 1, n_mels]
};

}  // namespace mulan::audio
