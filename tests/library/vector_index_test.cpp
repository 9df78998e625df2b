// The vector index against a brute-force float64 ranking: exact for flat, recall for IVF-Flat,
// and its bytes read back.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <set>

#include "mulan/error.h"
#include "mulan/vector_index.h"

namespace {

// n unit vectors of d floats around `clusters` random centres (what embeddings look like).
std::vector<float> clustered(int64_t n, int64_t d, int clusters, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0, 1);
  std::vector<float> centres(static_cast<std::size_t>(clusters * d));
  for (auto& x : centres) x = g(rng);
  std::vector<float> out(static_cast<std::size_t>(n * d));
  std::uniform_int_distribution<int> pick(0, clusters - 1);
  for (int64_t i = 0; i < n; ++i) {
    const int c = pick(rng);
    double norm = 0;
    for (int64_t j = 0; j < d; ++j) {
      float& x = out[static_cast<std::size_t>(i * d + j)];
      x = centres[static_cast<std::size_t>(c * d + j)] + 0.6f * g(rng);
      norm += static_cast<double>(x) * x;
    }
    for (int64_t j = 0; j < d; ++j) out[static_cast<std::size_t>(i * d + j)] /= static_cast<float>(std::sqrt(norm));
  }
  return out;
}

std::vector<int64_t> brute_force(const std::vector<float>& x, const std::vector<int64_t>& ids, const float* q, int64_t d,
                                 int64_t k) {
  const int64_t n = static_cast<int64_t>(ids.size());
  std::vector<std::pair<double, int64_t>> s;
  for (int64_t i = 0; i < n; ++i) {
    double dot = 0;
    for (int64_t j = 0; j < d; ++j) dot += static_cast<double>(x[static_cast<std::size_t>(i * d + j)]) * q[j];
    s.emplace_back(-dot, ids[static_cast<std::size_t>(i)]);
  }
  std::sort(s.begin(), s.end());
  std::vector<int64_t> out;
  for (int64_t i = 0; i < k; ++i) out.push_back(s[static_cast<std::size_t>(i)].second);
  return out;
}

TEST(VectorIndex, FlatIsExactAndReadsBack) {
  const int64_t n = 2000, d = 32;
  const auto x = clustered(n, d, 20, 1);
  std::vector<int64_t> ids(n);
  std::iota(ids.begin(), ids.end(), 1000);  // ids are the caller's, not row numbers
  auto index = mulan::VectorIndex::build(x.data(), ids.data(), n, d);
  EXPECT_EQ(index->kind(), "flat");
  EXPECT_EQ(index->size(), n);
  const auto queries = clustered(20, d, 20, 2);
  auto copy = mulan::VectorIndex::deserialize(index->serialize(), "test");
  for (int q = 0; q < 20; ++q) {
    const float* qv = queries.data() + q * d;
    const auto expected = brute_force(x, ids, qv, d, 10);
    for (const auto* ix : {index.get(), copy.get()}) {
      const auto got = ix->search(qv, 10);
      ASSERT_EQ(got.size(), 10u);
      for (int i = 0; i < 10; ++i) EXPECT_EQ(got[static_cast<std::size_t>(i)].first, expected[static_cast<std::size_t>(i)]);
    }
  }
  EXPECT_EQ(index->search(queries.data(), 5000).size(), static_cast<std::size_t>(n)) << "k past the size gives all";
}

TEST(VectorIndex, IvfFlatRecallAgainstExactSearch) {
  const int64_t n = 20000, d = 64, k = 10;
  const auto x = clustered(n, d, 200, 3);
  std::vector<int64_t> ids(n);
  std::iota(ids.begin(), ids.end(), 0);
  mulan::VectorIndexOptions o;
  o.kind = "ivf-flat";
  auto index = mulan::VectorIndex::build(x.data(), ids.data(), n, d, o);
  EXPECT_EQ(index->kind(), "ivf-flat:512");  // 4 sqrt(20000) = 565 -> 512
  const auto queries = clustered(100, d, 200, 3);  // the same centres: queries land where the data is
  double found = 0;
  for (int q = 0; q < 100; ++q) {
    const auto expected = brute_force(x, ids, queries.data() + q * d, d, k);
    const std::set<int64_t> truth(expected.begin(), expected.end());
    for (const auto& [id, score] : index->search(queries.data() + q * d, k)) found += truth.count(id);
  }
  const double recall = found / (100.0 * k);
  EXPECT_GE(recall, 0.95) << "recall@10 with nprobe " << mulan::kDefaultIvfNprobe;
  // The same index built twice is the same (seeded k-means).
  auto again = mulan::VectorIndex::build(x.data(), ids.data(), n, d, o);
  EXPECT_EQ(again->serialize(), index->serialize());
}

TEST(VectorIndex, RefusesBadOptionsAndBytes) {
  const std::vector<float> x(8, 0.5f);
  const std::vector<int64_t> ids = {1, 2};
  mulan::VectorIndexOptions o;
  o.kind = "hnsw";
  EXPECT_THROW(mulan::VectorIndex::build(x.data(), ids.data(), 2, 4, o), mulan::UsageError);
  o.kind = "ivf-flat";
  EXPECT_THROW(mulan::VectorIndex::build(x.data(), ids.data(), 2, 4, o), mulan::UsageError);  // fewer vectors than cells
  EXPECT_THROW(mulan::VectorIndex::deserialize("not an index", "x.faiss"), mulan::Error);
}

}  // namespace
