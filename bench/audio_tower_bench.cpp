// Audio tower throughput on CPU: 10 s windows per second at batch 1, 8 and 32 for the base
// ResNet-50 and AST towers and the tiny tower; and the real-time factor of embedding a
// 3-minute 44.1 kHz stereo FLAC end to end (decode, resample, front end, windows, model).
//   build/bench/bench_audio_tower
#include <benchmark/benchmark.h>
#include <sndfile.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>

#include "mulan/presets.h"
#include "mulan/audio_embed.h"
#include "mulan/model.h"
#include "model/mulan_model.h"

namespace {

const char* kPresets[] = {"base-resnet", "base-ast", "tiny"};

mulan::Model audio_model(int64_t which) {
  mulan::MulanConfig c = mulan::model::preset(kPresets[which]);
  c.text.reset();
  return mulan::Model::init(c, 1);
}

void BM_AudioTower(benchmark::State& state) {
  torch::set_num_threads(static_cast<int>(state.range(2)));
  const mulan::Model m = audio_model(state.range(0));
  const auto& a = *m.config().audio;
  const int64_t batch = state.range(1);
  const at::Tensor w = torch::randn({batch, a.n_mels, a.window_frames});
  for (auto _ : state) benchmark::DoNotOptimize(m.embed_windows(w));
  state.counters["windows_per_s"] = benchmark::Counter(static_cast<double>(batch), benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(std::string(kPresets[state.range(0)]) + " batch=" + std::to_string(batch) +
                 " threads=" + std::to_string(state.range(2)));
}
BENCHMARK(BM_AudioTower)
    ->ArgsProduct({{0, 1, 2}, {1, 8, 32}, {2}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(0.5);

// The float tower against its int8 form (quantize_int8: `mulan quantize`), batch 8 (ResNet-50)
// or 1 (AST), 2 threads. The ResNet runs float convolutions from the int8 file; the AST's
// linear layers run int8 kernels.
void BM_AudioTowerInt8(benchmark::State& state) {
  torch::set_num_threads(2);
  const mulan::Model f = audio_model(state.range(0));
  const mulan::Model m = state.range(1) == 1 ? mulan::quantize_int8(f) : f;
  const auto& a = *m.config().audio;
  const int64_t batch = state.range(0) == 1 ? 1 : 8;
  const at::Tensor w = torch::randn({batch, a.n_mels, a.window_frames});
  for (auto _ : state) benchmark::DoNotOptimize(m.embed_windows(w));
  state.counters["windows_per_s"] = benchmark::Counter(static_cast<double>(batch), benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(std::string(kPresets[state.range(0)]) + (state.range(1) == 1 ? " int8" : " float") +
                 " batch=" + std::to_string(batch) + " threads=2");
}
BENCHMARK(BM_AudioTowerInt8)->ArgsProduct({{0, 1}, {0, 1}})->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

std::string three_minutes() {
  const std::string path = (std::filesystem::temp_directory_path() / "mulan-bench-embed-3min.flac").string();
  if (std::filesystem::exists(path)) return path;
  const int rate = 44100;
  const size_t n = static_cast<size_t>(180 * rate);
  std::vector<float> x(2 * n);
  for (size_t i = 0; i < n; ++i) {
    const double t = double(i) / rate;
    const double s = 0.3 * std::sin(2 * M_PI * 220.0 * std::pow(2.0, (static_cast<int>(t * 2) % 12) / 12.0) * t);
    x[2 * i] = x[2 * i + 1] = static_cast<float>(s);
  }
  SF_INFO info{};
  info.channels = 2;
  info.samplerate = rate;
  info.format = SF_FORMAT_FLAC | SF_FORMAT_PCM_16;
  SNDFILE* f = sf_open((path + ".part").c_str(), SFM_WRITE, &info);
  sf_writef_float(f, x.data(), static_cast<sf_count_t>(n));
  sf_close(f);
  std::filesystem::rename(path + ".part", path);
  return path;
}

void BM_EmbedThreeMinuteTrack(benchmark::State& state) {
  torch::set_num_threads(2);
  const mulan::Model m = audio_model(state.range(0));
  const std::string file = three_minutes();
  mulan::AudioEmbedOptions o;
  o.batch_windows = 8;
  for (auto _ : state) {
    mulan::AudioEmbedder(m, o).run({file}, [](mulan::AudioEmbedding&& e) { benchmark::DoNotOptimize(e.embedding); });
  }
  state.counters["x_real_time"] = benchmark::Counter(180.0, benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(kPresets[state.range(0)]);
}
BENCHMARK(BM_EmbedThreeMinuteTrack)->DenseRange(0, 2)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(0.5);

}  // namespace

namespace {
// The ResNet trunk alone, BatchNorm folded into the convolutions (what inference runs) against
// the modules as they are (what training runs): range(0) 1 = folded.
void BM_ResNetTrunkFolded(benchmark::State& state) {
  torch::set_num_threads(2);
  mulan::Model m = audio_model(0);
  auto& resnet = *mulan::model::modules_of(m).audio->resnet;
  const auto& a = *m.config().audio;
  const at::Tensor w = torch::randn({8, 1, a.n_mels, a.window_frames});
  c10::InferenceMode guard;
  for (auto _ : state) benchmark::DoNotOptimize(state.range(0) ? resnet.forward(w) : resnet.forward_unfolded(w));
  state.counters["windows_per_s"] = benchmark::Counter(8.0, benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(state.range(0) ? "folded" : "unfolded");
}
BENCHMARK(BM_ResNetTrunkFolded)->DenseRange(0, 1)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(1.0);
}  // namespace
