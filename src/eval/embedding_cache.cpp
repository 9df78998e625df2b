#include "eval/embedding_cache.h"

#include <sys/random.h>
#include <sys/stat.h>
#include <torch/torch.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "eval/provenance.h"
#include "mulan/error.h"

namespace mulan::eval {
namespace fs = std::filesystem;

namespace {

constexpr char kMagic[8] = {'M', 'U', 'L', 'A', 'N', 'E', 'M', 'B'};
constexpr uint32_t kVersion = 1;  // bump when the entry format or the embedding policy changes
constexpr std::size_t kHexLen = 64;

template <typename T>
void put(std::string& s, T v) {
  s.append(reinterpret_cast<const char*>(&v), sizeof v);
}
void put_string(std::string& s, const std::string& v) {
  put<uint32_t>(s, static_cast<uint32_t>(v.size()));
  s += v;
}

// Reads from a byte string; ok() turns false on a short read.
class Reader {
 public:
  explicit Reader(const std::string& s) : s_(s) {}
  template <typename T>
  T get() {
    T v{};
    if (pos_ + sizeof v > s_.size()) {
      ok_ = false;
      return v;
    }
    std::memcpy(&v, s_.data() + pos_, sizeof v);
    pos_ += sizeof v;
    return v;
  }
  std::string get_string(std::size_t max) {
    const auto n = get<uint32_t>();
    if (!ok_ || n > max || pos_ + n > s_.size()) {
      ok_ = false;
      return {};
    }
    std::string v = s_.substr(pos_, n);
    pos_ += n;
    return v;
  }
  bool ok() const { return ok_; }
  std::size_t pos() const { return pos_; }

