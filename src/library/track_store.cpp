#include "library/track_store.h"

#include <sys/stat.h>

#include <cstring>
#include <filesystem>

#include "mulan/audio.h"
#include "mulan/error.h"
#include "util/time_text.h"

namespace mulan::library {

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tracks (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  path TEXT NOT NULL UNIQUE,
  size INTEGER NOT NULL,
  mtime_ns INTEGER NOT NULL,
  duration_s REAL NOT NULL,
  title TEXT NOT NULL DEFAULT '',
  artist TEXT NOT NULL DEFAULT '',
  album TEXT NOT NULL DEFAULT '',
  genre TEXT NOT NULL DEFAULT '',
  n_windows INTEGER NOT NULL,
  embedding BLOB NOT NULL,
  windows BLOB NOT NULL,
  starts BLOB NOT NULL
);
)sql";

constexpr const char* kTrackColumns = "id, path, size, mtime_ns, duration_s, title, artist, album, genre";


void set_meta(const Db& db, const char* key, const std::string& value) {
  Stmt(db, "INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
      .bind(1, std::string_view(key))
      .bind(2, value)
      .step();
}

Track track_from(const Stmt& s) {
  Track t;
  t.id = s.integer(0);
  t.path = s.text(1);
  t.size = s.integer(2);
  t.mtime_ns = s.integer(3);
  t.duration_s = s.real(4);
  t.tags = {s.text(5), s.text(6), s.text(7), s.text(8)};
  return t;
}

template <typename T>
std::vector<T> from_blob(std::string_view b, std::size_t count, const Db& db, int64_t id) {
  if (b.size() != count * sizeof(T)) {
    throw Error(file_error(db.path(), "track " + std::to_string(id) + " has a damaged embedding (" +
                                          std::to_string(b.size()) + " bytes, expected " +
                                          std::to_string(count * sizeof(T)) + ")"));
  }
  std::vector<T> out(count);
  if (count > 0) std::memcpy(out.data(), b.data(), b.size());
  return out;
}

}  // namespace

Meta read_meta(const Db& db) {
  std::map<std::string, std::string> kv;
  try {
    Stmt s(db, "SELECT key, value FROM meta");
    while (s.step()) kv[s.text(0)] = s.text(1);
  } catch (const Error&) {
    throw Error(file_error(db.path(), "not a mulan library database (no meta table)"));
  }
  if (kv["format"] != kFormat) {
    throw Error(file_error(db.path(), "not a mulan library of this version (format '" + printable(kv["format"]) +
                                          "', expected '" + kFormat + "')"));
  }
  Meta m;
  m.model_hash = kv["model_hash"];
  m.model_dir = kv["model_dir"];
  m.created = kv["created"];
  m.updated = kv["updated"];
  try {
    m.embed_dim = std::stoll(kv["embed_dim"]);
    m.generation = std::stoll(kv["generation"]);
  } catch (const std::exception&) {
    throw Error(file_error(db.path(), "damaged meta table (embed_dim or generation is not a number)"));
  }
  if (m.embed_dim < 1 || m.model_hash.empty()) throw Error(file_error(db.path(), "damaged meta table"));
  return m;
}

Meta init_meta(const Db& db, const std::string& hash, const std::string& model_dir, int64_t embed_dim) {
  Transaction tx(db);
  db.exec(kSchema);
  bool fresh = false;
  {
    Stmt s(db, "SELECT COUNT(*) FROM meta");
    s.step();
    fresh = s.integer(0) == 0;
  }
  if (fresh) {
    set_meta(db, "format", kFormat);
    set_meta(db, "model_hash", hash);
    set_meta(db, "model_dir", model_dir);
    set_meta(db, "embed_dim", std::to_string(embed_dim));
    set_meta(db, "generation", "0");
    set_meta(db, "created", util::utc_now_iso8601());
    set_meta(db, "updated", util::utc_now_iso8601());
  }
  tx.commit();
  return read_meta(db);
}

void bump_generation(const Db& db, Meta& meta) {
  ++meta.generation;
  meta.updated = util::utc_now_iso8601();
  set_meta(db, "generation", std::to_string(meta.generation));
  set_meta(db, "updated", meta.updated);
}

std::map<std::string, FileState> file_states(const Db& db) {
  std::map<std::string, FileState> out;
  Stmt s(db, "SELECT path, id, size, mtime_ns FROM tracks");
  while (s.step()) out[s.text(0)] = {s.integer(1), s.integer(2), s.integer(3)};
  return out;
}

std::optional<FileState> stat_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return FileState{0, static_cast<int64_t>(st.st_size),
                   static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
}

NewTrack new_track(AudioEmbedding&& e) {
  NewTrack t;
  const auto st = stat_file(e.path);
  if (!st) throw Error(file_error(e.path, "not a regular file"));
  const auto info = audio::probe(e.path);
  t.track.path = e.path;
  t.track.size = st->size;
  t.track.mtime_ns = st->mtime_ns;
  t.track.duration_s = info.duration_s;
  t.track.tags = {info.title, info.artist, info.album, info.genre};
  const at::Tensor emb = e.embedding.contiguous().to(at::kFloat);
  const at::Tensor win = e.windows.contiguous().to(at::kFloat);
  t.embedding.assign(emb.data_ptr<float>(), emb.data_ptr<float>() + emb.numel());
  t.windows.assign(win.data_ptr<float>(), win.data_ptr<float>() + win.numel());
  t.starts = std::move(e.starts_s);
  return t;
}

