// mulan report: one self-contained HTML page of a training run directory (train or
// pretrain-tagger): the metrics.jsonl series as line charts drawn here as inline SVG (no
// script, no network: the page opens offline), the run's settings (train.json, run.json), the
// last logged values and, for evaluation results (mulan eval ... --out R.json), their headline
// numbers and per-tag ROC-AUC as a sorted bar chart.
//
// The page also carries what it plots as data, for checks and other tools:
//  - <script type="application/json" id="mulan-report-data">: {"run_dir", "task", "series":
//    {SPLIT: {"step": [...], FIELD: [...]}} (every numeric field of every row, null where a row
//    lacks it or logged NaN), "charts": [{"id", "title", "series": ["SPLIT.FIELD", ...]}],
//    "evals": [{"file", "protocol", "tags": [{"tag", "roc_auc"}...] best first}]}.
//  - each chart's <svg class="chart"> has data-x-min/-max, data-y-min/-max (the axes' domain)
//    and data-plot="LEFT TOP WIDTH HEIGHT" (the plot area in SVG units); its lines are
//    <polyline data-series="SPLIT.FIELD" points="x,y ..."> (one per run of non-null values)
//    and its markers <circle data-series=... cx cy>.
//  - each per-tag bar is <rect class="bar" data-tag=... data-value=...>, in the drawn order.
// No LibTorch here.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mulan::train {

// Largest metrics.jsonl read (about a million rows) and largest evaluation result.
inline constexpr std::uint64_t kMaxMetricsBytes = std::uint64_t{256} << 20;
inline constexpr std::uint64_t kMaxEvalResultBytes = std::uint64_t{64} << 20;

struct RunReportOptions {
  std::string run_dir;                  // holds metrics.jsonl, train.json, run.json
  std::vector<std::string> eval_files;  // result JSON files of mulan eval
};

// The page. Throws mulan::Error with one line naming the file: a missing run directory or
// metrics.jsonl, a metrics.jsonl without rows, a malformed line ("metrics.jsonl:LINE: ..."), a
// malformed train.json / run.json / evaluation result. A last line without its newline that does
// not parse (a run being written or cut by a crash) is left out, and the page says so.
std::string make_run_report(const RunReportOptions& options);

// Text for HTML element content and attribute values: & < > " ' as character references.
std::string html_escape(std::string_view text);

// Axis ticks: a domain [lo, hi] widened to multiples of a 1-2-5 step, about `target` ticks.
struct AxisTicks {
  double lo = 0, hi = 1, step = 1;
  std::vector<double> ticks;
};
AxisTicks nice_ticks(double lo, double hi, int target = 5);
// A tick label: as many decimals as the step needs, scientific notation for tiny or huge ones.
std::string tick_label(double value, double step);

}  // namespace mulan::train
