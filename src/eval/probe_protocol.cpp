// The linear-probe protocol: data splits, the L2 choice, the refit and the test metrics.
#include <torch/torch.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <set>

#include "metrics/metrics.h"
#include "eval/protocol_common.h"
#include "eval/provenance.h"
#include "mulan/error.h"
#include "mulan/random.h"

namespace mulan::eval {
using nlohmann::json;

namespace {

// [rows, tags] float64 0/1 labels.
at::Tensor label_matrix(const std::vector<const data::Recording*>& rows, const std::vector<std::string>& tags,
                        const std::string& field) {
  std::map<std::string, int64_t> column;
  for (std::size_t j = 0; j < tags.size(); ++j) column[tags[j]] = static_cast<int64_t>(j);
  at::Tensor y = torch::zeros({static_cast<int64_t>(rows.size()), static_cast<int64_t>(tags.size())}, torch::kFloat64);
  auto a = y.accessor<double, 2>();
  for (std::size_t i = 0; i < rows.size(); ++i) {
    for (const auto& t : tags_of(*rows[i], field)) {
      if (auto it = column.find(t); it != column.end()) a[static_cast<int64_t>(i)][it->second] = 1;
    }
  }
  return y;
}

// The embedded rows' features, looked up by audio path in `features`.
at::Tensor feature_matrix(const std::vector<const data::Recording*>& rows, const std::map<std::string, int64_t>& index,
                          const at::Tensor& embeddings) {
  std::vector<int64_t> idx;
  for (const auto* r : rows) idx.push_back(index.at(r->audio));
  return embeddings.index_select(0, torch::tensor(idx, torch::kInt64));
}

}  // namespace

EvalOutput run_probe(const ModelOptions& mo, const ProbeOptions& o) {
  check_field(o.field);
  if (!(o.holdout > 0 && o.holdout < 1)) throw OptionError("holdout", "must be in (0, 1)");
  EvalOutput out;
  const data::Manifest train_m = read_eval_manifest(o.train, "", out);
  const data::Manifest test_m = read_eval_manifest(o.test, o.test_split, out);
  std::optional<data::Manifest> val_m;
  if (!o.val.empty()) val_m = read_eval_manifest(o.val, "", out);

  // Validation: --val; else the train manifest's split=="val" rows; else a seeded hold-out.
  std::vector<const data::Recording*> fit, val, refit;
  std::string source;
  const bool has_val_split =
      std::any_of(train_m.rows.begin(), train_m.rows.end(), [](const data::Recording& r) { return r.split == "val"; });
  for (const auto& r : train_m.rows) {
    const bool held = r.split == "test" || (!val_m && r.split == "val");
    if (!o.train_split.empty() ? r.split == o.train_split : !held) fit.push_back(&r);
    if (!val_m && has_val_split && r.split == "val") val.push_back(&r);
  }
  if (fit.empty())
    throw Error(file_error(
        o.train, "no training rows" + (o.train_split.empty() ? std::string() : " with split '" + o.train_split + "'")));
  if (val_m) {
    source = "val manifest";
    val = pointers(val_m->rows);
    refit = fit;
  } else if (has_val_split) {
    source = "split=val rows of the train manifest";
    refit = fit;
  } else {
    source = "seeded hold-out of train";
    refit = fit;  // the final fit uses every training row
    std::vector<std::size_t> order(fit.size());
    std::iota(order.begin(), order.end(), 0);
    Rng rng(o.seed);
    shuffle(rng, order);
    const std::size_t n_val =
        std::max<std::size_t>(1, static_cast<std::size_t>(o.holdout * static_cast<double>(fit.size())));
    if (n_val >= fit.size()) throw Error(file_error(o.train, "too few training rows to hold out validation data"));
    std::vector<bool> is_val(fit.size(), false);
    for (std::size_t i = 0; i < n_val; ++i) is_val[order[i]] = true;
    std::vector<const data::Recording*> rest;
    for (std::size_t i = 0; i < fit.size(); ++i) (is_val[i] ? val : rest).push_back(fit[i]);
    fit = rest;
  }
  if (val.empty()) throw Error("linear probe: no validation rows");

  // A test recording must not be training or validation data.
  std::set<std::string> seen;
  for (const auto* r : refit) seen.insert(r->audio);
  for (const auto* r : val) seen.insert(r->audio);
  int64_t overlap = 0;
  std::string first;
  for (const auto& r : test_m.rows) {
    if (seen.count(r.audio) && overlap++ == 0) first = r.audio;
  }
  if (overlap) {
    throw UsageError(std::to_string(overlap) + " test recordings are also training or validation data (first: " +
                     first + "); choose other train and test splits, or other validation data");
  }

  // Embed every recording once (one cache pass), then drop the ones that failed.
  const LoadedModel model = load_model(mo, /*need_text=*/false, /*need_audio=*/true);
  std::vector<const data::Recording*> all;
  std::set<std::string> queued;
  for (const auto* group : {&refit, &val}) {
    for (const auto* r : *group) {
      if (queued.insert(r->audio).second) all.push_back(r);
    }
  }
  for (const auto& r : test_m.rows) {
    if (queued.insert(r.audio).second) all.push_back(&r);
  }
  const EmbeddedRows audio = embed_rows(model, mo, all);
  std::map<std::string, int64_t> index;
  for (std::size_t i = 0; i < audio.rows.size(); ++i) index[audio.rows[i]->audio] = static_cast<int64_t>(i);
  const auto embedded = [&](std::vector<const data::Recording*> rows) {
    std::erase_if(rows, [&](const data::Recording* r) { return !index.count(r->audio); });
    return rows;
  };
  fit = embedded(fit);
  val = embedded(val);
  refit = embedded(refit);
  const std::vector<const data::Recording*> test = embedded(pointers(test_m.rows));
  if (fit.empty() || val.empty() || test.empty())
    throw Error("linear probe: no embedded train, validation or test rows");

  // Tags: TAGS.txt or every training tag; those without a positive and a negative among the
  // fitting rows cannot be trained and are left out (counted).
  std::vector<std::string> candidates;
  if (!o.tags_file.empty()) {
    candidates = read_tag_list(o.tags_file);
  } else {
    std::set<std::string> s;
    for (const auto* r : refit)
      for (const auto& t : tags_of(*r, o.field)) s.insert(t);
    candidates.assign(s.begin(), s.end());
  }
  std::vector<std::string> tags, untrainable;
  {
    const at::Tensor pos = label_matrix(fit, candidates, o.field).sum(0);
    for (std::size_t j = 0; j < candidates.size(); ++j) {
      const double p = pos[static_cast<int64_t>(j)].item<double>();
      (p > 0 && p < static_cast<double>(fit.size()) ? tags : untrainable).push_back(candidates[j]);
    }
  }
  if (tags.empty()) throw Error("linear probe: no tag has both a positive and a negative training example");

  const L2Choice choice =
      choose_l2(feature_matrix(fit, index, audio.embeddings), label_matrix(fit, tags, o.field),
                feature_matrix(val, index, audio.embeddings), label_matrix(val, tags, o.field), o.l2_grid, o.fit);
  const LinearProbe probe = fit_linear_probe(feature_matrix(refit, index, audio.embeddings),
                                             label_matrix(refit, tags, o.field), choice.l2, o.fit);
  const at::Tensor s = probe.logits(feature_matrix(test, index, audio.embeddings)).contiguous();
  const at::Tensor y = label_matrix(test, tags, o.field).to(torch::kUInt8).contiguous();
  const int64_t n = s.size(0), k = s.size(1);
  const std::span<const double> scores(s.data_ptr<double>(), static_cast<std::size_t>(n * k));
  const std::span<const uint8_t> labels(y.data_ptr<uint8_t>(), static_cast<std::size_t>(n * k));
  const MacroResult auc = macro_roc_auc(scores, labels, n, k), ap = macro_average_precision(scores, labels, n, k);

  json& r = out.result;
  r["roc_auc"] = number_or_null(auc.mean);  // macro over tags
  r["map"] = number_or_null(ap.mean);       // macro average precision
  r["l2"] = choice.l2;
  r["sklearn_C"] = sklearn_c(choice.l2, static_cast<int64_t>(refit.size()));
  r["validation"] = {{"source", source},
                     {"n", val.size()},
                     {"refit_on", val_m || has_val_split ? "train" : "train including the hold-out"}};
  if (source == "seeded hold-out of train") r["validation"]["seed"] = o.seed;
  r["grid"] = json::array();
  std::string table = "| l2 | val ROC-AUC | val mAP |\n|---:|---:|---:|\n";
  for (const auto& t : choice.trials) {
    r["grid"].push_back({{"l2", t.l2},
                         {"val_macro_roc_auc", number_or_null(t.val_macro_roc_auc)},
                         {"val_map", number_or_null(t.val_map)}});
    char l2[32];
    std::snprintf(l2, sizeof l2, "%g", t.l2);
    table += std::string("| ") + (t.l2 == choice.l2 ? "**" + std::string(l2) + "**" : std::string(l2)) + " | " +
             fmt(t.val_macro_roc_auc) + " | " + fmt(t.val_map) + " |\n";
  }
  r["n_train"] = refit.size();
  r["n_val"] = val.size();
  r["n_test"] = n;
  r["n_recordings"] = n;
  r["n_tags"] = k;
  r["n_tags_used"] = auc.used;
  r["n_tags_excluded"] = auc.excluded;  // no positive or no negative in test
  r["n_tags_untrainable"] = untrainable.size();
  r["untrainable_tags"] = untrainable;
  r["lbfgs_iterations"] = probe.iterations;
  table += "\n| tag | test positives | ROC-AUC | AP |\n|---|---:|---:|---:|\n";
  if (o.per_tag) {
    const at::Tensor pos = y.sum(0).to(torch::kInt64);
    for (int64_t j = 0; j < k; ++j) {
      r["tags"][tags[j]] = {{"roc_auc", number_or_null(auc.per_column[j])},
                            {"pr_auc", number_or_null(ap.per_column[j])},
                            {"positives", pos[j].item<int64_t>()}};
      table += "| " + tags[j] + " | " + std::to_string(pos[j].item<int64_t>()) + " | " + fmt(auc.per_column[j]) +
               " | " + fmt(ap.per_column[j]) + " |\n";
    }
  }
  table += "| **macro** (" + std::to_string(auc.used) + " of " + std::to_string(k) + " tags, " + std::to_string(n) +
           " test recordings) | | " + fmt(auc.mean) + " | " + fmt(ap.mean) + " |\n";
  out.table = table;
  add_audio_report(out, audio);
  add_provenance(out, "probe", mo, model, o.dataset.empty() ? folder_name(o.test) : o.dataset,
                 {{"train", absolute_path(o.train)},
                  {"test", absolute_path(o.test)},
                  {"val", absolute_path(o.val)},
                  {"tags", absolute_path(o.tags_file)},
                  {"train_split", o.train_split},
                  {"split", o.test_split},
                  {"field", o.field}});
  return out;
}

}  // namespace mulan::eval
