// Text-to-music retrieval: each query's text against every embedded recording.
#include <torch/torch.h>

#include <map>

#include "metrics/metrics.h"
#include "eval/protocol_common.h"
#include "eval/provenance.h"
#include "mulan/error.h"

namespace mulan::eval {
using nlohmann::json;

EvalOutput run_retrieval(const ModelOptions& mo, const RetrievalOptions& o) {
  const std::vector<data::Query> queries = data::read_queries(o.queries);
  EvalOutput out;
  const data::Manifest manifest = read_eval_manifest(o.manifest, o.split, out);
  const LoadedModel model = load_model(mo, /*need_text=*/true, /*need_audio=*/true);
  const EmbeddedRows audio = embed_rows(model, mo, pointers(manifest.rows));
  const int64_t n = audio.embeddings.size(0);
  std::map<std::string, int64_t> column;
  for (int64_t i = 0; i < n; ++i) column[audio.rows[i]->id] = i;

  // Targets outside the evaluated recordings (not in the manifest, another split, failed to
  // embed) are dropped; a query left with none is excluded.
  std::vector<std::vector<int64_t>> targets(queries.size());
  std::vector<std::string> texts;
  std::vector<std::size_t> kept;
  int64_t dropped = 0, no_target = 0;
  for (std::size_t q = 0; q < queries.size(); ++q) {
    for (const auto& id : queries[q].targets) {
      if (auto it = column.find(id); it != column.end()) {
        targets[q].push_back(it->second);
      } else {
        ++dropped;
      }
    }
    if (targets[q].empty()) {
      ++no_target;
    } else {
      kept.push_back(q);
      texts.push_back(queries[q].text);
    }
  }
  std::vector<std::optional<QueryMetrics>> per_query(queries.size());
  if (!kept.empty()) {
    const at::Tensor text = embed_text_list(model, mo, texts);  // [Q', d]
    // Scores a block of queries at a time: [B, N] float64 stays within about 128 MB.
    const int64_t block = std::max<int64_t>(1, (int64_t{1} << 24) / std::max<int64_t>(n, 1));
    std::vector<uint8_t> relevance(static_cast<std::size_t>(n));
    for (int64_t b0 = 0; b0 < static_cast<int64_t>(kept.size()); b0 += block) {
      const int64_t b1 = std::min<int64_t>(b0 + block, static_cast<int64_t>(kept.size()));
      const at::Tensor s = torch::matmul(text.slice(0, b0, b1), audio.embeddings.t()).contiguous();
      for (int64_t j = b0; j < b1; ++j) {
        const std::size_t q = kept[j];
        std::fill(relevance.begin(), relevance.end(), 0);
        for (int64_t t : targets[q]) relevance[t] = 1;
        const std::span<const double> scores(s.data_ptr<double>() + (j - b0) * n, static_cast<std::size_t>(n));
        per_query[q] = query_metrics(scores, relevance);
      }
    }
  }
  const RetrievalResult m = summarize_queries(per_query);

  json& r = out.result;
  r["roc_auc"] = number_or_null(m.roc_auc);
  r["map"] = number_or_null(m.map);
  r["r_at_1"] = number_or_null(m.r_at_1);
  r["r_at_5"] = number_or_null(m.r_at_5);
  r["r_at_10"] = number_or_null(m.r_at_10);
  r["median_rank"] = number_or_null(m.median_rank);
  r["n_queries"] = m.n_queries;
  r["n_queries_total"] = queries.size();
  r["n_queries_excluded"] = m.excluded;  // no target left, or every recording a target
  r["n_queries_without_targets"] = no_target;
  r["n_targets_dropped"] = dropped;
  r["n_recordings"] = n;
  if (o.per_query) {
    r["queries"] = json::array();
    for (std::size_t q = 0; q < queries.size(); ++q) {
      json j = {{"id", queries[q].id}, {"text", queries[q].text}, {"n_targets", targets[q].size()}};
      if (const auto& pq = per_query[q]) {
        j.update({{"roc_auc", pq->roc_auc},
                  {"ap", pq->average_precision},
                  {"r_at_1", pq->r_at_1},
                  {"r_at_5", pq->r_at_5},
                  {"r_at_10", pq->r_at_10},
                  {"first_rank", pq->first_rank}});
      } else {
        j["excluded"] = true;
      }
      r["queries"].push_back(j);
    }
  }
  out.table =
      "| queries | recordings | ROC-AUC | mAP | R@1 | R@5 | R@10 | median rank |\n"
      "|---:|---:|---:|---:|---:|---:|---:|---:|\n| " +
      std::to_string(m.n_queries) + " | " + std::to_string(n) + " | " + fmt(m.roc_auc) + " | " + fmt(m.map) + " | " +
      fmt(m.r_at_1) + " | " + fmt(m.r_at_5) + " | " + fmt(m.r_at_10) + " | " + fmt(m.median_rank) + " |\n";
  add_audio_report(out, audio);
  add_provenance(out, "retrieval", mo, model, o.dataset.empty() ? folder_name(o.manifest) : o.dataset,
                 {{"manifest", absolute_path(o.manifest)}, {"queries", absolute_path(o.queries)}, {"split", o.split}});
  return out;
}

}  // namespace mulan::eval
