// Playlists -> a retrieval manifest and queries: each playlist's title (and description) is a
// query whose targets are its tracks.
//
//   [{"title": "late night jazz", "description": "...", "tracks": ["id1", "id2"]}, ...]
//   or {"playlists": [...]}; "track_ids" is accepted for "tracks", numbers for ids.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <unordered_map>

#include "eval/adapter_util.h"
#include "mulan/eval_adapters.h"
#include "mulan/error.h"

namespace mulan::eval {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Playlist {
  std::string title, description;
  std::vector<std::string> tracks;
};

std::string optional_string(const json& p, const char* field, const std::string& where) {
  auto it = p.find(field);
  if (it == p.end() || it->is_null()) return "";
  if (!it->is_string()) throw Error(where + ": field '" + field + "' must be a string");
  return std::string(detail::trim(it->get<std::string>()));
}

std::vector<Playlist> read_playlists(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(file_error(path, "cannot open the playlists"));
  json j;
  try {
    j = json::parse(in);
  } catch (const json::parse_error& e) {
    throw Error(file_error(path, std::string("invalid JSON: ") + e.what()));
  }
  if (j.is_object() && j.contains("playlists")) j = j["playlists"];
  if (!j.is_array()) throw Error(file_error(path, "expected a JSON array of playlists or {\"playlists\": [...]}"));
  std::vector<Playlist> out;
  for (std::size_t i = 0; i < j.size(); ++i) {
    const json& p = j[i];
    const std::string where = file_error(path, "playlist " + std::to_string(i + 1));
    if (!p.is_object()) throw Error(where + ": expected an object with \"title\" and \"tracks\"");
    Playlist pl;
    pl.title = optional_string(p, "title", where);
    pl.description = optional_string(p, "description", where);
    if (pl.title.empty()) throw Error(where + ": field 'title' must be a non-empty string");
    const char* field = p.contains("tracks") ? "tracks" : p.contains("track_ids") ? "track_ids" : nullptr;
    if (!field) throw Error(where + ": no 'tracks' (or 'track_ids') list");
    const json& tracks = p[field];
    if (!tracks.is_array()) throw Error(where + ": field '" + field + "' must be a list of track ids");
    for (const json& t : tracks) {
      std::string id;
      if (t.is_string()) {
        id = std::string(detail::trim(t.get<std::string>()));
      } else if (t.is_number_integer()) {
        id = t.dump();
      } else {
        throw Error(where + ": field '" + field + "' must hold track ids (strings or integers), got " + t.dump());
      }
      if (id.empty()) throw Error(where + ": an empty track id");
      if (id.find('/') != std::string::npos || id == "." || id == "..") {
        throw Error(where + ": track id '" + id + "' is not a file name (TRACK_DIR/<id>.<extension>)");
      }
      pl.tracks.push_back(std::move(id));
    }
    out.push_back(std::move(pl));
  }
  return out;
}

}  // namespace

AdapterResult build_playlists(const PlaylistOptions& o) {
  const std::vector<Playlist> playlists = read_playlists(o.playlists);
  std::error_code ec;
  if (!fs::is_directory(o.track_dir, ec)) throw Error(file_error(o.track_dir, "not a folder (the tracks folder)"));
  const fs::path tracks = detail::canonical_dir(o.track_dir);
  const fs::path out = detail::canonical_dir(o.out_dir);

  AdapterResult r;
  r.adapter = "playlists";
  r.dataset = o.name;
  r.write_queries = true;
  r.info["sources"] = {{"playlists", o.playlists}, {"tracks", o.track_dir}};
  r.info["rule"] = "one query per playlist title and one per non-empty description (ids N-title, N-description, N = "
                   "the playlist's 1-based position in the file); targets: its tracks found as TRACK_DIR/<id>.<audio "
                   "extension>; texts.pl of a track: the titles of the playlists that hold it";

  // Resolve each track id once: its row index, or -1 when no audio file exists.
  std::unordered_map<std::string, long> row_of;
  const auto resolve = [&](const std::string& id) -> long {
    if (auto it = row_of.find(id); it != row_of.end()) return it->second;
    long index = -1;
    for (const std::string& ext : audio_extensions()) {
      const fs::path p = tracks / (id + ext);
      bool empty = false;
      if (detail::audio_present(p, &empty) && !empty) {
        ManifestRow row;
        row.id = id;
        row.audio = detail::relative_to(p, out);
        index = static_cast<long>(r.rows.size());
        r.rows.push_back(std::move(row));
        break;
      }
    }
    if (index < 0) r.skipped.add("track missing", id);
    row_of.emplace(id, index);
    return index;
  };

  for (std::size_t i = 0; i < playlists.size(); ++i) {
    const Playlist& pl = playlists[i];
    std::vector<std::string> targets;
    std::set<std::string> seen;
    for (const std::string& id : pl.tracks) {
      const long row = resolve(id);
      if (row < 0 || !seen.insert(id).second) continue;
      targets.push_back(id);
      auto& titles = r.rows[static_cast<std::size_t>(row)].texts["pl"];
      if (std::find(titles.begin(), titles.end(), pl.title) == titles.end()) titles.push_back(pl.title);
    }
    const std::string n = std::to_string(i + 1);
    if (targets.empty()) {
      r.skipped.add("playlist without any track present", n + " '" + pl.title + "'");
      continue;
    }
    r.queries.push_back({n + "-title", pl.title, targets});
    if (!pl.description.empty()) r.queries.push_back({n + "-description", pl.description, targets});
  }
  r.info["playlists"] = playlists.size();
  return r;
}

}  // namespace mulan::eval