 private:
  const std::string& s_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

std::string key_text(const FileKey& k) {
  return std::to_string(kVersion) + '\0' + k.path + '\0' + std::to_string(k.size) + '\0' + std::to_string(k.mtime_ns);
}

// A temporary name no other thread or process picks: 64 bits from the kernel's random source
// (getrandom is thread-safe, unlike the shared generator this once used) after the process id.
std::string unique_suffix() {
  uint64_t r = 0;
  if (::getrandom(&r, sizeof r, 0) != static_cast<ssize_t>(sizeof r)) {
    throw Error("embedding cache: cannot draw a temporary file name: " + std::string(std::strerror(errno)));
  }
  return ".tmp." + std::to_string(::getpid()) + "." + std::to_string(r);
}

}  // namespace

std::string default_cache_dir() {
  if (const char* d = std::getenv("MULAN_CACHE"); d && *d) return d;
  if (const char* d = std::getenv("XDG_CACHE_HOME"); d && *d) return (fs::path(d) / "mulan").string();
  if (const char* d = std::getenv("HOME"); d && *d) return (fs::path(d) / ".cache" / "mulan").string();
  return "";
}

std::optional<FileKey> file_key(const std::string& path) {
  std::error_code ec;
  const fs::path canon = fs::canonical(path, ec);
  if (ec) return std::nullopt;
  struct stat st {};
  if (::stat(canon.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return FileKey{canon.string(), static_cast<int64_t>(st.st_size),
                 static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
}

EmbeddingCache::EmbeddingCache(std::string dir, std::string model_hash, int64_t dim)
    : dir_(std::move(dir)), model_hash_(std::move(model_hash)), dim_(dim) {
  std::error_code ec;
  fs::create_directories(fs::path(dir_) / model_hash_, ec);
  if (ec) {
    throw Error(
        file_error(dir_, "cannot create the embedding cache (" + ec.message() + "); choose another cache folder, or none"));
  }
}

std::string EmbeddingCache::entry_path(const FileKey& key) const {
  const std::string h = sha256_hex(key_text(key));
  return (fs::path(dir_) / model_hash_ / h.substr(0, 2) / (h + ".emb")).string();
}

std::optional<std::vector<float>> EmbeddingCache::load(const FileKey& key) {
  const std::string path = entry_path(key);
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string bytes = ss.str();
  // Every check below fails on a truncated, overwritten or foreign file.
  auto bad = [&]() -> std::optional<std::vector<float>> {
    ++corrupt_;
    return std::nullopt;
  };
  if (bytes.size() < sizeof kMagic + kHexLen || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) return bad();
  const std::string body = bytes.substr(0, bytes.size() - kHexLen);
  if (sha256_hex(body) != bytes.substr(bytes.size() - kHexLen)) return bad();
  Reader r(body);
  r.get<std::array<char, 8>>();
  const auto version = r.get<uint32_t>();
  const auto dim = r.get<uint32_t>();
  const auto size = r.get<int64_t>();
  const auto mtime = r.get<int64_t>();
  const std::string hash = r.get_string(256), file = r.get_string(1 << 16);
  if (!r.ok() || version != kVersion || dim != dim_ || size != key.size || mtime != key.mtime_ns ||
      hash != model_hash_ || file != key.path || body.size() - r.pos() != static_cast<std::size_t>(dim_) * 4) {
    return bad();
  }
  std::vector<float> e(static_cast<std::size_t>(dim_));
  std::memcpy(e.data(), body.data() + r.pos(), e.size() * sizeof(float));
  double norm = 0;
  for (float v : e) {
    if (!std::isfinite(v)) return bad();
    norm += static_cast<double>(v) * v;
  }
  if (std::abs(std::sqrt(norm) - 1.0) > 1e-3) return bad();
  return e;
}

void EmbeddingCache::store(const FileKey& key, const std::vector<float>& embedding) {
  if (static_cast<int64_t>(embedding.size()) != dim_) throw Error("embedding cache: wrong embedding size");
  std::string body(kMagic, sizeof kMagic);
  put<uint32_t>(body, kVersion);
  put<uint32_t>(body, static_cast<uint32_t>(dim_));
  put<int64_t>(body, key.size);
  put<int64_t>(body, key.mtime_ns);
  put_string(body, model_hash_);
  put_string(body, key.path);
  body.append(reinterpret_cast<const char*>(embedding.data()), embedding.size() * sizeof(float));
  body += sha256_hex(body);

  const std::string path = entry_path(key), tmp = path + unique_suffix();
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(body.data(), static_cast<std::streamsize>(body.size()));
    out.close();
    if (!out) {
      fs::remove(tmp, ec);
      throw Error(file_error(tmp, "cannot write an embedding cache entry (disk full? read-only?)"));
    }
  }
  // No fsync: after a crash an entry may read back short or empty; the checksum then rejects it.
  fs::rename(tmp, path, ec);
  if (ec) {
    std::error_code ignore;
    fs::remove(tmp, ignore);
    throw Error(file_error(path, "cannot rename an embedding cache entry into place: " + ec.message()));
  }
}

EmbeddedFiles embed_files(const Model& model, EmbeddingCache* cache, const std::vector<std::string>& files,
                          const AudioEmbedOptions& options) {
  const int64_t d = model.config().embed_dim;
  EmbeddedFiles out;
  out.embeddings = at::zeros({static_cast<int64_t>(files.size()), d}, at::kFloat);
  out.failures.assign(files.size(), std::nullopt);
  float* rows = out.embeddings.data_ptr<float>();
  std::vector<std::optional<FileKey>> keys(files.size());
  std::vector<std::size_t> todo;
  std::vector<std::string> todo_files;
  const int64_t corrupt_before = cache ? cache->corrupt() : 0;
  for (std::size_t i = 0; i < files.size(); ++i) {
    keys[i] = file_key(files[i]);
    if (cache && keys[i]) {
      if (auto e = cache->load(*keys[i])) {
        std::copy(e->begin(), e->end(), rows + i * d);
        ++out.stats.hits;
        continue;
      }
    }
    todo.push_back(i);
    todo_files.push_back(files[i]);
  }
  if (cache) out.stats.corrupt = cache->corrupt() - corrupt_before;
  std::size_t next = 0;
  if (!todo_files.empty()) {
    AudioEmbedder(model, options).run(todo_files, [&](AudioEmbedding&& e) {
      const std::size_t i = todo[next++];
      if (e.failure) {
        out.failures[i] = std::move(e.failure);
        ++out.stats.failed;
        return;
      }
      const at::Tensor v = e.embedding.to(at::kCPU, at::kFloat).contiguous();
      std::vector<float> row(v.data_ptr<float>(), v.data_ptr<float>() + d);
      std::copy(row.begin(), row.end(), rows + i * d);
      ++out.stats.computed;
      // Only when the file did not change while it was being read.
      if (cache && keys[i]) {
        const auto now = file_key(files[i]);
        if (now && now->size == keys[i]->size && now->mtime_ns == keys[i]->mtime_ns) cache->store(*keys[i], row);
      }
    });
  }
  return out;
}

}  // namespace mulan::eval
