// Manifests (JSON Lines, one recording a line) and retrieval queries: the data contract of
// training and evaluation.
//
//   {"id": "clip-1", "audio": "audio/clip-1.flac",            <- relative to the manifest
//    "texts": {"sf": [...], "lf": [...], "pl": [...], "aset": [...]},   any source optional
//    "tags": [...], "labels": [...], "split": "train"}                  all optional
//   (a mined manifest, mulan mine, also has "texts_raw": the texts before filtering)
//
// A bad row (invalid JSON, a missing field, audio that does not exist, no texts when texts are
// required) is skipped and recorded with its line; the reader throws only when the file itself
// cannot be read or (max_bad_fraction) most of it is bad.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "mulan/error.h"

namespace mulan::data {

// The four text sources of the paper, in the order of the mixing ratio.
inline const std::vector<std::string>& text_sources() {
  static const std::vector<std::string> kSources = {"sf", "lf", "pl", "aset"};
  return kSources;
}

struct Recording {
  std::string id;
  std::string audio;  // path as resolved against the manifest's folder
  std::map<std::string, std::vector<std::string>> texts;  // source -> texts (non-empty lists only)
  std::vector<std::string> tags;
  std::vector<std::string> labels;
  std::string split;  // "" when the row has none
  int64_t line = 0;   // 1-based line in the manifest
  std::string where;  // "manifest.jsonl:LINE"

  std::size_t text_count() const;
};

// A row left out: where is "FILE:LINE" (or "SHARD.tar:KEY"), kind and reason say why.
using BadRow = Failure;

struct ManifestOptions {
  bool require_texts = false;     // a row without any text is bad (training)
  bool check_audio_exists = true; // a row whose audio file does not exist is bad
  std::string split;              // keep only rows of this split ("" = all)
  double max_bad_fraction = 1.0;  // throw when more than this fraction of rows is bad
  // The row's texts: "texts", or "texts_raw" (a mined manifest's unfiltered texts; a row
  // without that field falls back to "texts").
  std::string texts_field = "texts";
};

struct Manifest {
  std::string path;
  std::vector<Recording> rows;
  std::vector<BadRow> bad;
  int64_t other_split = 0;  // rows dropped because of options.split

  // "N bad rows in FILE: first ...; ..." (the first `detail` in full, then a count); "" if none.
  std::string bad_summary(std::size_t detail = 3) const;
};

Manifest read_manifest(const std::string& path, const ManifestOptions& options = {});

struct Query {
  std::string id;
  std::string text;
  std::vector<std::string> targets;  // recording ids
  int64_t line = 0;
};

// queries.jsonl: {"id": ..., "text": ..., "targets": [...]} a line; malformed lines throw,
// naming file and line (a query file is small and hand-made: an error there is not noise).
std::vector<Query> read_queries(const std::string& path);

}  // namespace mulan::data
