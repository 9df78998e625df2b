// Nearest neighbours by inner product (cosine, for unit vectors) over many embeddings, on FAISS:
// exact (a flat index) below kApproximateIndexFrom vectors, approximate above (IVF-Flat:
// nlist k-means cells, the largest power of two <= 4 sqrt(N) (at most 65536), trained on a
// seeded sample of at most 256 vectors a cell; nprobe cells searched per query). No LibTorch or
// FAISS in this header.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace mulan {

// How many vectors an "auto" index holds before it turns approximate (IVF-Flat, inner product):
// exact search over 100k costs about 11 ms a query on a 2-core machine, and at 1M IVF-Flat
// (nprobe 64) finds 98.8% of the exact top 10 in 4 ms instead of 95 ms (docs/performance.md,
// bench_index_recall).
inline constexpr int64_t kApproximateIndexFrom = 100000;
inline constexpr int kDefaultIvfNprobe = 64;

struct VectorIndexOptions {
  std::string kind = "auto";  // "auto" (by size), "flat" or "ivf-flat"
  int nlist = 0;              // ivf-flat cells; 0 = by size
  int nprobe = kDefaultIvfNprobe;  // ivf-flat cells searched per query
  uint64_t seed = 1234;       // the k-means sample and initialisation
};

class VectorIndex {
 public:
  // n vectors of d floats, row-major, with their ids. Throws mulan::UsageError on bad options.
  static std::unique_ptr<VectorIndex> build(const float* vectors, const int64_t* ids, int64_t n, int64_t d,
                                            const VectorIndexOptions& options = {});
  // An index from serialize(); mulan::Error naming `where` when the bytes are not one.
  static std::unique_ptr<VectorIndex> deserialize(const std::string& bytes, const std::string& where);
  std::string serialize() const;

  // The k best (id, score) pairs for one query [d], best first; fewer when the index holds fewer.
  std::vector<std::pair<int64_t, float>> search(const float* query, int64_t k) const;
  // The same for nq queries at once (row-major [nq, d]): one list per query.
  std::vector<std::vector<std::pair<int64_t, float>>> search_batch(const float* queries, int64_t nq, int64_t k) const;

  int64_t size() const;
  int64_t dim() const;
  std::string kind() const;  // "flat" or "ivf-flat:NLIST"
  void set_nprobe(int nprobe);  // not thread-safe: before searching

  ~VectorIndex();
  VectorIndex(const VectorIndex&) = delete;
  VectorIndex& operator=(const VectorIndex&) = delete;

  struct Impl;

 private:
  explicit VectorIndex(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mulan
