// What the protocols share: loading the model with its hash, embedding manifest rows through
// the cache, label matrices, the result JSON's common part and number formatting.
#pragma once

#include <ATen/core/Tensor.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "mulan/manifest.h"
#include "eval/embedding_cache.h"
#include "mulan/eval.h"
#include "mulan/model.h"

namespace mulan::eval {

struct LoadedModel {
  Model model;
  std::string hash;  // model_hash(dir)
};
// need_text/need_audio: throw mulan::Error naming the directory when the tower is missing.
LoadedModel load_model(const ModelOptions& options, bool need_text, bool need_audio);

// Recordings that were embedded, in manifest order.
struct EmbeddedRows {
  std::vector<const data::Recording*> rows;                 // the rows kept
  at::Tensor embeddings;                                    // [rows, d] float64, unit rows
  std::vector<Failure> failed;                              // the recordings that could not be embedded
  EmbedStats stats;
  std::string cache_dir;  // "" without a cache
};
EmbeddedRows embed_rows(const LoadedModel& model, const ModelOptions& options,
                        const std::vector<const data::Recording*>& rows);

// Texts -> [N, d] float64 unit rows.
at::Tensor embed_text_list(const LoadedModel& model, const ModelOptions& options,
                           const std::vector<std::string>& texts);

// A recording's tags from the chosen manifest field ("tags" | "labels").
const std::vector<std::string>& tags_of(const data::Recording& r, const std::string& field);
void check_field(const std::string& field);  // UsageError unless "tags" or "labels"

// Reads a manifest (split filter), records its bad rows in out.result["bad_rows"] and
// out.problems, and throws when no row is left.
data::Manifest read_eval_manifest(const std::string& path, const std::string& split, EvalOutput& out);
std::vector<const data::Recording*> pointers(const std::vector<data::Recording>& rows);

// Adds the provenance (provenance.h) and "n_bad_rows" to out.result.
void add_provenance(EvalOutput& out, const std::string& protocol, const ModelOptions& options, const LoadedModel& model,
                    const std::string& dataset, const nlohmann::json& data);
// Adds "n_failed", "failed" [{path, reason}] and "cache" {dir, hits, computed, corrupt} to
// out.result, and the failures to out.problems.
void add_audio_report(EvalOutput& out, const EmbeddedRows& embedded);

// A JSON number, or null for NaN / nullopt.
nlohmann::json number_or_null(double v);
nlohmann::json number_or_null(const std::optional<double>& v);
// "0.8123", or "n/a" for NaN / nullopt.
std::string fmt(double v);
std::string fmt(const std::optional<double>& v);

}  // namespace mulan::eval
