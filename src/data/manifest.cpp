#include "mulan/manifest.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "mulan/error.h"

namespace mulan::data {
namespace fs = std::filesystem;
using nlohmann::json;

std::size_t Recording::text_count() const {
  std::size_t n = 0;
  for (const auto& [source, list] : texts) n += list.size();
  return n;
}

std::string Manifest::bad_summary(std::size_t detail) const {
  if (bad.empty()) return "";
  std::string s = std::to_string(bad.size()) + " bad row" + (bad.size() == 1 ? "" : "s") + " skipped in " + path;
  for (std::size_t i = 0; i < bad.size() && i < detail; ++i) s += (i ? "; " : ": ") + bad[i].where + ": " + bad[i].reason;
  if (bad.size() > detail) s += "; and " + std::to_string(bad.size() - detail) + " more";
  return s;
}

namespace {

std::vector<std::string> string_list(const json& row, const char* field) {
  std::vector<std::string> out;
  auto it = row.find(field);
  if (it == row.end() || it->is_null()) return out;
  if (!it->is_array()) throw Error(std::string("field '") + field + "' must be a list of strings");
  for (const json& v : *it) {
    if (!v.is_string()) throw Error(std::string("field '") + field + "' must be a list of strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

// One manifest line -> a Recording; throws Error(reason) for a bad row.
Recording parse_row(const std::string& text, const fs::path& base, const ManifestOptions& options) {
  json row;
  try {
    row = json::parse(text);
  } catch (const json::parse_error& e) {
    throw Error(std::string("invalid JSON (") + e.what() + ")");
  }
  if (!row.is_object()) throw Error("a row must be a JSON object");
  Recording r;
  auto id = row.find("id");
  if (id == row.end() || !id->is_string() || id->get<std::string>().empty()) throw Error("field 'id' must be a non-empty string");
  r.id = id->get<std::string>();
  auto audio = row.find("audio");
  if (audio == row.end() || !audio->is_string() || audio->get<std::string>().empty()) {
    throw Error("field 'audio' must be a non-empty string");
  }
  const fs::path p(audio->get<std::string>());
  r.audio = (p.is_absolute() ? p : base / p).lexically_normal().string();
  auto texts = row.find(options.texts_field);
  if (texts == row.end() && options.texts_field != "texts") texts = row.find("texts");
  if (texts != row.end() && !texts->is_null()) {
    const std::string field = texts.key();
    if (!texts->is_object()) throw Error("field '" + field + "' must be an object of source -> list of strings");
    for (const auto& [source, list] : texts->items()) {
      if (!list.is_array()) throw Error("field '" + field + "." + source + "' must be a list of strings");
      std::vector<std::string> kept;
      for (const json& t : list) {
        if (!t.is_string()) throw Error("field '" + field + "." + source + "' must be a list of strings");
        if (!t.get<std::string>().empty()) kept.push_back(t.get<std::string>());
      }
      if (!kept.empty()) r.texts[source] = std::move(kept);
    }
  }
  r.tags = string_list(row, "tags");
  r.labels = string_list(row, "labels");
  if (auto split = row.find("split"); split != row.end() && !split->is_null()) {
    if (!split->is_string()) throw Error("field 'split' must be a string");
    r.split = split->get<std::string>();
  }
  if (options.require_texts && r.text_count() == 0) throw Error("no texts");
  if (options.check_audio_exists) {
    std::error_code ec;
    if (!fs::is_regular_file(r.audio, ec)) throw Error("audio file not found: " + r.audio);
  }
  return r;
}

}  // namespace

namespace {
// What kind of failure a row's error is, from the check that raised it.
FailureKind row_failure_kind(const std::string& reason) {
  if (reason.starts_with("duplicate id")) return FailureKind::duplicate;
  if (reason == "no texts" || reason.find("is empty") != std::string::npos) return FailureKind::empty;
  if (reason.find("not found") != std::string::npos || reason.find("no such file") != std::string::npos) {
    return FailureKind::missing;
  }
  if (reason.find("too long") != std::string::npos || reason.find("too many") != std::string::npos) return FailureKind::too_large;
  return FailureKind::malformed;
}
}  // namespace

Manifest read_manifest(const std::string& path, const ManifestOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(file_error(path, "cannot open manifest"));
  if (fs::is_directory(path)) throw Error(file_error(path, "is a directory, expected a manifest.jsonl"));
  Manifest m;
  m.path = path;
  const fs::path base = fs::path(path).parent_path();
  std::set<std::string> ids;
  std::string line;
  int64_t n = 0, rows = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    ++rows;
    const std::string where = path + ":" + std::to_string(n);
    try {
      Recording r = parse_row(line, base, options);
      r.line = n;
      r.where = where;
      if (!options.split.empty() && r.split != options.split) {
        ++m.other_split;
        continue;
      }
      if (!ids.insert(r.id).second) throw Error("duplicate id '" + r.id + "'");
      m.rows.push_back(std::move(r));
    } catch (const Error& e) {
      m.bad.push_back({where, row_failure_kind(e.what()), e.what()});
    }
  }
  if (in.bad()) throw Error(file_error(path, "read error"));
  if (rows == 0) throw Error(file_error(path, "manifest has no rows"));
  if (static_cast<double>(m.bad.size()) > options.max_bad_fraction * static_cast<double>(rows)) {
    throw Error(file_error(path, "too many bad rows (" + std::to_string(m.bad.size()) + " of " + std::to_string(rows) +
                                     "), first: " + m.bad.front().where + ": " + m.bad.front().reason));
  }
  return m;
}

std::vector<Query> read_queries(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(file_error(path, "cannot open queries file"));
  std::vector<Query> out;
  std::string line;
  int64_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    const std::string where = path + ":" + std::to_string(n);
    try {
      const json q = json::parse(line);
      if (!q.is_object()) throw Error("a query must be a JSON object");
      Query query;
      query.line = n;
      auto text = q.find("text");
      if (text == q.end() || !text->is_string() || text->get<std::string>().empty()) {
        throw Error("field 'text' must be a non-empty string");
      }
      query.text = text->get<std::string>();
      if (auto id = q.find("id"); id != q.end() && id->is_string()) query.id = id->get<std::string>();
      if (query.id.empty()) query.id = "line" + std::to_string(n);
      query.targets = string_list(q, "targets");
      if (query.targets.empty()) throw Error("field 'targets' must list at least one recording id");
      out.push_back(std::move(query));
    } catch (const json::parse_error& e) {
      throw Error(where + ": invalid JSON (" + e.what() + ")");
    } catch (const Error& e) {
      throw Error(where + ": " + e.what());
    }
  }
  if (out.empty()) throw Error(file_error(path, "no queries"));
  return out;
}

}  // namespace mulan::data
