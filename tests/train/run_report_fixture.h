// A training run directory with known values, for the mulan report tests: metrics.jsonl (train
// rows with a NaN loss_mean written as null, validation rows), train.json, run.json, and a
// tagging result with per-tag ROC-AUC (a tie, an unscored tag, a tag that is HTML).
#pragma once

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace mulan::test {

inline const char* const kHostileTag = "<script>alert(1)</script>";

// RUN/metrics.jsonl, RUN/train.json, RUN/run.json; returns the rows written.
inline std::vector<nlohmann::json> write_report_run(const std::filesystem::path& run, int steps = 60, int log_every = 5,
                                                    int val_every = 20) {
  using nlohmann::json;
  std::filesystem::create_directories(run);
  std::vector<json> rows;
  for (int s = log_every; s <= steps; s += log_every) {
    const double t = static_cast<double>(s) / steps;
    json row = {{"step", s},
                {"loss", 4.1 * std::exp(-2.3 * t) + 0.37 * std::sin(0.9 * s)},
                {"loss_mean", 4.0 * std::exp(-2.3 * t) + 0.3 * t},
                {"tau", 0.07 + 0.0123 * t},
                {"lr", 0.002 * std::min(1.0, 4 * t) * (0.5 + 0.5 * std::cos(3.14159 * t))},
                {"pairs_per_s", 57.25 + 3.5 * std::cos(s)},
                {"data_wait", 0.05 + 0.04 * std::sin(1.7 * s)},
                {"skipped_steps", 0},
                {"bad_recordings", 0},
                {"elapsed_s", 0.731 * s}};
    if (s == 2 * log_every) row["loss_mean"] = nullptr;  // what the trainer writes for a NaN
    rows.push_back(row);
    if (s % val_every == 0) {
      rows.push_back({{"split", "val"},
                      {"step", s},
                      {"loss", 2.9 - 0.9 * t},
                      {"chance_loss", 2.4849066497880004},
                      {"r_at_10", 0.25 + 0.5 * t * t},
                      {"map", 0.125 + 0.3 * t},
                      {"median_rank", 9 - 5 * t},
                      {"pairs", 12}});
    }
  }
  std::ofstream m(run / "metrics.jsonl");
  for (const json& r : rows) m << r.dump() << "\n";
  std::ofstream(run / "train.json") << json({{"steps", steps}, {"batch", 16}, {"lr", 0.002}, {"log_every", log_every},
                                             {"val_every", val_every}, {"loss", "mulan"}, {"seed", 1},
                                             {"source_ratio", {{"sf", 2}, {"lf", 2}, {"pl", 1}, {"aset", 1}}}})
                                           .dump(2);
  std::ofstream(run / "run.json") << json({{"model", "/models/init & <co>"}, {"data", "/data/manifest.jsonl"}, {"val", ""}, {"device", "cpu"}})
                                         .dump(2);
  return rows;
}

// A result of `mulan eval tagging --per-tag --out PATH`: 12 tags (two tied, one HTML, one unscored).
inline nlohmann::json write_tagging_result(const std::filesystem::path& path) {
  using nlohmann::json;
  json tags = json::object();
  const double aucs[] = {0.61, 0.93, 0.47, 0.75, 0.75, 0.88, 0.52, 0.999, 0.33, 0.705};
  for (int i = 0; i < 10; ++i) {
    tags["tag " + std::to_string(i)] = {{"roc_auc", aucs[i]}, {"pr_auc", aucs[i] / 2}, {"positives", 3 + i}};
  }
  tags[kHostileTag] = {{"roc_auc", 0.8125}, {"pr_auc", 0.4}, {"positives", 2}};
  tags["never heard"] = {{"roc_auc", nullptr}, {"pr_auc", nullptr}, {"positives", 0}};
  const json r = {{"protocol", "tagging"},
                  {"model", {{"dir", "/models/m"}, {"name", "mulan-tiny-test"}, {"hash", "sha256:00"}}},
                  {"dataset", "synth-test"},
                  {"date", "2026-01-02T03:04:05Z"},
                  {"data", {{"split", "test"}, {"prompt", "{}"}}},
                  {"macro_roc_auc", 0.7},
                  {"macro_pr_auc", 0.35},
                  {"n_tags", 12},
                  {"n_tags_used", 11},
                  {"tags", tags}};
  std::ofstream(path) << r.dump(2);
  return r;
}

}  // namespace mulan::test
