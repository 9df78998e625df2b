// The library's vector index at scale: build time, memory, query latency and recall@10 of exact
// (flat) and approximate (IVF-Flat) search over N clustered unit vectors of 128 floats, against
// exact search. Embeddings cluster (by style, instrument, mood); uniform random vectors would
// make every approximate index look worse than it is on real libraries.
//
//   build/bench/bench_index_recall [N=1000000] [QUERIES=200] [SPREAD=1.0]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "mulan/vector_index.h"

namespace {

using Clock = std::chrono::steady_clock;

// Spread of the points around their centre (SPREAD), against centres of unit variance per
// dimension. Recall depends on it: at 0.7 a query's true neighbours share its cluster and any
// approximate index looks perfect; at 1.0 they come from several clusters; at 2.0 the data is
// close to uniform noise, which no embedding space is.
float g_spread = 1.0f;

std::vector<float> clustered(int64_t n, int64_t d, int clusters, unsigned seed, std::vector<float>* centres_in) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0, 1);
  std::vector<float> centres;
  if (centres_in && !centres_in->empty()) {
    centres = *centres_in;
  } else {
    centres.resize(static_cast<std::size_t>(clusters * d));
    for (auto& x : centres) x = g(rng);
    if (centres_in) *centres_in = centres;
  }
  std::vector<float> out(static_cast<std::size_t>(n * d));
  std::uniform_int_distribution<int> pick(0, clusters - 1);
  for (int64_t i = 0; i < n; ++i) {
    const int c = pick(rng);
    double norm = 0;
    float* row = out.data() + i * d;
    for (int64_t j = 0; j < d; ++j) {
      row[j] = centres[static_cast<std::size_t>(c * d + j)] + g_spread * g(rng);
      norm += static_cast<double>(row[j]) * row[j];
    }
    for (int64_t j = 0; j < d; ++j) row[j] /= static_cast<float>(std::sqrt(norm));
  }
  return out;
}

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(std::min<double>(static_cast<double>(v.size() - 1), p * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t n = argc > 1 ? std::atoll(argv[1]) : 1000000;
  const int nq = argc > 2 ? std::atoi(argv[2]) : 200;
  g_spread = argc > 3 ? static_cast<float>(std::atof(argv[3])) : 1.0f;
  if (n < 1 || nq < 1 || !(g_spread > 0)) {
    std::fprintf(stderr, "usage: bench_index_recall [N>=1] [QUERIES>=1] [SPREAD>0]\n");
    return 2;
  }
  const int64_t d = 128, k = 10;
  std::vector<float> centres;
  std::fprintf(stderr, "generating %lld vectors...\n", static_cast<long long>(n));
  const auto x = clustered(n, d, 4000, 1, &centres);
  const auto queries = clustered(nq, d, 4000, 2, &centres);
  std::vector<int64_t> ids(static_cast<std::size_t>(n));
  std::iota(ids.begin(), ids.end(), 1);

  auto t = Clock::now();
  mulan::VectorIndexOptions flat_options;
  flat_options.kind = "flat";
  auto flat = mulan::VectorIndex::build(x.data(), ids.data(), n, d, flat_options);
  const double flat_build = ms_since(t);
  std::vector<std::set<int64_t>> truth;
  std::vector<double> flat_ms;
  for (int q = 0; q < nq; ++q) {
    t = Clock::now();
    const auto hits = flat->search(queries.data() + q * d, k);
    flat_ms.push_back(ms_since(t));
    std::set<int64_t> s;
    for (const auto& h : hits) s.insert(h.first);
    truth.push_back(s);
  }
  std::printf("%lld vectors of 128 floats, 4000 clusters, spread %.2f, %d queries\n\n", static_cast<long long>(n),
              static_cast<double>(g_spread), nq);
  std::printf("| index | build | memory | query p50 | query p99 | recall@10 |\n|---|---|---|---|---|---|\n");
  std::printf("| flat (exact), %lld vectors | %.1f s | %.0f MiB | %.2f ms | %.2f ms | 1.000 |\n", static_cast<long long>(n),
              flat_build / 1000, static_cast<double>(n * d * 4) / (1 << 20), percentile(flat_ms, 0.5),
              percentile(flat_ms, 0.99));
  std::fflush(stdout);

  mulan::VectorIndexOptions ivf_options;
  ivf_options.kind = "ivf-flat";
  t = Clock::now();
  auto ivf = mulan::VectorIndex::build(x.data(), ids.data(), n, d, ivf_options);
  const double ivf_build = ms_since(t);
  for (int nprobe : {8, 16, 32, 64, 128}) {
    ivf->set_nprobe(nprobe);
    std::vector<double> ms;
    double found = 0;
    for (int q = 0; q < nq; ++q) {
      t = Clock::now();
      const auto hits = ivf->search(queries.data() + q * d, k);
      ms.push_back(ms_since(t));
      for (const auto& h : hits) found += static_cast<double>(truth[static_cast<std::size_t>(q)].count(h.first));
    }
    std::printf("| %s, nprobe %d%s | %.1f s | %.0f MiB | %.2f ms | %.2f ms | %.3f |\n", ivf->kind().c_str(), nprobe,
                nprobe == mulan::kDefaultIvfNprobe ? " (default)" : "", ivf_build / 1000,
                static_cast<double>(n * (d * 4 + 8)) / (1 << 20), percentile(ms, 0.5), percentile(ms, 0.99),
                found / (static_cast<double>(nq) * k));
    std::fflush(stdout);
  }
  return 0;
}
