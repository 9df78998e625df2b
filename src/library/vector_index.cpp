#include "mulan/vector_index.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexIDMap.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/impl/FaissException.h>
#include <faiss/impl/io.h>
#include <faiss/index_io.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "mulan/error.h"

namespace mulan {

struct VectorIndex::Impl {
  std::unique_ptr<faiss::Index> index;
};

VectorIndex::VectorIndex(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
VectorIndex::~VectorIndex() = default;

namespace {

int cells_for(int64_t n) {
  const double want = 4.0 * std::sqrt(static_cast<double>(std::max<int64_t>(n, 1)));
  int cells = 1;
  while (cells * 2 <= want && cells < 65536) cells *= 2;
  return cells;
}

template <typename F>
auto faiss_call(const std::string& what, F&& f) {
  try {
    return f();
  } catch (const faiss::FaissException& e) {
    throw Error(what + ": " + printable(e.msg));
  }
}

}  // namespace

std::unique_ptr<VectorIndex> VectorIndex::build(const float* vectors, const int64_t* ids, int64_t n, int64_t d,
                                                const VectorIndexOptions& o) {
  if (d < 1) throw UsageError("vector index: dimension must be >= 1, got " + std::to_string(d));
  if (n < 0) throw UsageError("vector index: negative vector count");
  if (o.kind != "auto" && o.kind != "flat" && o.kind != "ivf-flat") {
    throw UsageError("vector index: kind must be auto, flat or ivf-flat, got '" + printable(o.kind) + "'");
  }
  if (o.nprobe < 1) throw UsageError("vector index: nprobe must be >= 1, got " + std::to_string(o.nprobe));
  if (o.nlist < 0) throw UsageError("vector index: nlist must be >= 0, got " + std::to_string(o.nlist));
  const bool ivf = o.kind == "ivf-flat" || (o.kind == "auto" && n >= kApproximateIndexFrom);
  auto impl = std::make_unique<Impl>();
  faiss_call("vector index", [&] {
    if (!ivf) {
      auto map = std::make_unique<faiss::IndexIDMap2>(new faiss::IndexFlatIP(d));
      map->own_fields = true;
      map->add_with_ids(n, vectors, ids);
      impl->index = std::move(map);
      return 0;
    }
    const int nlist = o.nlist > 0 ? o.nlist : cells_for(n);
    if (n < nlist) {
      throw UsageError("vector index: ivf-flat with " + std::to_string(nlist) + " cells needs at least as many vectors, got " +
                       std::to_string(n));
    }
    auto* quantizer = new faiss::IndexFlatIP(d);
    auto ivf_index = std::make_unique<faiss::IndexIVFFlat>(quantizer, d, nlist, faiss::METRIC_INNER_PRODUCT);
    ivf_index->own_fields = true;
    ivf_index->cp.seed = static_cast<int>(o.seed & 0x7fffffff);
    ivf_index->cp.max_points_per_centroid = 256;
    // A seeded sample for k-means (FAISS would sample too, but from its own generator).
    const int64_t sample = std::min<int64_t>(n, int64_t{256} * nlist);
    std::vector<int64_t> rows(static_cast<std::size_t>(n));
    std::iota(rows.begin(), rows.end(), 0);
    std::mt19937_64 rng(o.seed);
    for (int64_t i = 0; i < sample; ++i) {
      std::uniform_int_distribution<int64_t> pick(i, n - 1);
      std::swap(rows[static_cast<std::size_t>(i)], rows[static_cast<std::size_t>(pick(rng))]);
    }
    std::vector<float> train(static_cast<std::size_t>(sample * d));
    for (int64_t i = 0; i < sample; ++i) {
      std::copy_n(vectors + rows[static_cast<std::size_t>(i)] * d, d, train.data() + i * d);
    }
    ivf_index->train(sample, train.data());
    ivf_index->add_with_ids(n, vectors, ids);
    ivf_index->nprobe = static_cast<std::size_t>(std::min(o.nprobe, nlist));
    impl->index = std::move(ivf_index);
    return 0;
  });
  return std::unique_ptr<VectorIndex>(new VectorIndex(std::move(impl)));
}

std::unique_ptr<VectorIndex> VectorIndex::deserialize(const std::string& bytes, const std::string& where) {
  auto impl = std::make_unique<Impl>();
  faiss_call(file_error(where, "not a readable vector index"), [&] {
    faiss::VectorIOReader reader;
    reader.data.assign(bytes.begin(), bytes.end());
    impl->index.reset(faiss::read_index(&reader));
    return 0;
  });
  return std::unique_ptr<VectorIndex>(new VectorIndex(std::move(impl)));
}

std::string VectorIndex::serialize() const {
  return faiss_call("vector index", [&] {
    faiss::VectorIOWriter writer;
    faiss::write_index(impl_->index.get(), &writer);
    return std::string(writer.data.begin(), writer.data.end());
  });
}

std::vector<std::vector<std::pair<int64_t, float>>> VectorIndex::search_batch(const float* queries, int64_t nq,
                                                                              int64_t k) const {
  std::vector<std::vector<std::pair<int64_t, float>>> out(static_cast<std::size_t>(std::max<int64_t>(nq, 0)));
  k = std::min(k, size());
  if (k <= 0 || nq <= 0) return out;
  std::vector<float> scores(static_cast<std::size_t>(nq * k));
  std::vector<faiss::Index::idx_t> labels(static_cast<std::size_t>(nq * k));
  faiss_call("vector search", [&] {
    impl_->index->search(nq, queries, k, scores.data(), labels.data());
    return 0;
  });
  for (int64_t q = 0; q < nq; ++q) {
    for (int64_t j = 0; j < k; ++j) {
      const auto at = static_cast<std::size_t>(q * k + j);
      if (labels[at] >= 0) out[static_cast<std::size_t>(q)].emplace_back(labels[at], scores[at]);
    }
  }
  return out;
}

std::vector<std::pair<int64_t, float>> VectorIndex::search(const float* query, int64_t k) const {
  return std::move(search_batch(query, 1, k).front());
}

int64_t VectorIndex::size() const { return impl_->index->ntotal; }
int64_t VectorIndex::dim() const { return impl_->index->d; }

std::string VectorIndex::kind() const {
  if (const auto* ivf = dynamic_cast<const faiss::IndexIVF*>(impl_->index.get())) {
    return "ivf-flat:" + std::to_string(ivf->nlist);
  }
  return "flat";
}

void VectorIndex::set_nprobe(int nprobe) {
  if (nprobe < 1) throw UsageError("vector index: nprobe must be >= 1, got " + std::to_string(nprobe));
  if (auto* ivf = dynamic_cast<faiss::IndexIVF*>(impl_->index.get())) {
    ivf->nprobe = static_cast<std::size_t>(std::min<int64_t>(nprobe, static_cast<int64_t>(ivf->nlist)));
  }
}

}  // namespace mulan
