// Training throughput on CPU (2 threads): contrastive training steps (forward, MuLan loss,
// backward, AdamW) in pairs per second for the tiny presets at batch 16 and 64 and the base
// presets at a small batch; and the loader alone (decode + front end + crop + SpecAugment), in
// pairs per second, with the spectrogram cache cold (every recording decoded) and warm.
//   build/bench/bench_train
#include <benchmark/benchmark.h>
#include <sndfile.h>
#include <torch/torch.h>

#include <filesystem>

#include "data/pair_loader.h"
#include "model/mulan_model.h"
#include "mulan/presets.h"
#include "mulan/model.h"
#include "train/loss.h"
#include "train/optimizer.h"

namespace {

const char* kPresets[] = {"tiny", "tiny-ast", "base-resnet", "base-ast"};

void BM_TrainStep(benchmark::State& state) {
  torch::set_num_threads(2);
  const std::string preset = kPresets[state.range(0)];
  const int64_t batch = state.range(1);
  mulan::Model m = mulan::Model::init(mulan::model::preset(preset), 1);
  auto& net = mulan::model::modules_of(m);
  net.train();
  mulan::train::TrainConfig c;
  mulan::train::Optimizer opt = mulan::train::make_optimizer(net, c);
  const auto& a = *m.config().audio;
  const at::Tensor windows = torch::randn({batch, a.n_mels, a.window_frames});
  const at::Tensor ids = torch::randint(5, m.config().text->vocab_size, {batch, 24});
  const at::Tensor mask = torch::ones({batch, 24}, torch::kInt64);
  for (auto _ : state) {
    opt.adamw->zero_grad();
    const at::Tensor loss = mulan::train::contrastive_loss(net.audio->forward(windows), net.text->forward(ids, mask),
                                                           mulan::train::temperature(net.log_tau, 0.01),
                                                           mulan::train::LossKind::kMulan);
    loss.backward();
    opt.adamw->step();
  }
  state.counters["pairs_per_s"] = benchmark::Counter(static_cast<double>(batch), benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(preset + " batch=" + std::to_string(batch) + " text=24 tokens");
}
BENCHMARK(BM_TrainStep)->Args({0, 16})->Args({0, 64})->Args({1, 64})->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);
BENCHMARK(BM_TrainStep)->Args({2, 4})->Args({3, 2})->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(2);

// 64 recordings of 30 s (16 kHz FLAC), written once.
std::vector<mulan::data::Recording> corpus() {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / "mulan-bench-train-corpus";
  fs::create_directories(dir);
  std::vector<mulan::data::Recording> out;
  for (int i = 0; i < 64; ++i) {
    const std::string path = (dir / ("r" + std::to_string(i) + ".flac")).string();
    if (!fs::exists(path)) {
      std::vector<float> x(30 * 16000);
      for (size_t k = 0; k < x.size(); ++k) x[k] = 0.3f * static_cast<float>(std::sin(0.01 * (i + 5) * static_cast<double>(k)));
      SF_INFO info{};
      info.channels = 1;
      info.samplerate = 16000;
      info.format = SF_FORMAT_FLAC | SF_FORMAT_PCM_16;
      SNDFILE* f = sf_open((path + ".part").c_str(), SFM_WRITE, &info);
      sf_writef_float(f, x.data(), static_cast<sf_count_t>(x.size()));
      sf_close(f);
      fs::rename(path + ".part", path);
    }
    mulan::data::Recording r;
    r.id = "r" + std::to_string(i);
    r.audio = path;
    r.where = path;
    r.texts["sf"] = {"a text"};
    out.push_back(r);
  }
  return out;
}

void BM_Loader(benchmark::State& state) {
  torch::set_num_threads(1);
  const bool warm = state.range(1) != 0;
  auto sampler = std::make_shared<mulan::data::PairSampler>(corpus(), std::map<std::string, double>{{"sf", 1}}, 1);
  mulan::data::PairLoaderOptions o;
  o.batch = 16;
  o.workers = static_cast<int>(state.range(0));
  o.window_frames = 1000;
  o.spec_augment_config = mulan::audio::SpecAugmentConfig::for_mels(64);
  o.cache_bytes = warm ? int64_t{1} << 30 : 0;
  mulan::data::PairLoader loader(sampler, o, 0);
  if (warm) for (int i = 0; i < 4; ++i) loader.next();  // one epoch: every recording cached
  for (auto _ : state) benchmark::DoNotOptimize(loader.next());
  state.counters["pairs_per_s"] = benchmark::Counter(16.0, benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(std::string(warm ? "cache warm" : "cache off (decode every pair)") + " workers=" + std::to_string(state.range(0)));
}
BENCHMARK(BM_Loader)->ArgsProduct({{1, 2}, {0, 1}})->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

}  // namespace
