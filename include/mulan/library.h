// A music library: a user's recordings embedded once and searchable by text or by sound.
//
// A library is a folder (docs/library.md):
//   library.sqlite   one row per track: path, size, mtime, duration, the file's own tags, the
//                    track embedding and every window's embedding with its start time (SQLite,
//                    WAL; the model's hash and directory in its meta table)
//   vectors.faiss    the track embeddings as a FAISS index, written after each build and
//                    rebuilt from library.sqlite whenever it is missing or stale
//
//   auto lib = mulan::Library::open("my-library");                 // read-only, for queries
//   auto ctx = lib->load_model();                                   // the model it was built with
//   for (auto& hit : lib->search(*ctx, "sad piano in a minor key", 10)) ...
//
// Thread safety: every const member function may be called from many threads at once.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mulan/error.h"
#include "mulan/params.h"
#include "mulan/vector_index.h"

namespace mulan {

class Context;

struct TrackTags {
  std::string title, artist, album, genre;  // "" when the file carries none
};

struct Track {
  int64_t id = 0;  // stable: a changed file keeps its id, a removed one's id is never reused
  std::string path;  // absolute
  int64_t size = 0;
  int64_t mtime_ns = 0;
  double duration_s = 0;
  TrackTags tags;
};

struct LibraryHit {
  Track track;
  double score = 0;    // cosine of the query with the track's embedding
  double start_s = 0;  // start of the track's window that matches the query best
};

struct LibraryInfo {
  std::string dir;
  int64_t tracks = 0, windows = 0, embed_dim = 0;
  double total_duration_s = 0;
  std::string model_hash, model_dir;
  std::string index_kind;  // "flat" (exact) or "ivf-flat:NLIST" (approximate)
  int64_t db_bytes = 0, index_bytes = 0;
  std::string created, updated;  // UTC, ISO 8601
};

struct LibraryBuildOptions {
  std::vector<std::string> inputs;  // folders (scanned recursively), audio files, manifests (.jsonl)
  int batch_tracks = 16;            // tracks embedded and committed together (what a kill can lose)
  int shard_index = 0, shard_count = 1;  // embed only the files of shard I of N (sorted paths, every Nth)
  std::function<void(const std::string&)> progress;  // one line at a time ("" = none)
  const std::atomic<int>* stop = nullptr;  // set: commit the batch in hand and throw Interrupted
};

struct LibraryBuildReport {
  int64_t found = 0;      // audio files the inputs name (this shard's)
  int64_t added = 0, updated = 0, unchanged = 0, removed = 0;
  std::vector<Failure> failed;  // files that could not be embedded (named, with why)
  int64_t tracks = 0;           // in the library afterwards
};

// The audio files that inputs name: folders scanned recursively for every extension libsndfile
// reads (audio.h readable_extensions), audio files as given, manifests (.jsonl/.json) by their
// rows; absolute, sorted, without duplicates. Manifest rows and folders that cannot be used are
// added to `skipped`. Throws mulan::FileNotFound for an input that does not exist.
std::vector<std::string> find_audio_files(const std::vector<std::string>& inputs, std::vector<Failure>* skipped = nullptr);

class Library {
 public:
  // Opens an existing library for queries. Throws mulan::FileNotFound when DIR has none, and
  // mulan::Error naming the file when it is not a mulan library or is damaged.
  static std::shared_ptr<const Library> open(const std::string& dir);

  // Creates DIR (or opens the library in it) and brings it up to date with the inputs using
  // ctx, whose model's hash must be the library's (mulan::Error naming both hashes otherwise):
  // new and changed files are embedded, files that no longer exist are dropped, unchanged ones
  // are kept. Each batch is one transaction: an interrupted build keeps every batch before.
  static LibraryBuildReport build(const std::string& dir, const Context& ctx, const std::string& model_hash,
                                  const LibraryBuildOptions& options);

  // Merges the tracks of the libraries in `parts` (built with the same model, by --shard) into
  // DIR, creating it; a track in several parts keeps the newest. Returns the track count.
  static int64_t merge(const std::string& dir, const std::vector<std::string>& parts);

  // Loads the model the library was built with (its recorded directory, or model_dir when
  // given) and checks that its hash is the library's: mulan::Error naming both hashes if not.
  std::shared_ptr<const Context> load_model(const std::string& model_dir = "",
                                            const ContextParams& params = default_params()) const;
  // Throws mulan::Error naming both hashes when `hash` is not the library's model.
  void check_model(const std::string& hash, const std::string& model_dir) const;

  LibraryInfo info() const;
  int64_t size() const;
  int64_t embed_dim() const;

  // The tracks most similar to a query vector [embed_dim] (any length; normalised here), best
  // first, with their best window's start; `exclude` leaves one track id out.
  std::vector<LibraryHit> nearest(const std::vector<float>& query, int64_t k, int64_t exclude = -1) const;
  // nearest() of the text's embedding by ctx (the library's model).
  std::vector<LibraryHit> search(const Context& ctx, const std::string& text, int64_t k) const;
  // Tracks that sound like track `id` (mulan::NotFound-style Error when there is none).
  std::vector<LibraryHit> similar(int64_t id, int64_t k) const;

  // A track by id; mulan::FileNotFound naming the id when the library has none.
  Track track(int64_t id) const;
  bool has_track(int64_t id) const;
  std::vector<float> embedding(int64_t id) const;  // [embed_dim], unit length
  // Every track, in id order, and every embedding as one row-major [tracks, embed_dim] block.
  std::vector<Track> tracks() const;
  std::vector<float> embeddings() const;

  // Writes OUT/embeddings.npy (float32 [N, d]), OUT/ids.npy (int64 [N]) and OUT/tracks.jsonl
  // (one track a line, in the same order), for users who move the vectors elsewhere.
  void export_to(const std::string& out_dir) const;

  const std::string& dir() const;
  ~Library();
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;

  struct Impl;

 private:
  explicit Library(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mulan
