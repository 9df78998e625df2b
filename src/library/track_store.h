// The library's tables (library.sqlite): meta (format, model hash and directory, embedding size,
// generation, dates) and tracks (one row per file: its identity, the file's tags, the track
// embedding and its window embeddings). docs/library.md documents the schema.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "library/sqlite.h"
#include "mulan/audio_embed.h"
#include "mulan/library.h"

namespace mulan::library {

inline constexpr const char* kDbFile = "library.sqlite";
inline constexpr const char* kIndexFile = "vectors.faiss";
inline constexpr const char* kFormat = "mulan-library-1";

struct Meta {
  std::string model_hash, model_dir, created, updated;
  int64_t embed_dim = 0;
  int64_t generation = 0;  // +1 at every committed change of the tracks
};

// Creates the tables when missing and records the model on a new library; returns the meta
// (whose model_hash may differ from `hash` on an existing library: the caller refuses).
Meta init_meta(const Db& db, const std::string& hash, const std::string& model_dir, int64_t embed_dim);
// Throws mulan::Error naming the file when it is not a library of this format.
Meta read_meta(const Db& db);
void bump_generation(const Db& db, Meta& meta);  // inside the caller's transaction

struct FileState {
  int64_t id = 0, size = 0, mtime_ns = 0;
};
std::map<std::string, FileState> file_states(const Db& db);
std::optional<FileState> stat_file(const std::string& path);  // size and mtime; nullopt when it cannot be read

struct NewTrack {
  Track track;
  std::vector<float> embedding;  // [d]
  std::vector<float> windows;    // [K, d]
  std::vector<double> starts;    // [K]
};
// The row of an embedded file: its stat, duration and tags (audio::probe). Throws mulan::Error.
NewTrack new_track(AudioEmbedding&& e);
// Inserts, or updates the row of the same path (keeping its id); true when it updated.
bool upsert_track(const Db& db, const NewTrack& t);
void remove_track(const Db& db, int64_t id);
int64_t track_count(const Db& db);

std::optional<Track> find_track(const Db& db, int64_t id);
struct TrackVectors {
  std::vector<float> embedding, windows;
  std::vector<double> starts;
};
std::optional<TrackVectors> track_vectors(const Db& db, int64_t id, int64_t dim);
// Both of one track in one query (a search hit needs both).
std::optional<std::pair<Track, TrackVectors>> find_track_and_vectors(const Db& db, int64_t id, int64_t dim);
std::vector<Track> all_tracks(const Db& db);
// Every track's embedding in id order; throws mulan::Error naming the row when one is damaged.
void for_each_embedding(const Db& db, int64_t dim, const std::function<void(int64_t, const float*)>& f);
// Copies every track of `from` into `to` (the newer file wins where both hold a path).
void copy_tracks(const Db& from, const Db& to, int64_t dim);

// {"id", "path", "name", "size", "mtime_ns", "duration_s", "tags": {...present ones}}
nlohmann::json track_json(const Track& t);

}  // namespace mulan::library
