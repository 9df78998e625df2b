// What a result JSON records about how it was made: the model (its directory, a name and a
// content hash), the data, the date and the mulan version. No LibTorch.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "mulan/model_hash.h"
#include "util/time_text.h"

namespace mulan::eval {

// SHA-256 of a file's bytes, lower-case hex. Throws mulan::Error naming the file.
std::string sha256_file(const std::string& path);
// SHA-256 of a string, lower-case hex.
std::string sha256_hex(const std::string& data);

// The model's identity (mulan/model_hash.h), here for the protocols that record it.
using mulan::model_hash;

// The current time in UTC, ISO 8601 to the second: "2024-05-01T12:34:56Z".
using util::utc_now_iso8601;

// The last component of a path, ignoring trailing slashes ("runs/model/" -> "model").
std::string base_name(const std::string& path);
// The name of the folder holding a file ("data/mtat/manifest.jsonl" -> "mtat"; the current
// folder's name for a bare file name).
std::string folder_name(const std::string& file);

// An absolute, normalised path ("" stays ""), as the results record data files.
std::string absolute_path(const std::string& path);

struct Provenance {
  std::string protocol;       // "tagging" | "probe" | "retrieval" | "triplets"
  std::string model_dir;      // as given; recorded as an absolute path
  std::string model_name;     // "" = base_name(model_dir)
  std::string model_hash;     // model_hash(model_dir)
  std::string dataset;        // the data set's name
  nlohmann::json data;        // the data files and settings (manifest, split, prompt, ...)
  std::string mulan_version;  // the version of the tool that made the result
};

// {"protocol", "model": {"dir", "name", "hash"}, "dataset", "data", "date", "mulan_version"}
nlohmann::json provenance_json(const Provenance& p);

}  // namespace mulan::eval
