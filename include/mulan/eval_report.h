// The evaluation report: result files of `mulan eval tagging|probe|retrieval|triplets` ->
// Markdown tables shaped like the paper's (one per protocol; rows = models, columns = data sets).
//
//   {"protocol": "tagging", "model": {"name": "...", "hash": "...", "dir": "..."},
//    "dataset": "MTAT-50", "date": "2026-11-25T12:00:00Z", "macro_roc_auc": 0.81, ...}
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace mulan::eval {

// One result file, reduced to what the report shows.
struct RunResult {
  std::string file;        // where it was read from
  std::string protocol;    // "tagging" | "probe" | "retrieval" | "triplets"
  std::string model;       // model.name
  std::string model_hash;  // model.hash ("" when absent)
  std::string dataset;     // "MTAT-50", "Gen-25", ...
  std::string date;        // as written
  double time = 0;         // date in seconds since 1970-01-01 UTC: the newest result wins
  std::vector<std::optional<double>> values;  // the protocol's headline metrics (null -> none)
};

// Reads and checks a result file; throws mulan::Error naming the file and the field.
RunResult read_run(const std::string& path);
RunResult parse_run(const nlohmann::json& j, const std::string& path);

// "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)" -> seconds since the epoch (UTC); false if malformed.
bool parse_iso8601(const std::string& s, double* seconds);

// Columns in the paper's order: MTAT-50, MTAT-188, Gen-25, Mu-141, then the rest alphabetically.
std::vector<std::string> order_datasets(std::vector<std::string> names);

struct Report {
  std::string markdown;            // the whole document, notes included
  std::vector<std::string> notes;  // duplicates resolved, missing values
};

// One table per protocol present (tagging, probe, retrieval, triplets, in that order); a cell is
// the headline metric with 3 decimals ("AUC / mAP" for probe and retrieval), "–" when missing.
// Of several results for one (model, data set, protocol) the newest date wins, with a note.
Report make_report(const std::vector<RunResult>& runs);

}  // namespace mulan::eval
