// Zero-shot tagging: cos(audio, text of the prompted tag), macro ROC-AUC and PR-AUC.
#include <torch/torch.h>

#include <fstream>
#include <map>
#include <set>

#include "metrics/metrics.h"
#include "eval/protocol_common.h"
#include "eval/provenance.h"
#include "mulan/context.h"
#include "mulan/error.h"

namespace mulan::eval {
using nlohmann::json;

std::vector<std::string> read_tag_list(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(file_error(path, "cannot open tag list"));
  std::vector<std::string> tags;
  std::map<std::string, int64_t> seen;
  std::string line;
  for (int64_t n = 1; std::getline(in, line); ++n) {
    const auto b = line.find_first_not_of(" \t\r");
    if (b == std::string::npos) continue;
    const std::string tag = line.substr(b, line.find_last_not_of(" \t\r") - b + 1);
    if (auto [it, fresh] = seen.emplace(tag, n); !fresh) {
      throw Error(path + ":" + std::to_string(n) + ": duplicate tag '" + tag + "' (first on line " +
                  std::to_string(it->second) + ")");
    }
    tags.push_back(tag);
  }
  if (in.bad()) throw Error(file_error(path, "read error"));
  if (tags.empty()) throw Error(file_error(path, "tag list is empty"));
  return tags;
}

EvalOutput run_tagging(const ModelOptions& mo, const TaggingOptions& o) {
  check_field(o.field);
  const std::vector<std::string> tags = read_tag_list(o.tags_file);
  std::vector<std::string> prompts;
  for (const auto& t : tags) prompts.push_back(expand_prompt(o.prompt, t));
  EvalOutput out;
  const data::Manifest manifest = read_eval_manifest(o.manifest, o.split, out);
  const LoadedModel model = load_model(mo, /*need_text=*/true, /*need_audio=*/true);

  const EmbeddedRows audio = embed_rows(model, mo, pointers(manifest.rows));
  const at::Tensor text = embed_text_list(model, mo, prompts);                  // [K, d]
  const at::Tensor s = torch::matmul(audio.embeddings, text.t()).contiguous();  // [N, K] cosines
  const int64_t n = s.size(0), k = s.size(1);
  std::map<std::string, int64_t> column;
  for (int64_t j = 0; j < k; ++j) column[tags[j]] = j;
  std::vector<uint8_t> labels(static_cast<std::size_t>(n * k), 0);
  for (int64_t i = 0; i < n; ++i) {
    for (const auto& t : tags_of(*audio.rows[i], o.field)) {
      if (auto it = column.find(t); it != column.end()) labels[i * k + it->second] = 1;
    }
  }
  const std::span<const double> scores(s.data_ptr<double>(), static_cast<std::size_t>(n * k));
  const MacroResult auc = macro_roc_auc(scores, labels, n, k);
  const MacroResult ap = macro_average_precision(scores, labels, n, k);
  if (auc.used == 0) {
    throw Error(file_error(o.manifest, "no tag of " + o.tags_file + " has both positive and negative recordings in split '" + o.split +
                                           "' (field '" + o.field + "', " + std::to_string(n) + " recordings): ROC-AUC is undefined for every tag"));
  }

  std::vector<int64_t> positives(k, 0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < k; ++j) positives[j] += labels[i * k + j];
  json& r = out.result;
  r["macro_roc_auc"] = number_or_null(auc.mean);
  r["macro_pr_auc"] = number_or_null(ap.mean);
  r["n_tags"] = k;
  r["n_tags_used"] = auc.used;
  r["n_tags_excluded"] = auc.excluded;
  r["excluded_tags"] = json::array();
  r["n_recordings"] = n;
  std::string table = "| tag | positives | ROC-AUC | PR-AUC |\n|---|---:|---:|---:|\n";
  for (int64_t j = 0; j < k; ++j) {
    if (!auc.per_column[j]) r["excluded_tags"].push_back(tags[j]);
    if (o.per_tag) {
      r["tags"][tags[j]] = {{"roc_auc", number_or_null(auc.per_column[j])},
                            {"pr_auc", number_or_null(ap.per_column[j])},
                            {"positives", positives[j]}};
      table += "| " + tags[j] + " | " + std::to_string(positives[j]) + " | " + fmt(auc.per_column[j]) + " | " +
               fmt(ap.per_column[j]) + " |\n";
    }
  }
  table += "| **macro** (" + std::to_string(auc.used) + " of " + std::to_string(k) + " tags, " + std::to_string(n) +
           " recordings) | | " + fmt(auc.mean) + " | " + fmt(ap.mean) + " |\n";
  out.table = table;
  add_audio_report(out, audio);
  add_provenance(out, "tagging", mo, model, o.dataset.empty() ? folder_name(o.manifest) : o.dataset,
                 {{"manifest", absolute_path(o.manifest)},
                  {"tags", absolute_path(o.tags_file)},
                  {"split", o.split},
                  {"prompt", o.prompt},
                  {"field", o.field}});
  return out;
}

}  // namespace mulan::eval
