#include "mulan/frontend.h"

#include <torch/torch.h>

#include <cfloat>
#include <cmath>
#include <nlohmann/json.hpp>

#include "audio/mel_filters.h"
#include "mulan/error.h"

namespace mulan::audio {

FrontendConfig FrontendConfig::resnet() { return FrontendConfig{}; }

FrontendConfig FrontendConfig::ast() {
  FrontendConfig c;
  c.kind = FrontendKind::kAst;
  c.window = WindowShape::kHannSymmetric;  // Kaldi's "hanning"
  c.n_mels = 128;
  c.mel_filters = MelFilters::kKaldi;
  c.f_min = 20.0;
  c.f_max = 8000.0;
  c.log_offset = 0.0;
  c.log_floor = FLT_EPSILON;  // torch.finfo(torch.float).eps, as kaldi.fbank
  c.preemphasis = 0.97;
  c.remove_dc = true;
  c.norm_mean = -4.2677393;  // the public AST checkpoint's AudioSet statistics
  c.norm_std = 4.5689974;
  return c;
}

FrontendConfig FrontendConfig::named(const std::string& name) {
  return frontend_kind_from_string(name) == FrontendKind::kAst ? ast() : resnet();
}

int FrontendConfig::frame_length() const { return kind == FrontendKind::kResnet ? n_fft : win_length; }

void FrontendConfig::validate(const std::string& where, const std::string& prefix) const {
  auto bad = [&](const std::string& field, const std::string& why) {
    throw Error(where + ": field '" + prefix + field + "' " + why);
  };
  auto finite = [](double v) { return std::isfinite(v); };
  // Upper bounds far above any audio front end, so that a config cannot ask for gigabytes of
  // filters or a resampler to 10 GHz.
  if (sample_rate < 1000 || sample_rate > 384000) bad("sample_rate", "must be in 1000..384000 Hz");
  if (n_fft < 2 || n_fft > (1 << 16)) bad("n_fft", "must be in 2..65536");
  if (win_length < 1 || win_length > n_fft) bad("win_length", "must be in 1..n_fft (" + std::to_string(n_fft) + ")");
  if (hop_length < 1 || hop_length > (1 << 20)) bad("hop_length", "must be in 1..1048576");
  if (n_mels < 1 || n_mels > 1024) bad("n_mels", "must be in 1..1024");
  if (!finite(f_min) || f_min < 0 || f_min >= sample_rate / 2.0) bad("f_min", "must be in [0, sample_rate / 2)");
  if (!finite(f_max) || f_max <= f_min || f_max > sample_rate / 2.0) bad("f_max", "must be in (f_min, sample_rate / 2]");
  if (!finite(log_offset) || log_offset < 0) bad("log_offset", "must be finite and >= 0");
  if (!finite(log_floor) || log_floor < 0) bad("log_floor", "must be finite and >= 0");
  if (log_offset + log_floor <= 0) bad("log_offset", "and log_floor must not both be 0 (the log of 0 is -inf)");
  if (!(preemphasis >= 0 && preemphasis < 1)) bad("preemphasis", "must be in [0, 1)");
  if (kind == FrontendKind::kResnet) {  // the resnet front end has neither step: refuse rather than ignore
    if (preemphasis != 0) bad("preemphasis", "must be 0 for the resnet front end (it has no pre-emphasis)");
    if (remove_dc) bad("remove_dc", "must be false for the resnet front end (it removes no DC)");
  }
  if (!finite(norm_mean)) bad("norm_mean", "must be finite");
  if (!finite(norm_std) || norm_std <= 0) bad("norm_std", "must be finite and > 0");
}

std::string to_string(FrontendKind kind) { return kind == FrontendKind::kResnet ? "resnet" : "ast"; }

FrontendKind frontend_kind_from_string(const std::string& name) {
  if (name == "resnet") return FrontendKind::kResnet;
  if (name == "ast") return FrontendKind::kAst;
  throw UsageError("unknown front end '" + name + "' (expected 'resnet' or 'ast')");
}

std::string to_string(WindowShape window) {
  return window == WindowShape::kHannPeriodic ? "hann_periodic" : "hann_symmetric";
}

std::string to_string(MelFilters filters) { return filters == MelFilters::kHtk ? "htk" : "kaldi"; }

std::optional<WindowShape> window_shape_from_string(const std::string& name) {
  if (name == "hann_periodic") return WindowShape::kHannPeriodic;
  if (name == "hann_symmetric") return WindowShape::kHannSymmetric;
  return std::nullopt;
}

std::optional<MelFilters> mel_filters_from_string(const std::string& name) {
  if (name == "htk") return MelFilters::kHtk;
  if (name == "kaldi") return MelFilters::kKaldi;
  return std::nullopt;
}

void to_json(nlohmann::json& j, const FrontendConfig& c) {
  j = nlohmann::json{{"frontend", to_string(c.kind)},   {"sample_rate", c.sample_rate},
                     {"n_fft", c.n_fft},                {"win_length", c.win_length},
                     {"hop_length", c.hop_length},      {"window", to_string(c.window)},
                     {"n_mels", c.n_mels},              {"mel_filters", to_string(c.mel_filters)},
                     {"f_min", c.f_min},                {"f_max", c.f_max},
                     {"log_offset", c.log_offset},      {"log_floor", c.log_floor},
                     {"preemphasis", c.preemphasis},    {"remove_dc", c.remove_dc},
                     {"norm_mean", c.norm_mean},        {"norm_std", c.norm_std}};
}

void from_json(const nlohmann::json& j, FrontendConfig& c) {
  // The kind sets the defaults; explicit fields override them.
  c = FrontendConfig::named(j.value("frontend", std::string("resnet")));
  auto get = [&](const char* key, auto& field) {
    if (!j.contains(key)) return;
    try {
      j.at(key).get_to(field);
    } catch (const nlohmann::json::exception& e) {
      throw Error(std::string("front end config: field '") + key + "' has the wrong type");
    }
  };
  get("sample_rate", c.sample_rate);
  get("n_fft", c.n_fft);
  get("win_length", c.win_length);
  get("hop_length", c.hop_length);
  auto get_name = [&](const char* key, auto parse, auto& field) {
    std::string name;
    get(key, name);
    if (name.empty()) return;
    const auto v = parse(name);
    if (!v) throw Error(std::string("front end config: field '") + key + "' has an unknown value '" + name + "'");
    field = *v;
  };
  get_name("window", window_shape_from_string, c.window);
  get("n_mels", c.n_mels);
  get_name("mel_filters", mel_filters_from_string, c.mel_filters);
  get("f_min", c.f_min);
  get("f_max", c.f_max);
  get("log_offset", c.log_offset);
  get("log_floor", c.log_floor);
  get("preemphasis", c.preemphasis);
  get("remove_dc", c.remove_dc);
  get("norm_mean", c.norm_mean);
  get("norm_std", c.norm_std);
  c.validate();
}

Frontend::Frontend(const FrontendConfig& config, c10::Device device) : config_(config) {
  config_.validate();
  const auto opts = torch::TensorOptions().dtype(torch::kFloat32);
  const at::Tensor hann = torch::hann_window(
      config_.win_length, /*periodic=*/config_.window == WindowShape::kHannPeriodic, opts);
  if (config_.kind == FrontendKind::kResnet) {
    // torch.stft with win_length < n_fft centres the window in the FFT frame.
    const int left = (config_.n_fft - config_.win_length) / 2;
    window_ = torch::zeros({config_.n_fft}, opts);
    window_.narrow(0, left, config_.win_length).copy_(hann);
  } else {
    window_ = hann;  // Kaldi: a win_length frame, zero-padded to n_fft by the FFT
  }
  if (config_.mel_filters == MelFilters::kHtk) {
    filters_ = htk_mel_filters(config_.n_fft / 2 + 1, config_.f_min, config_.f_max, config_.n_mels, config_.sample_rate);
  } else {
    filters_ = kaldi_mel_filters(config_.n_fft, config_.f_min, config_.f_max, config_.n_mels, config_.sample_rate);
  }
  window_ = window_.to(device);
  filters_ = filters_.to(device);
}

int64_t Frontend::num_frames(int64_t n_samples) const {
  const int64_t len = config_.frame_length();
  return n_samples < len ? 0 : 1 + (n_samples - len) / config_.hop_length;
}

at::Tensor Frontend::finish(const at::Tensor& mel_power) const {
  at::Tensor x = config_.log_floor > 0 ? torch::clamp_min(mel_power, config_.log_floor) : mel_power;
  if (config_.log_offset > 0) x = x + config_.log_offset;
  x = torch::log(x);
  if (config_.norm_mean != 0.0 || config_.norm_std != 0.5) {
    x = (x - config_.norm_mean) / (2.0 * config_.norm_std);
  }
  return x;
}

float Frontend::silence_value() const {
  return finish(torch::zeros({1}, torch::kFloat32)).item<float>();
}

at::Tensor Frontend::operator()(const at::Tensor& wave) const {
  // wave: [N] or [B, N] -> [F, T] or [B, F, T]
  if (wave.dim() != 1 && wave.dim() != 2) {
    throw Error("front end: expected a wave of shape [N] or [B, N], got " + std::to_string(wave.dim()) + " dims");
  }
  const bool batched = wave.dim() == 2;
  at::Tensor x = (batched ? wave : wave.unsqueeze(0)).to(window_.device(), torch::kFloat32);
  const int64_t n = x.size(1);
  if (num_frames(n) == 0) {
    throw Error("front end: " + std::to_string(n) + " samples is shorter than one frame (" +
                std::to_string(config_.frame_length()) + " samples)");
  }
  at::Tensor frames = x.unfold(/*dim=*/1, config_.frame_length(), config_.hop_length);  // [B, T, L]
  if (config_.kind == FrontendKind::kAst) {
    // as torchaudio.compliance.kaldi._get_window: DC removal, pre-emphasis, window
    if (config_.remove_dc) frames = frames - frames.mean(-1, /*keepdim=*/true);
    if (config_.preemphasis > 0) {
      const at::Tensor prev = torch::cat({frames.narrow(-1, 0, 1), frames.narrow(-1, 0, frames.size(-1) - 1)}, -1);
      frames = frames - config_.preemphasis * prev;
    }
  }
  frames = frames * window_;
  const at::Tensor spec = torch::fft::rfft(frames, config_.n_fft, /*dim=*/-1);  // [B, T, n_fft/2+1]
  const at::Tensor power = at::view_as_real(spec).pow(2).sum(-1);
  at::Tensor mel = finish(torch::matmul(power, filters_)).transpose(1, 2).contiguous();  // [B, F, T]
  return batched ? mel : mel.squeeze(0);
}

}  // namespace mulan::audio
