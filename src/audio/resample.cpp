// Streaming sample-rate conversion through libsoxr, high quality (SOXR_HQ: 20-bit precision,
// passband to 91% of the lower Nyquist frequency, linear phase).
#include <soxr.h>

#include <cmath>
#include <string>
#include <utility>

#include "mulan/audio.h"
#include "mulan/error.h"

namespace mulan::audio {

struct Resampler::Impl {
  soxr_t soxr = nullptr;
  double ratio = 1.0;
  bool passthrough = false;
  ~Impl() {
    if (soxr) soxr_delete(soxr);
  }
};

Resampler::Resampler(double in_rate, double out_rate) : impl_(std::make_unique<Impl>()) {
  if (!(in_rate > 0) || !(out_rate > 0) || !std::isfinite(in_rate) || !std::isfinite(out_rate)) {
    throw Error("resampler: invalid rates " + std::to_string(in_rate) + " -> " +
                std::to_string(out_rate));
  }
  impl_->ratio = out_rate / in_rate;
  impl_->passthrough = in_rate == out_rate;
  if (impl_->passthrough) return;
  soxr_error_t err = nullptr;
  const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
  const soxr_quality_spec_t quality = soxr_quality_spec(SOXR_HQ, 0);
  // One thread: parallelism comes from decoding several files at once, not from one stream.
  const soxr_runtime_spec_t runtime = soxr_runtime_spec(1);
  impl_->soxr = soxr_create(in_rate, out_rate, 1, &err, &io, &quality, &runtime);
  if (err != nullptr) throw Error(std::string("resampler: ") + err);
}

Resampler::~Resampler() = default;
Resampler::Resampler(Resampler&&) noexcept = default;
Resampler& Resampler::operator=(Resampler&&) noexcept = default;

void Resampler::process(const float* in, std::size_t n, std::vector<float>& out) {
  if (impl_->passthrough) {
    out.insert(out.end(), in, in + n);
    return;
  }
  std::size_t consumed = 0;
  while (consumed < n) {
    const std::size_t room = static_cast<std::size_t>((n - consumed) * impl_->ratio) + 64;
    const std::size_t old = out.size();
    out.resize(old + room);
    std::size_t idone = 0, odone = 0;
    soxr_error_t err =
        soxr_process(impl_->soxr, in + consumed, n - consumed, &idone, out.data() + old, room, &odone);
    out.resize(old + odone);
    if (err != nullptr) throw Error(std::string("resampler: ") + err);
    consumed += idone;
    if (idone == 0 && odone == 0) break;  // nothing moves: never spin
  }
}

void Resampler::flush(std::vector<float>& out) {
  if (impl_->passthrough) return;
  constexpr std::size_t kChunk = 4096;
  for (;;) {
    const std::size_t old = out.size();
    out.resize(old + kChunk);
    std::size_t odone = 0;
    soxr_error_t err = soxr_process(impl_->soxr, nullptr, 0, nullptr, out.data() + old, kChunk, &odone);
    out.resize(old + odone);
    if (err != nullptr) throw Error(std::string("resampler: ") + err);
    if (odone == 0) break;
  }
}

std::vector<float> resample(const std::vector<float>& in, double in_rate, double out_rate) {
  Resampler r(in_rate, out_rate);
  std::vector<float> out;
  out.reserve(static_cast<std::size_t>(in.size() * (out_rate / in_rate)) + 16);
  r.process(in.data(), in.size(), out);
  r.flush(out);
  return out;
}

}  // namespace mulan::audio