bool upsert_track(const Db& db, const NewTrack& t) {
  bool existed = false;
  {
    Stmt s(db, "SELECT 1 FROM tracks WHERE path = ?");
    s.bind(1, t.track.path);
    existed = s.step();
  }
  Stmt s(db,
         "INSERT INTO tracks(path, size, mtime_ns, duration_s, title, artist, album, genre, n_windows, embedding, "
         "windows, starts) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(path) DO UPDATE SET "
         "size = excluded.size, mtime_ns = excluded.mtime_ns, duration_s = excluded.duration_s, title = excluded.title, "
         "artist = excluded.artist, album = excluded.album, genre = excluded.genre, n_windows = excluded.n_windows, "
         "embedding = excluded.embedding, windows = excluded.windows, starts = excluded.starts");
  s.bind(1, t.track.path)
      .bind(2, t.track.size)
      .bind(3, t.track.mtime_ns)
      .bind(4, t.track.duration_s)
      .bind(5, t.track.tags.title)
      .bind(6, t.track.tags.artist)
      .bind(7, t.track.tags.album)
      .bind(8, t.track.tags.genre)
      .bind(9, static_cast<int64_t>(t.starts.size()))
      .bind_blob(10, t.embedding.data(), t.embedding.size() * sizeof(float))
      .bind_blob(11, t.windows.data(), t.windows.size() * sizeof(float))
      .bind_blob(12, t.starts.data(), t.starts.size() * sizeof(double));
  s.step();
  return existed;
}

void remove_track(const Db& db, int64_t id) { Stmt(db, "DELETE FROM tracks WHERE id = ?").bind(1, id).step(); }

int64_t track_count(const Db& db) {
  Stmt s(db, "SELECT COUNT(*) FROM tracks");
  s.step();
  return s.integer(0);
}

std::optional<Track> find_track(const Db& db, int64_t id) {
  Stmt s(db, (std::string("SELECT ") + kTrackColumns + " FROM tracks WHERE id = ?").c_str());
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return track_from(s);
}

namespace {
// The vectors of the row in hand, from column `at`: n_windows, embedding, windows, starts.
TrackVectors vectors_from(const Stmt& s, int at, const Db& db, int64_t id, int64_t dim) {
  const auto k = static_cast<std::size_t>(s.integer(at));
  TrackVectors v;
  v.embedding = from_blob<float>(s.blob(at + 1), static_cast<std::size_t>(dim), db, id);
  v.windows = from_blob<float>(s.blob(at + 2), k * static_cast<std::size_t>(dim), db, id);
  v.starts = from_blob<double>(s.blob(at + 3), k, db, id);
  return v;
}
}  // namespace

std::optional<TrackVectors> track_vectors(const Db& db, int64_t id, int64_t dim) {
  Stmt s(db, "SELECT n_windows, embedding, windows, starts FROM tracks WHERE id = ?");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return vectors_from(s, 0, db, id, dim);
}

std::optional<std::pair<Track, TrackVectors>> find_track_and_vectors(const Db& db, int64_t id, int64_t dim) {
  Stmt s(db, (std::string("SELECT ") + kTrackColumns + ", n_windows, embedding, windows, starts FROM tracks WHERE id = ?").c_str());
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return std::pair{track_from(s), vectors_from(s, 9, db, id, dim)};
}

std::vector<Track> all_tracks(const Db& db) {
  std::vector<Track> out;
  Stmt s(db, (std::string("SELECT ") + kTrackColumns + " FROM tracks ORDER BY id").c_str());
  while (s.step()) out.push_back(track_from(s));
  return out;
}

void for_each_embedding(const Db& db, int64_t dim, const std::function<void(int64_t, const float*)>& f) {
  Stmt s(db, "SELECT id, embedding FROM tracks ORDER BY id");
  while (s.step()) {
    const auto v = from_blob<float>(s.blob(1), static_cast<std::size_t>(dim), db, s.integer(0));
    f(s.integer(0), v.data());
  }
}

void copy_tracks(const Db& from, const Db& to, int64_t dim) {
  const auto existing = file_states(to);
  for (const auto& t : all_tracks(from)) {
    auto it = existing.find(t.path);
    if (it != existing.end() && it->second.mtime_ns >= t.mtime_ns) continue;
    auto v = track_vectors(from, t.id, dim);
    NewTrack n{t, std::move(v->embedding), std::move(v->windows), std::move(v->starts)};
    upsert_track(to, n);
  }
}

nlohmann::json track_json(const Track& t) {
  nlohmann::json tags = nlohmann::json::object();
  if (!t.tags.title.empty()) tags["title"] = t.tags.title;
  if (!t.tags.artist.empty()) tags["artist"] = t.tags.artist;
  if (!t.tags.album.empty()) tags["album"] = t.tags.album;
  if (!t.tags.genre.empty()) tags["genre"] = t.tags.genre;
  return {{"id", t.id},
          {"path", t.path},
          {"name", std::filesystem::path(t.path).filename().string()},
          {"size", t.size},
          {"mtime_ns", t.mtime_ns},
          {"duration_s", t.duration_s},
          {"tags", tags}};
}

}  // namespace mulan::library
