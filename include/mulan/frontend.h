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
#include <optional>
#include <string>

#include "mulan/frontend_config.h"  // every number of a front end, stored in config.json

namespace mulan::audio {

std::string to_string(FrontendKind kind);
FrontendKind frontend_kind_from_string(const std::string& name);  // "resnet" | "ast"
std::string to_string(WindowShape window);  // "hann_periodic" | "hann_symmetric"
std::string to_string(MelFilters filters);  // "htk" | "kaldi"
// Parse the names above; nullopt for any other name (the caller names the field).
std::optional<WindowShape> window_shape_from_string(const std::string& name);
std::optional<MelFilters> mel_filters_from_string(const std::string& name);

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
