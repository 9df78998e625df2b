// Decode + resample (and + log-mel) throughput of a 3-minute 44.1 kHz stereo MP3 and FLAC,
// on one core, in seconds of audio per second of wall time.
//   build/bench/bench_decode
#include <benchmark/benchmark.h>
#include <sndfile.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "mulan/audio.h"
#include "mulan/frontend.h"

namespace {

constexpr double kSeconds = 180.0;
constexpr int kRate = 44100;

// Writes (once) a 3-minute stereo test piece: chords, a bass line and noise bursts.
std::string test_file(const std::string& ext, int format) {
  const std::string path = (std::filesystem::temp_directory_path() / ("mulan-bench-3min." + ext)).string();
  if (std::filesystem::exists(path)) return path;
  const size_t n = static_cast<size_t>(kSeconds * kRate);
  std::vector<float> x(2 * n);
  std::mt19937 gen(1);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (size_t i = 0; i < n; ++i) {
    const double t = double(i) / kRate;
    const double f = 220.0 * std::pow(2.0, (static_cast<int>(t * 2) % 12) / 12.0);
    const double s = 0.3 * std::sin(2 * M_PI * f * t) + 0.1 * std::sin(2 * M_PI * 3 * f * t) +
                     (std::fmod(t, 0.5) < 0.03 ? 0.2 * u(gen) : 0.0);
    x[2 * i] = static_cast<float>(s);
    x[2 * i + 1] = static_cast<float>(0.8 * s + 0.05 * std::sin(2 * M_PI * 110 * t));
  }
  SF_INFO info{};
  info.channels = 2;
  info.samplerate = kRate;
  info.format = format;
  const std::string tmp = path + ".part";
  SNDFILE* f = sf_open(tmp.c_str(), SFM_WRITE, &info);
  if (!f) throw std::runtime_error(std::string("bench: cannot write ") + tmp + ": " + sf_strerror(nullptr));
  sf_writef_float(f, x.data(), static_cast<sf_count_t>(n));
  sf_close(f);
  std::filesystem::rename(tmp, path);
  return path;
}

std::string file_for(int64_t which) {
  return which == 0 ? test_file("flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16)
                    : test_file("mp3", SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III);
}

void BM_DecodeResample(benchmark::State& state) {
  const std::string path = file_for(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(mulan::audio::decode(path));
  state.counters["audio_s_per_s"] = benchmark::Counter(kSeconds, benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(state.range(0) == 0 ? "flac" : "mp3");
}

void BM_DecodeResampleMel(benchmark::State& state) {
  const std::string path = file_for(state.range(0));
  torch::set_num_threads(1);
  const mulan::audio::Frontend fe(mulan::audio::FrontendConfig::resnet());
  torch::NoGradGuard no_grad;
  for (auto _ : state) {
    std::vector<float> pcm = mulan::audio::decode(path);
    benchmark::DoNotOptimize(fe(torch::from_blob(pcm.data(), {static_cast<int64_t>(pcm.size())})));
  }
  state.counters["audio_s_per_s"] = benchmark::Counter(kSeconds, benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(state.range(0) == 0 ? "flac, resnet front end, 1 thread" : "mp3, resnet front end, 1 thread");
}

BENCHMARK(BM_DecodeResample)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_DecodeResampleMel)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
