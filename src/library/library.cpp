#include "mulan/library.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <system_error>

#include "library/progress.h"
#include "library/scan.h"
#include "library/sqlite.h"
#include "library/track_store.h"
#include "mulan/atomic_file.h"
#include "mulan/audio.h"
#include "mulan/context.h"
#include "mulan/model_hash.h"
#include "mulan/npy.h"
#include "mulan/vector_index.h"

namespace fs = std::filesystem;

namespace mulan {

using library::Db;
using library::Stmt;
using library::Transaction;

struct Library::Impl {
  std::string dir;
  std::unique_ptr<Db> db;
  library::Meta meta;
  std::unique_ptr<VectorIndex> index;
  int64_t index_bytes = 0;
  mutable std::mutex mutex;  // the statements below share one connection
};

Library::Library(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Library::~Library() = default;
const std::string& Library::dir() const { return impl_->dir; }

namespace {

std::string db_path(const std::string& dir) { return (fs::path(dir) / library::kDbFile).string(); }
std::string index_path(const std::string& dir) { return (fs::path(dir) / library::kIndexFile).string(); }
std::string index_meta_path(const std::string& dir) { return index_path(dir) + ".json"; }

// The vector index of every track, from the database.
std::unique_ptr<VectorIndex> index_from_db(const Db& db, int64_t dim) {
  std::vector<float> vectors;
  std::vector<int64_t> ids;
  library::for_each_embedding(db, dim, [&](int64_t id, const float* v) {
    ids.push_back(id);
    vectors.insert(vectors.end(), v, v + dim);
  });
  return VectorIndex::build(vectors.data(), ids.data(), static_cast<int64_t>(ids.size()), dim);
}

// Writes vectors.faiss and, after it, vectors.faiss.json naming the generation it holds.
void write_index(const std::string& dir, const Db& db, const library::Meta& meta) {
  const auto index = index_from_db(db, meta.embed_dim);
  write_file_atomic(index_path(dir), index->serialize());
  write_file_atomic(index_meta_path(dir),
                    nlohmann::json{{"generation", meta.generation}, {"tracks", index->size()}, {"kind", index->kind()}}.dump() +
                        "\n");
}

// The generation of the records that the saved index holds (-1: none, or unreadable).
int64_t saved_generation(const std::string& dir) {
  try {
    std::ifstream in(index_meta_path(dir));
    if (!in) return -1;
    return nlohmann::json::parse(in).at("generation").get<int64_t>();
  } catch (const std::exception&) {
    return -1;
  }
}

// The saved index when it is of the database's generation, else one built from the database.
std::unique_ptr<VectorIndex> load_index(const std::string& dir, const Db& db, const library::Meta& meta,
                                        int64_t& bytes) {
  std::error_code ec;
  if (saved_generation(dir) == meta.generation && fs::exists(index_path(dir), ec)) {
    try {
      std::ifstream f(index_path(dir), std::ios::binary);
      std::string saved((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
      auto index = VectorIndex::deserialize(saved, index_path(dir));
      if (index->dim() == meta.embed_dim && index->size() == library::track_count(db)) {
        bytes = static_cast<int64_t>(saved.size());
        return index;
      }
    } catch (const std::exception&) {
      // damaged: rebuilt from the records below
    }
  }
  bytes = 0;
  return index_from_db(db, meta.embed_dim);
}

std::vector<float> unit(const std::vector<float>& v) {
  double n = 0;
  for (float x : v) n += static_cast<double>(x) * x;
  n = std::sqrt(n);
  std::vector<float> out(v);
  if (n > 0) {
    for (auto& x : out) x = static_cast<float>(x / n);
  }
  return out;
}

std::string hash_mismatch(const std::string& dir, const library::Meta& meta, const std::string& hash,
                          const std::string& model_dir) {
  return "the library " + dir + " was built with model " + meta.model_hash + " (" + meta.model_dir + "), but " +
         model_dir + " is model " + hash + "; use the model it was built with, or build a new library";
}

}  // namespace

std::shared_ptr<const Library> Library::open(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw FileNotFound(file_error(dir, "no such library folder"));
  if (!fs::exists(db_path(dir), ec)) {
    throw FileNotFound(file_error(dir, "not a mulan library (no " + std::string(library::kDbFile) + "; make one with mulan index build)"));
  }
  auto impl = std::make_unique<Impl>();
  impl->dir = dir;
  impl->db = std::make_unique<Db>(db_path(dir), false);
  impl->meta = library::read_meta(*impl->db);
  impl->index = load_index(dir, *impl->db, impl->meta, impl->index_bytes);
  return std::shared_ptr<const Library>(new Library(std::move(impl)));
}

void Library::check_model(const std::string& hash, const std::string& model_dir) const {
  if (hash != impl_->meta.model_hash) throw Error(hash_mismatch(impl_->dir, impl_->meta, hash, model_dir));
}

std::shared_ptr<const Context> Library::load_model(const std::string& model_dir, const ContextParams& params) const {
  const std::string dir = model_dir.empty() ? impl_->meta.model_dir : model_dir;
  std::error_code ec;
  if (model_dir.empty() && !fs::is_directory(dir, ec)) {
    throw FileNotFound(file_error(dir, "the model this library was built with is gone (give another copy of it with --model)"));
  }
  check_model(model_hash(dir), dir);
  return Context::load(dir, params);
}

LibraryInfo Library::info() const {
  std::lock_guard lock(impl_->mutex);
  LibraryInfo i;
  i.dir = impl_->dir;
  const auto& m = impl_->meta;
  i.model_hash = m.model_hash;
  i.model_dir = m.model_dir;
  i.embed_dim = m.embed_dim;
  i.created = m.created;
  i.updated = m.updated;
  Stmt s(*impl_->db, "SELECT COUNT(*), COALESCE(SUM(n_windows), 0), COALESCE(SUM(duration_s), 0) FROM tracks");
  s.step();
  i.tracks = s.integer(0);
  i.windows = s.integer(1);
  i.total_duration_s = s.real(2);
  i.index_kind = impl_->index->kind();
  std::error_code ec;
  for (const char* suffix : {"", "-wal"}) {
    const auto n = fs::file_size(db_path(impl_->dir) + suffix, ec);
    if (!ec) i.db_bytes += static_cast<int64_t>(n);
  }
  i.index_bytes = impl_->index_bytes;
  return i;
}

int64_t Library::size() const { return impl_->index->size(); }
int64_t Library::embed_dim() const { return impl_->meta.embed_dim; }

bool Library::has_track(int64_t id) const {
  std::lock_guard lock(impl_->mutex);
  return library::find_track(*impl_->db, id).has_value();
}

Track Library::track(int64_t id) const {
  std::lock_guard lock(impl_->mutex);
  auto t = library::find_track(*impl_->db, id);
  if (!t) throw FileNotFound("no track " + std::to_string(id) + " in the library " + impl_->dir);
  return *t;
}

std::vector<float> Library::embedding(int64_t id) const {
  std::lock_guard lock(impl_->mutex);
  auto v = library::track_vectors(*impl_->db, id, impl_->meta.embed_dim);
  if (!v) throw FileNotFound("no track " + std::to_string(id) + " in the library " + impl_->dir);
  return v->embedding;
}

std::vector<Track> Library::tracks() const {
  std::lock_guard lock(impl_->mutex);
  return library::all_tracks(*impl_->db);
}

std::vector<float> Library::embeddings() const {
  std::lock_guard lock(impl_->mutex);
  std::vector<float> out;
  const int64_t d = impl_->meta.embed_dim;
  library::for_each_embedding(*impl_->db, d, [&](int64_t, const float* v) { out.insert(out.end(), v, v + d); });
  return out;
}

std::vector<LibraryHit> Library::nearest(const std::vector<float>& query, int64_t k, int64_t exclude) const {
  const int64_t d = impl_->meta.embed_dim;
  if (static_cast<int64_t>(query.size()) != d) {
    throw UsageError("a query vector must have " + std::to_string(d) + " values, got " + std::to_string(query.size()));
  }
  if (k < 1) throw UsageError("k must be >= 1, got " + std::to_string(k));
  for (float x : query) {
    if (!std::isfinite(x)) throw UsageError("the query vector has a value that is not finite");
  }
  const auto q = unit(query);
  auto found = impl_->index->search(q.data(), exclude >= 0 ? k + 1 : k);
  std::vector<LibraryHit> hits;
  std::lock_guard lock(impl_->mutex);
  for (const auto& [id, score] : found) {
    if (id == exclude) continue;
    if (static_cast<int64_t>(hits.size()) == k) break;
    auto row = library::find_track_and_vectors(*impl_->db, id, d);
    if (!row) continue;  // removed by a build since the index was loaded
    const library::TrackVectors& v = row->second;
    LibraryHit h;
    h.track = std::move(row->first);
    h.score = score;
    // The window whose embedding matches the query best.
    double best = -2;
    for (std::size_t w = 0; w < v.starts.size(); ++w) {
      double dot = 0;
      for (int64_t j = 0; j < d; ++j) dot += static_cast<double>(q[static_cast<std::size_t>(j)]) * v.windows[w * d + j];
      if (dot > best) {
        best = dot;
        h.start_s = v.starts[w];
      }
    }
    hits.push_back(std::move(h));
  }
  return hits;
}

std::vector<LibraryHit> Library::search(const Context& ctx, const std::string& text, int64_t k) const {
  const at::Tensor e = ctx.embed_texts({text}).contiguous();
  const float* p = e.data_ptr<float>();
  return nearest(std::vector<float>(p, p + e.size(1)), k);
}

std::vector<LibraryHit> Library::similar(int64_t id, int64_t k) const { return nearest(embedding(id), k, id); }

void Library::export_to(const std::string& out_dir) const {
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) throw Error(file_error(out_dir, "cannot create the folder: " + ec.message()));
  const auto all = tracks();
  auto vectors = embeddings();
  const int64_t n = static_cast<int64_t>(all.size()), d = impl_->meta.embed_dim;
  std::vector<int64_t> ids;
  std::string lines;
  for (const auto& t : all) {
    ids.push_back(t.id);
    lines += library::track_json(t).dump() + "\n";
  }
  write_npy((fs::path(out_dir) / "embeddings.npy").string(),
            at::from_blob(vectors.data(), {n, d}, at::kFloat).clone());
  write_npy((fs::path(out_dir) / "ids.npy").string(), at::from_blob(ids.data(), {n}, at::kLong).clone());
  write_file_atomic((fs::path(out_dir) / "tracks.jsonl").string(), lines);
}

LibraryBuildReport Library::build(const std::string& dir, const Context& ctx, const std::string& hash,
                                  const LibraryBuildOptions& options) {
  if (options.batch_tracks < 1) throw OptionError("batch_tracks", "must be >= 1");
  if (options.shard_count < 1 || options.shard_index < 0 || options.shard_index >= options.shard_count) {
    throw OptionError("shard", "must be I/N with 0 <= I < N, got " + std::to_string(options.shard_index) + "/" +
                                   std::to_string(options.shard_count));
  }
  if (!ctx.has_audio()) throw Error(file_error(ctx.dir(), "the model has no audio tower: it cannot index audio"));
  if (options.inputs.empty()) throw UsageError("nothing to index: give folders, audio files or manifests");
  auto scan = library::scan_inputs(options.inputs);  // before touching DIR: a typo creates nothing

  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error(file_error(dir, "cannot create the library folder: " + ec.message()));
  remove_stale_temporaries(index_path(dir));
  remove_stale_temporaries(index_meta_path(dir));
  Db db(db_path(dir), true);
  library::Meta meta = library::init_meta(db, hash, fs::absolute(ctx.dir()).lexically_normal().string(), ctx.embed_dim());
  if (meta.model_hash != hash) throw Error(hash_mismatch(dir, meta, hash, ctx.dir()));

  LibraryBuildReport report;
  report.failed = scan.skipped;
  std::vector<std::string> files;
  for (std::size_t i = 0; i < scan.files.size(); ++i) {
    if (static_cast<int>(i % static_cast<std::size_t>(options.shard_count)) == options.shard_index) {
      files.push_back(scan.files[i]);
    }
  }
  report.found = static_cast<int64_t>(files.size());

  // What is there already: unchanged files are kept, files that are gone are dropped.
  const auto known = library::file_states(db);
  std::vector<std::string> todo;
  for (const auto& f : files) {
    const auto st = library::stat_file(f);
    auto it = known.find(f);
    if (it != known.end() && st && it->second.size == st->size && it->second.mtime_ns == st->mtime_ns) {
      ++report.unchanged;
    } else {
      todo.push_back(f);
    }
  }
  {
    Transaction tx(db);
    for (const auto& [path, state] : known) {
      if (!fs::exists(path, ec)) {
        library::remove_track(db, state.id);
        ++report.removed;
      }
    }
    if (report.removed > 0) library::bump_generation(db, meta);
    tx.commit();
  }

  library::Progress progress(options.progress, static_cast<int64_t>(todo.size()));
  const AudioEmbedOptions embed_options{ctx.params().audio_batch_windows, ctx.params().decode_threads, true};
  for (std::size_t start = 0; start < todo.size(); start += static_cast<std::size_t>(options.batch_tracks)) {
    const std::size_t end = std::min(todo.size(), start + static_cast<std::size_t>(options.batch_tracks));
    std::vector<AudioSource> sources;
    for (std::size_t i = start; i < end; ++i) sources.push_back(AudioSource::file(todo[i]));
    std::vector<library::NewTrack> batch;
    ctx.embed_audio(
        sources,
        [&](AudioEmbedding&& e) {
          if (!e.ok()) {
            report.failed.push_back(*e.failure);
            return;
          }
          try {
            batch.push_back(library::new_track(std::move(e)));
          } catch (const Error& err) {
            report.failed.push_back({e.path, FailureKind::unreadable, err.what()});
          }
        },
        embed_options);
    Transaction tx(db);
    for (auto& t : batch) {
      if (library::upsert_track(db, t)) {
        ++report.updated;
      } else {
        ++report.added;
      }
      progress.add_audio(t.track.duration_s);
    }
    library::bump_generation(db, meta);
    tx.commit();
    progress.done(static_cast<int64_t>(end), static_cast<int64_t>(report.failed.size() - scan.skipped.size()));
    if (options.stop && options.stop->load() != 0) {
      write_index(dir, db, meta);
      throw Interrupted(options.stop->load(), "index build interrupted after " + std::to_string(end) + " of " +
                                                  std::to_string(todo.size()) + " files (the library keeps them)");
    }
  }
  // A build that changed nothing keeps the saved index (at 1M tracks, IVF training takes minutes).
  if (saved_generation(dir) != meta.generation) write_index(dir, db, meta);
  report.tracks = library::track_count(db);
  return report;
}

int64_t Library::merge(const std::string& dir, const std::vector<std::string>& parts) {
  if (parts.empty()) throw UsageError("nothing to merge: name the part libraries");
  std::vector<std::shared_ptr<const Library>> libs;
  for (const auto& p : parts) libs.push_back(open(p));
  const auto& first = libs.front()->impl_->meta;
  for (const auto& l : libs) {
    if (l->impl_->meta.model_hash != first.model_hash) {
      throw Error("cannot merge " + l->dir() + " (model " + l->impl_->meta.model_hash + ") with " + libs.front()->dir() +
                  " (model " + first.model_hash + "): they were built with different models");
    }
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error(file_error(dir, "cannot create the library folder: " + ec.message()));
  Db db(db_path(dir), true);
  library::Meta meta = library::init_meta(db, first.model_hash, first.model_dir, first.embed_dim);
  if (meta.model_hash != first.model_hash) {
    throw Error(hash_mismatch(dir, meta, first.model_hash, first.model_dir));
  }
  for (const auto& l : libs) {
    std::lock_guard lock(l->impl_->mutex);
    Transaction tx(db);
    library::copy_tracks(*l->impl_->db, db, meta.embed_dim);
    library::bump_generation(db, meta);
    tx.commit();
  }
  write_index(dir, db, meta);
  return library::track_count(db);
}

}  // namespace mulan
