// Audio embeddings computed once and reused across evaluation runs and protocols.
//
// Layout: DIR/<model hash>/<2 hex>/<entry hash>.emb, one small file per recording, where the
// entry hash is the SHA-256 of the key (format version, absolute canonical path, file size,
// mtime in ns). A file holds the key again, the embedding (float32) and a SHA-256 of all
// that; an entry whose key, size, dimension, checksum or values do not check out is treated as
// missing (recomputed and replaced), never trusted. Entries are written to a unique temporary
// name and renamed into place, so concurrent runs on one cache never see half an entry (at
// worst both compute it). A changed file (size or mtime) has another key: the old entry is
// simply not found again. The key does not hold the device: an embedding computed on a GPU
// (equal to the CPU's within float rounding) serves CPU runs too, and vice versa.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mulan/audio_embed.h"
#include "mulan/eval.h"
#include "mulan/model.h"

namespace mulan::eval {

// default_cache_dir() is declared in mulan/eval.h.

// The identity of an audio file as the cache sees it; nullopt when it cannot be stat'ed.
struct FileKey {
  std::string path;  // absolute, symlinks resolved
  int64_t size = 0;  // bytes
  int64_t mtime_ns = 0;
};
std::optional<FileKey> file_key(const std::string& path);

class EmbeddingCache {
 public:
  // dir/model_hash/ is created on the first store; throws mulan::Error naming dir if it
  // cannot be.
  EmbeddingCache(std::string dir, std::string model_hash, int64_t dim);

  // The cached embedding, or nullopt (absent, or corrupt: then corrupt() counts it).
  std::optional<std::vector<float>> load(const FileKey& key);
  void store(const FileKey& key, const std::vector<float>& embedding);

  const std::string& dir() const { return dir_; }
  int64_t corrupt() const { return corrupt_; }
  std::string entry_path(const FileKey& key) const;  // where the key's entry lives

 private:
  std::string dir_, model_hash_;
  int64_t dim_;
  int64_t corrupt_ = 0;
};

struct EmbedStats {
  int64_t hits = 0;      // embeddings read from the cache
  int64_t computed = 0;  // embeddings computed by the model
  int64_t corrupt = 0;   // cache entries found corrupt (and recomputed)
  int64_t failed = 0;    // files that could not be embedded
};

struct EmbeddedFiles {
  at::Tensor embeddings;            // [files, d] float32, unit rows; zero rows for failures
  std::vector<std::optional<Failure>> failures;  // per file: why it could not be embedded, or nullopt
  EmbedStats stats;
};

// Embeds files with the model (AudioEmbedder's whole-file policy), through the cache when
// there is one (cache may be null). Results in input order; a file that fails is reported in
// failures, never thrown.
EmbeddedFiles embed_files(const Model& model, EmbeddingCache* cache, const std::vector<std::string>& files,
                          const AudioEmbedOptions& options);

}  // namespace mulan::eval
