// Front end throughput: seconds of 16 kHz audio turned into log-mel per second of wall time.
//   build/bench/bench_frontend
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "mulan/frontend.h"

namespace {

void BM_Frontend(benchmark::State& state) {
  const bool ast = state.range(0) == 1;
  const int threads = static_cast<int>(state.range(1));
  const int64_t batch = state.range(2);
  torch::set_num_threads(threads);
  const mulan::audio::Frontend fe(ast ? mulan::audio::FrontendConfig::ast() : mulan::audio::FrontendConfig::resnet());
  const double seconds = 30.0;
  torch::manual_seed(0);
  const at::Tensor wave = 0.3 * torch::randn({batch, static_cast<int64_t>(seconds * 16000)});
  torch::NoGradGuard no_grad;
  for (auto _ : state) benchmark::DoNotOptimize(fe(wave));
  state.counters["audio_s_per_s"] =
      benchmark::Counter(seconds * static_cast<double>(batch), benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(std::string(ast ? "ast" : "resnet") + " threads=" + std::to_string(threads));
}

// Args: {0 = resnet | 1 = ast, threads, batch of 30 s signals}
BENCHMARK(BM_Frontend)
    ->ArgsProduct({{0, 1}, {1, 2}, {1, 8}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
