// What the adapters share: the skip log, writing the data set folder, path and string helpers.
#include <algorithm>
#include <cctype>
#include <filesystem>

#include "eval/adapter_util.h"
#include "mulan/eval_adapters.h"
#include "mulan/error.h"
#include "mulan/atomic_file.h"

namespace mulan::eval {
namespace fs = std::filesystem;
using nlohmann::ordered_json;

namespace detail {

std::string_view trim(std::string_view s) {
  const auto not_space = [](char c) { return c != ' ' && c != '\t' && c != '\r' && c != '\n'; };
  while (!s.empty() && !not_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && !not_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::size_t begin = 0;
  for (;;) {
    const std::size_t end = s.find(sep, begin);
    out.emplace_back(s.substr(begin, end == std::string_view::npos ? std::string_view::npos : end - begin));
    if (end == std::string_view::npos) return out;
    begin = end + 1;
  }
}

std::string unquote(std::string_view s) {
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') return std::string(s);
  s = s.substr(1, s.size() - 2);
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    out += s[i];
    if (s[i] == '"' && i + 1 < s.size() && s[i + 1] == '"') ++i;
  }
  return out;
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

fs::path canonical_dir(const std::string& dir) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::absolute(dir), ec);
  return ec ? fs::absolute(dir).lexically_normal() : p;
}

std::string relative_to(const fs::path& file, const fs::path& dir) {
  const fs::path rel = file.lexically_relative(dir);
  return rel.empty() ? file.generic_string() : rel.generic_string();
}

bool audio_present(const fs::path& path, bool* empty) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return false;
  const auto size = fs::file_size(path, ec);
  *empty = !ec && size == 0;
  return true;
}


}  // namespace detail

const std::vector<std::string>& audio_extensions() {
  // What the decoder (libsndfile) reads; m4a/aac are not among them.
  static const std::vector<std::string> kExt = {".wav", ".flac", ".mp3", ".ogg", ".oga", ".opus", ".aif", ".aiff"};
  return kExt;
}

void SkipLog::add(const std::string& reason, const std::string& example) {
  auto it = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.reason == reason; });
  if (it == entries_.end()) it = entries_.insert(entries_.end(), Entry{reason, 0, {}});
  ++it->count;
  if (it->examples.size() < 5) it->examples.push_back(example);
}

int64_t SkipLog::total() const {
  int64_t n = 0;
  for (const Entry& e : entries_) n += e.count;
  return n;
}

int64_t SkipLog::count(const std::string& reason) const {
  for (const Entry& e : entries_) {
    if (e.reason == reason) return e.count;
  }
  return 0;
}

std::string SkipLog::summary(std::size_t examples) const {
  std::string s;
  for (const Entry& e : entries_) {
    if (!s.empty()) s += ", ";
    s += e.reason + " " + std::to_string(e.count) + " (e.g. ";
    for (std::size_t i = 0; i < e.examples.size() && i < examples; ++i) s += (i ? ", '" : "'") + e.examples[i] + "'";
    s += ")";
  }
  return s;
}

ordered_json SkipLog::to_json() const {
  ordered_json j = ordered_json::object();
  for (const Entry& e : entries_) j[e.reason] = {{"count", e.count}, {"examples", e.examples}};
  return j;
}

namespace {

std::string dump_line(const ordered_json& j) {
  return j.dump(-1, ' ', false, ordered_json::error_handler_t::replace) + "\n";
}

std::string manifest_text(const std::vector<ManifestRow>& rows) {
  std::string out;
  for (const ManifestRow& r : rows) {
    ordered_json j;
    j["id"] = r.id;
    j["audio"] = r.audio;
    ordered_json texts = ordered_json::object();
    for (const auto& [source, list] : r.texts) {
      if (!list.empty()) texts[source] = list;
    }
    j["texts"] = texts;
    j["tags"] = r.tags;
    if (!r.labels.empty()) j["labels"] = r.labels;
    if (!r.split.empty()) j["split"] = r.split;
    out += dump_line(j);
  }
  return out;
}

std::string queries_text(const std::vector<QueryRow>& queries) {
  std::string out;
  for (const QueryRow& q : queries) out += dump_line(ordered_json{{"id", q.id}, {"text", q.text}, {"targets", q.targets}});
  return out;
}

}  // namespace

std::string write_dataset(const std::string& out_dir, const AdapterResult& r) {
  std::map<std::string, int64_t> splits;
  for (const ManifestRow& row : r.rows) ++splits[row.split.empty() ? "none" : row.split];
  if (r.rows.empty()) {
    throw Error("mulan dataset " + r.adapter + ": no row to write, every one was skipped: " + r.skipped.summary());
  }
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) throw Error(file_error(out_dir, "cannot create the output folder: " + ec.message()));
  const fs::path dir(out_dir);

  write_file_atomic((dir / "manifest.jsonl").string(), manifest_text(r.rows));
  if (!r.tags.empty()) write_file_atomic((dir / "tags.txt").string(), detail::join(r.tags, "\n") + "\n");
  if (r.write_queries) write_file_atomic((dir / "queries.jsonl").string(), queries_text(r.queries));

  ordered_json info;
  info["name"] = r.dataset;
  info["adapter"] = r.adapter;
  info["created"] = detail::utc_now();
  for (const auto& [k, v] : r.info.items()) info[k] = v;
  info["rows"] = r.rows.size();
  info["splits"] = splits;
  if (!r.tags.empty()) info["tags"] = r.tags.size();
  if (r.write_queries) info["queries"] = r.queries.size();
  info["skipped"] = r.skipped.to_json();
  write_file_atomic((dir / "dataset.json").string(), info.dump(2, ' ', false, ordered_json::error_handler_t::replace) + "\n");

  std::string s = "mulan dataset " + r.adapter + ": " + r.dataset + ": wrote " + std::to_string(r.rows.size()) + " rows";
  if (!(splits.size() == 1 && splits.count("none"))) {
    std::string parts;
    for (const char* name : {"train", "val", "test", "none"}) {
      if (auto it = splits.find(name); it != splits.end()) parts += (parts.empty() ? "" : ", ") + it->first + " " + std::to_string(it->second);
    }
    s += " (" + parts + ")";
  }
  if (!r.tags.empty()) s += ", " + std::to_string(r.tags.size()) + " tags";
  if (r.write_queries) s += ", " + std::to_string(r.queries.size()) + " queries";
  s += " to " + out_dir + "; skipped " + std::to_string(r.skipped.total());
  if (r.skipped.total() > 0) s += ": " + r.skipped.summary();
  return s;
}

}  // namespace mulan::eval
