#include "data/shards.h"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "audio/tar.h"
#include "mulan/audio.h"
#include "mulan/error.h"

namespace mulan::data {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const std::set<std::string> kAudioExt = {"flac", "wav", "mp3", "ogg", "opus"};

using audio::ArchivePtr;
using audio::open_tar;
using audio::read_member;

// "dir/abc.flac" -> ("dir/abc", "flac"); "dir/abc.seg1.json" -> ("dir/abc", "seg1.json")
std::pair<std::string, std::string> split_key(const std::string& name) {
  const size_t slash = name.rfind('/');
  const size_t dot = name.find('.', slash == std::string::npos ? 0 : slash + 1);
  if (dot == std::string::npos) return {name, ""};
  return {name.substr(0, dot), name.substr(dot + 1)};
}

std::vector<std::string> json_strings(const json& v, const std::string& field) {
  std::vector<std::string> out;
  if (v.is_string()) {
    out.push_back(v.get<std::string>());
  } else if (v.is_array()) {
    for (const json& s : v) {
      if (!s.is_string()) throw Error("field '" + field + "' must hold strings");
      out.push_back(s.get<std::string>());
    }
  } else if (!v.is_null()) {
    throw Error("field '" + field + "' must be a string or a list of strings");
  }
  std::erase(out, std::string());
  return out;
}

void fill_from_json(Recording& r, const std::string& text, const std::string& texts_field) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    throw Error(std::string("invalid JSON (") + e.what() + ")");
  }
  if (!j.is_object()) throw Error("the JSON must be an object");
  auto t = j.find(texts_field);
  if (t == j.end() && texts_field != "texts") t = j.find("texts");
  if (t != j.end()) {
    const std::string field = t.key();
    if (!t->is_object()) throw Error("field '" + field + "' must be an object of source -> list of strings");
    for (const auto& [source, list] : t->items()) {
      auto v = json_strings(list, field + "." + source);
      if (!v.empty()) r.texts[source] = std::move(v);
    }
  }
  if (auto t = j.find("text"); t != j.end()) {
    auto v = json_strings(*t, "text");
    auto& lf = r.texts["lf"];
    lf.insert(lf.end(), v.begin(), v.end());
    if (lf.empty()) r.texts.erase("lf");
  }
  if (auto t = j.find("tags"); t != j.end()) r.tags = json_strings(*t, "tags");
  if (auto t = j.find("labels"); t != j.end()) r.labels = json_strings(*t, "labels");
  if (auto t = j.find("split"); t != j.end() && t->is_string()) r.split = t->get<std::string>();
}

}  // namespace

bool is_shard_spec(const std::string& spec) {
  return spec.ends_with(".tar") || spec.ends_with(".tar.gz") || spec.find("{") != std::string::npos || fs::is_directory(spec);
}

std::vector<std::string> expand_shards(const std::string& spec) {
  std::vector<std::string> out;
  const size_t open = spec.find('{');
  if (open != std::string::npos) {
    const size_t close = spec.find('}', open);
    const size_t dots = spec.find("..", open);
    if (close == std::string::npos || dots == std::string::npos || dots > close) {
      throw UsageError("shard pattern '" + spec + "': expected one range like {000..099}");
    }
    const std::string lo = spec.substr(open + 1, dots - open - 1), hi = spec.substr(dots + 2, close - dots - 2);
    try {
      const long a = std::stol(lo), b = std::stol(hi);
      if (a > b || b - a > 1000000) throw UsageError("");
      for (long i = a; i <= b; ++i) {
        std::string n = std::to_string(i);
        if (n.size() < lo.size()) n.insert(0, lo.size() - n.size(), '0');
        out.push_back(spec.substr(0, open) + n + spec.substr(close + 1));
      }
    } catch (const std::exception&) {
      throw UsageError("shard pattern '" + spec + "': the range must be two numbers, low..high");
    }
  } else if (fs::is_directory(spec)) {
    for (const auto& e : fs::directory_iterator(spec)) {
      const std::string p = e.path().string();
      if (e.is_regular_file() && (p.ends_with(".tar") || p.ends_with(".tar.gz"))) out.push_back(p);
    }
    std::sort(out.begin(), out.end());
    if (out.empty()) throw Error(file_error(spec, "no .tar shards in this folder"));
  } else {
    out.push_back(spec);
  }
  return out;
}

