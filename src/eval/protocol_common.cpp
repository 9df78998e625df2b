#include "eval/protocol_common.h"

#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <set>

#include "eval/provenance.h"
#include "mulan/error.h"
#include "mulan/tokenizer.h"

namespace mulan::eval {
using nlohmann::json;

LoadedModel load_model(const ModelOptions& options, bool need_text, bool need_audio) {
  LoadedModel m{Model::load(options.dir, parse_device(options.device)), model_hash(options.dir)};
  if (need_text && !m.model.has_text()) throw Error(file_error(options.dir, "the model has no text tower"));
  if (need_audio && !m.model.has_audio()) throw Error(file_error(options.dir, "the model has no audio tower"));
  return m;
}

EmbeddedRows embed_rows(const LoadedModel& model, const ModelOptions& options,
                        const std::vector<const data::Recording*>& rows) {
  std::vector<std::string> files;
  for (const auto* r : rows) files.push_back(r->audio);
  std::optional<EmbeddingCache> cache;
  if (!options.cache_dir.empty()) cache.emplace(options.cache_dir, model.hash, model.model.config().embed_dim);
  AudioEmbedOptions ao;
  ao.batch_windows = options.batch_windows;
  ao.decode_threads = options.decode_threads;
  EmbeddedFiles e = embed_files(model.model, cache ? &*cache : nullptr, files, ao);
  EmbeddedRows out;
  out.stats = e.stats;
  out.cache_dir = options.cache_dir;
  std::vector<int64_t> keep;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (!e.failures[i]) {
      out.rows.push_back(rows[i]);
      keep.push_back(static_cast<int64_t>(i));
    } else {
      out.failed.push_back(std::move(*e.failures[i]));
    }
  }
  const at::Tensor emb = e.embeddings.index_select(0, torch::tensor(keep, torch::kInt64)).to(torch::kFloat64);
  out.embeddings = torch::nn::functional::normalize(emb, torch::nn::functional::NormalizeFuncOptions().dim(1));
  return out;
}

at::Tensor embed_text_list(const LoadedModel& model, const ModelOptions& options,
                           const std::vector<std::string>& texts) {
  const text::Tokenizer tokenizer = load_tokenizer(options.dir, model.model);
  const at::Tensor e = embed_texts(model.model, tokenizer, texts, options.text_batch).to(torch::kFloat64);
  return torch::nn::functional::normalize(e, torch::nn::functional::NormalizeFuncOptions().dim(1));
}

void check_field(const std::string& field) {
  if (field != "tags" && field != "labels") throw OptionError("field", "must be 'tags' or 'labels', not '" + field + "'");
}

const std::vector<std::string>& tags_of(const data::Recording& r, const std::string& field) {
  return field == "labels" ? r.labels : r.tags;
}

data::Manifest read_eval_manifest(const std::string& path, const std::string& split, EvalOutput& out) {
  data::ManifestOptions mo;
  mo.split = split;
  data::Manifest m = data::read_manifest(path, mo);
  json& bad = out.result["bad_rows"];
  if (!bad.is_array()) bad = json::array();
  for (const auto& b : m.bad) {
    bad.push_back({{"where", b.where}, {"kind", to_string(b.kind)}, {"reason", b.reason}});
    out.problems.push_back(b);
  }
  if (m.rows.empty()) {
    throw Error(file_error(path, split.empty() ? "no usable rows" : "no usable rows with split '" + split + "'"));
  }
  return m;
}

std::vector<const data::Recording*> pointers(const std::vector<data::Recording>& rows) {
  std::vector<const data::Recording*> p;
  for (const auto& r : rows) p.push_back(&r);
  return p;
}

void add_provenance(EvalOutput& out, const std::string& protocol, const ModelOptions& options, const LoadedModel& model,
                    const std::string& dataset, const nlohmann::json& data) {
  Provenance p;
  p.protocol = protocol;
  p.model_dir = options.dir;
  p.model_name = options.name;
  p.model_hash = model.hash;
  p.dataset = dataset;
  p.data = data;
  p.mulan_version = options.mulan_version;
  out.result.update(provenance_json(p));
  out.result["device"] = options.device;
  if (!out.result["bad_rows"].is_array()) out.result["bad_rows"] = json::array();
  out.result["n_bad_rows"] = out.result["bad_rows"].size();
}

void add_audio_report(EvalOutput& out, const EmbeddedRows& embedded) {
  json& failed = out.result["failed"];
  if (!failed.is_array()) failed = json::array();
  for (const Failure& f : embedded.failed) {
    failed.push_back({{"path", f.where}, {"kind", to_string(f.kind)}, {"reason", f.text()}});
    out.problems.push_back(f);
  }
  out.result["n_failed"] = failed.size();
  json& cache = out.result["cache"];
  const auto add = [&](const char* key, int64_t v) { cache[key] = cache.value(key, int64_t{0}) + v; };
  cache["dir"] = embedded.cache_dir.empty() ? json(nullptr) : json(absolute_path(embedded.cache_dir));
  add("hits", embedded.stats.hits);
  add("computed", embedded.stats.computed);
  add("corrupt", embedded.stats.corrupt);
}

json number_or_null(double v) { return std::isnan(v) ? json(nullptr) : json(v); }
json number_or_null(const std::optional<double>& v) { return v ? number_or_null(*v) : json(nullptr); }

std::string fmt(double v) {
  if (std::isnan(v)) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", v);
  return buf;
}
std::string fmt(const std::optional<double>& v) { return v ? fmt(*v) : "n/a"; }

}  // namespace mulan::eval
