// AudioSet: segment CSVs + ontology.json -> Gen-25 / Mu-141 manifests.
//
// Segment CSV, as distributed:
//   # Segments csv created Sun Mar  5 10:54:31 2017
//   # num_ytids=20371, num_segs=20371, num_unique_labels=527, num_positive_labels=51804
//   # YTID, start_seconds, end_seconds, positive_labels
//   --PJHxphWEs, 30.000, 40.000, "/m/09x0r,/t/dd00088"
#include <algorithm>
#include <charconv>
#include <cmath>
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

std::vector<std::string> string_array(const json& e, const char* field, const std::string& where) {
  std::vector<std::string> out;
  auto it = e.find(field);
  if (it == e.end() || it->is_null()) return out;
  if (!it->is_array()) throw Error(where + ": field '" + field + "' must be a list of strings");
  for (const json& v : *it) {
    if (!v.is_string()) throw Error(where + ": field '" + field + "' must be a list of strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

bool parse_number(std::string_view s, double* v) {
  if (s.empty()) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && end == s.data() + s.size() && std::isfinite(*v);
}

// The split of a segment CSV: --split-of (by the path as given or its file name), else "test"
// for a file whose name contains "eval", else "train".
std::string split_of(const std::string& csv, const std::map<std::string, std::string>& overrides) {
  const std::string name = fs::path(csv).filename().string();
  for (const std::string& key : {csv, name}) {
    if (auto it = overrides.find(key); it != overrides.end()) return it->second;
  }
  return detail::lower(name).find("eval") != std::string::npos ? "test" : "train";
}

// Audio files under DIR (recursively) by file stem; of two files with one stem the smaller path wins.
std::unordered_map<std::string, fs::path> index_audio(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw Error(file_error(dir.string(), "not a folder (the audio folder)"));
  std::unordered_map<std::string, fs::path> index;
  const auto& exts = audio_extensions();
  for (fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    const fs::path& p = it->path();
    if (std::find(exts.begin(), exts.end(), detail::lower(p.extension().string())) == exts.end()) continue;
    auto [slot, inserted] = index.emplace(p.stem().string(), p);
    if (!inserted && p < slot->second) slot->second = p;
  }
  if (ec) throw Error(file_error(dir.string(), "cannot list the folder: " + ec.message()));
  return index;
}

}  // namespace

const OntologyClass& Ontology::find_by_name(const std::string& name, const std::string& path) const {
  const OntologyClass* found = nullptr;
  for (const OntologyClass& c : classes) {
    if (c.name != name) continue;
    if (found) throw Error(file_error(path, "two classes are named \"" + name + "\" (" + found->id + ", " + c.id + ")"));
    found = &c;
  }
  if (!found) throw Error(file_error(path, "no class named \"" + name + "\"; is this the AudioSet ontology?"));
  return *found;
}

Ontology read_ontology(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(file_error(path, "cannot open the ontology"));
  json j;
  try {
    j = json::parse(in);
  } catch (const json::parse_error& e) {
    throw Error(file_error(path, std::string("invalid JSON: ") + e.what()));
  }
  if (!j.is_array()) throw Error(file_error(path, "expected a JSON array of classes ({\"id\", \"name\", \"child_ids\"})"));
  Ontology o;
  for (std::size_t i = 0; i < j.size(); ++i) {
    const json& e = j[i];
    const std::string where = file_error(path, "entry " + std::to_string(i + 1));
    if (!e.is_object()) throw Error(where + ": expected an object");
    OntologyClass c;
    for (auto [field, out] : {std::pair{"id", &c.id}, std::pair{"name", &c.name}}) {
      auto it = e.find(field);
      if (it == e.end() || !it->is_string() || it->get<std::string>().empty()) {
        throw Error(where + ": field '" + field + "' must be a non-empty string");
      }
      *out = it->get<std::string>();
    }
    c.children = string_array(e, "child_ids", where + " (" + c.id + ")");
    c.restrictions = string_array(e, "restrictions", where + " (" + c.id + ")");
    if (!o.by_id.emplace(c.id, o.classes.size()).second) throw Error(where + ": class id " + c.id + " appears twice");
    o.classes.push_back(std::move(c));
  }
  for (const OntologyClass& c : o.classes) {
    for (const std::string& child : c.children) {
      if (!o.by_id.count(child)) throw Error(file_error(path, "class " + c.id + " lists child " + child + ", which is not in the ontology"));
    }
  }
  return o;
}

std::vector<std::string> audioset_subset_candidates(const Ontology& o, const std::string& subset,
                                                    const std::string& ontology_path) {
  if (subset == "gen25") return o.find_by_name("Music genre", ontology_path).children;
  if (subset != "mu141") throw OptionError("subset", "must be gen25 or mu141, not '" + subset + "'");
  const OntologyClass& root = o.find_by_name("Music", ontology_path);
  std::vector<std::string> out;
  std::set<std::string> seen = {root.id};
  // Pre-order walk; a class reached through two parents is listed once, where first reached.
  std::vector<std::string> stack(root.children.rbegin(), root.children.rend());
  while (!stack.empty()) {
    const std::string id = stack.back();
    stack.pop_back();
    if (!seen.insert(id).second) continue;
    out.push_back(id);
    const auto& children = o.classes[o.by_id.at(id)].children;
    stack.insert(stack.end(), children.rbegin(), children.rend());
  }
  return out;
}

Segment parse_segment_line(const std::string& line) {
  std::size_t c[3];
  std::size_t from = 0;
  for (std::size_t& pos : c) {
    pos = line.find(',', from);
    if (pos == std::string::npos) {
      throw Error("expected 4 fields (YTID, start_seconds, end_seconds, \"positive_labels\"), got " +
                  std::to_string(&pos - c + 1));
    }
    from = pos + 1;
  }
  Segment s;
  s.ytid = std::string(detail::trim(std::string_view(line).substr(0, c[0])));
  s.start = std::string(detail::trim(std::string_view(line).substr(c[0] + 1, c[1] - c[0] - 1)));
  s.end = std::string(detail::trim(std::string_view(line).substr(c[1] + 1, c[2] - c[1] - 1)));
  std::string_view labels = detail::trim(std::string_view(line).substr(c[2] + 1));
  if (s.ytid.empty()) throw Error("empty YTID");
  double start = 0, end = 0;
  if (!parse_number(s.start, &start) || start < 0) throw Error("start_seconds '" + s.start + "' is not a number of seconds");
  if (!parse_number(s.end, &end) || end < start) throw Error("end_seconds '" + s.end + "' is not a number of seconds after start");
  if (!labels.empty() && labels.front() == '"') {
    if (labels.size() < 2 || labels.back() != '"') {
      throw Error("positive_labels must be one quoted list (\"/m/a,/m/b\"); more than 4 fields or an unclosed quote");
    }
    labels = labels.substr(1, labels.size() - 2);
  } else if (labels.find_first_of("\",") != std::string_view::npos) {
    throw Error("expected 4 fields (YTID, start_seconds, end_seconds, \"positive_labels\"); the labels must be quoted");
  }
  for (const std::string& l : detail::split(labels, ',')) {
    const std::string_view t = detail::trim(l);
    if (t.empty()) throw Error("empty label in positive_labels");
    s.labels.emplace_back(t);
  }
  return s;
}

std::vector<std::string> segment_file_stems(const Segment& s) {
  const auto forms = [](const std::string& text) {
    std::vector<std::string> f = {text};
    double v = 0;
    if (parse_number(text, &v)) {
      if (v == std::floor(v)) f.push_back(std::to_string(static_cast<long long>(v)));
      f.push_back(std::to_string(std::llround(v * 1000.0)));
    }
    return f;
  };
  const std::vector<std::string> starts = forms(s.start), ends = forms(s.end);
  std::vector<std::string> stems;
  for (const std::string& prefix : {std::string(), std::string("Y")}) {
    const std::string base = prefix + s.ytid;
    stems.push_back(base);
    for (std::size_t i = 0; i < starts.size(); ++i) {
      stems.push_back(base + "_" + starts[i]);
      stems.push_back(base + "_" + starts[i] + "_" + ends[std::min(i, ends.size() - 1)]);
    }
  }
  std::vector<std::string> unique;
  for (const std::string& x : stems) {
    if (std::find(unique.begin(), unique.end(), x) == unique.end()) unique.push_back(x);
  }
  return unique;
}

AdapterResult build_audioset(const AudioSetOptions& o) {
  if (o.segments.empty()) throw OptionError("segments", "must name at least one CSV");
  for (const auto& [csv, split] : o.split_of) {
    if (split != "train" && split != "val" && split != "test") throw OptionError("split_of", csv + ": split must be train, val or test");
    const bool known = std::any_of(o.segments.begin(), o.segments.end(), [&](const std::string& s) {
      return s == csv || fs::path(s).filename().string() == csv;
    });
    if (!known) throw OptionError("split_of", csv + ": no segments file has that path or name");
  }
  const Ontology ontology = read_ontology(o.ontology);
  const std::vector<std::string> candidates = audioset_subset_candidates(ontology, o.subset, o.ontology);
  const std::set<std::string> in_subset(candidates.begin(), candidates.end());
  const auto name_of = [&](const std::string& id) { return ontology.classes[ontology.by_id.at(id)].name; };

  AdapterResult r;
  r.adapter = "audioset";
  r.dataset = !o.name.empty() ? o.name : o.subset == "gen25" ? "Gen-25" : "Mu-141";
  const fs::path out = detail::canonical_dir(o.out_dir);
  const auto index = index_audio(detail::canonical_dir(o.audio_dir));

  std::set<std::string> carried;  // subset classes some row carries
  std::unordered_map<std::string, std::string> first_seen;  // YTID -> "FILE:LINE"
  json split_info = json::object();
  for (const std::string& csv : o.segments) {
    std::ifstream in(csv, std::ios::binary);
    if (!in) throw Error(file_error(csv, "cannot open the segment CSV"));
    const std::string split = split_of(csv, o.split_of);
    split_info[csv] = split;
    std::string line;
    int64_t n = 0;
    while (std::getline(in, line)) {
      ++n;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      const std::string_view t = detail::trim(line);
      if (t.empty() || t.front() == '#') continue;
      const std::string where = csv + ":" + std::to_string(n);
      Segment s;
      try {
        s = parse_segment_line(line);
      } catch (const Error& e) {
        throw Error(file_error(csv, "line " + std::to_string(n) + ": " + e.what()));
      }
      ManifestRow row;
      std::vector<std::string> names;
      for (const std::string& label : s.labels) {
        if (!ontology.by_id.count(label)) {
          throw Error(file_error(csv, "line " + std::to_string(n) + ": label " + label + " is not in " + o.ontology));
        }
        names.push_back(name_of(label));
        if (in_subset.count(label)) carried.insert(label);
      }
      for (const std::string& id : candidates) {  // tags in subset order
        if (std::find(s.labels.begin(), s.labels.end(), id) != s.labels.end()) row.tags.push_back(name_of(id));
      }
      if (auto [it, fresh] = first_seen.emplace(s.ytid, where); !fresh) {
        r.skipped.add("duplicate YTID", s.ytid + " at " + where + ", first at " + it->second);
        continue;
      }
      if (row.tags.empty()) {
        r.skipped.add("no label of the subset", s.ytid);
        continue;
      }
      const fs::path* audio = nullptr;
      for (const std::string& stem : segment_file_stems(s)) {
        if (auto it = index.find(stem); it != index.end()) {
          audio = &it->second;
          break;
        }
      }
      bool empty = false;
      if (!audio || !detail::audio_present(*audio, &empty)) {
        r.skipped.add("audio missing", s.ytid);
        continue;
      }
      if (empty) {
        r.skipped.add("audio empty", audio->filename().string());
        continue;
      }
      row.id = s.ytid;
      row.audio = detail::relative_to(*audio, out);
      row.texts["aset"] = {detail::join(names, ", ")};
      row.labels = s.labels;
      row.split = split;
      r.rows.push_back(std::move(row));
    }
    if (in.bad()) throw Error(file_error(csv, "read error"));
  }

  std::vector<std::string> unused;
  for (const std::string& id : candidates) {
    if (carried.count(id)) {
      r.tags.push_back(name_of(id));
    } else {
      unused.push_back(name_of(id));
    }
  }
  r.info["sources"] = {{"segments", split_info}, {"ontology", o.ontology}, {"audio", o.audio_dir}};
  r.info["subset"] = o.subset;
  r.info["rule"] = o.subset == "gen25"
                       ? "tags: the direct children of \"Music genre\" that some row of the segment CSVs carries, in "
                         "ontology order"
                       : "tags: every class under \"Music\" (all descendants, \"Music\" itself excluded, a class with "
                         "two parents once) that some row of the segment CSVs carries, in ontology order";
  r.info["classes_without_rows"] = unused;
  return r;
}

}  // namespace mulan::eval