Manifest read_shards(const std::vector<std::string>& shards, const ManifestOptions& options) {
  Manifest m;
  m.path = shards.size() == 1 ? shards[0] : shards.front() + " (+" + std::to_string(shards.size() - 1) + " shards)";
  int64_t samples = 0;
  std::set<std::string> ids;
  for (const std::string& shard : shards) {
    struct Sample {
      std::string audio, json;
    };
    std::map<std::string, Sample> by_key;
    std::vector<std::string> order;
    try {
      ArchivePtr a = open_tar(shard);
      archive_entry* entry = nullptr;
      int rc;
      while ((rc = archive_read_next_header(a.get(), &entry)) == ARCHIVE_OK) {
        if (archive_entry_filetype(entry) != AE_IFREG) continue;
        const std::string name = archive_entry_pathname(entry);
        const auto [key, ext] = split_key(name);
        // The field is what follows the key ("flac", "seg.wav"): its last part says the type.
        std::string lower = ext.substr(ext.rfind('.') == std::string::npos ? 0 : ext.rfind('.') + 1);
        std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
        if (!by_key.count(key)) order.push_back(key);
        Sample& s = by_key[key];
        if (kAudioExt.count(lower) && s.audio.empty()) {
          s.audio = name;
        } else if (lower == "json") {
          s.json = read_member(a.get(), shard + ":" + name);
        }
      }
      if (rc != ARCHIVE_EOF) throw Error(file_error(shard, std::string("damaged shard (") + archive_error_string(a.get()) + ")"));
    } catch (const Error& e) {
      m.bad.push_back({shard, FailureKind::unreadable, e.what()});  // the samples read before the damage are kept
    }
    for (const std::string& key : order) {
      const Sample& s = by_key[key];
      ++samples;
      const std::string where = shard + ":" + key;
      try {
        if (s.audio.empty()) throw Error("no audio member (" + key + ".flac|wav|mp3|ogg|opus)");
        Recording r;
        r.id = key;
        r.audio = shard + "#" + s.audio;
        r.where = where;
        r.line = samples;
        if (!s.json.empty()) fill_from_json(r, s.json, options.texts_field);
        if (options.require_texts && r.text_count() == 0) throw Error("no texts");
        if (!options.split.empty() && r.split != options.split) {
          ++m.other_split;
          continue;
        }
        if (!ids.insert(r.id).second) r.id = shard + "#" + key;  // the same key in two shards
        m.rows.push_back(std::move(r));
      } catch (const Error& e) {
        m.bad.push_back({where, FailureKind::malformed, e.what()});
      }
    }
  }
  if (samples == 0) throw Error(file_error(m.path, "no samples in the shards"));
  if (static_cast<double>(m.bad.size()) > options.max_bad_fraction * static_cast<double>(samples)) {
    throw Error(file_error(m.path, "too many bad samples (" + std::to_string(m.bad.size()) + " of " + std::to_string(samples) +
                                       "), first: " + m.bad.front().where + ": " + m.bad.front().reason));
  }
  return m;
}

Manifest read_data(const std::string& spec, const ManifestOptions& options) {
  return is_shard_spec(spec) ? read_shards(expand_shards(spec), options) : read_manifest(spec, options);
}

std::vector<float> load_audio(const std::string& ref) {
  if (!audio::is_tar_member(ref)) return audio::decode(ref);
  const std::string bytes = audio::read_tar_member(ref);
  return audio::decode_memory(bytes.data(), bytes.size(), ref);
}

}  // namespace mulan::data
