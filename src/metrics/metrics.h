// Evaluation metrics, without LibTorch: plain vectors of scores and 0/1 labels.
//
// Definitions (the four protocols of docs/mulan-spec.md 4 report these):
//
// - ROC-AUC: the area under the ROC curve, computed as sklearn.metrics.roc_auc_score does:
//   scores sorted in descending order, equal scores grouped into one threshold (so a tied
//   positive/negative pair counts one half), the curve's points joined by the trapezoid rule.
// - PR-AUC = average precision, as sklearn.metrics.average_precision_score: the step function
//   sum over thresholds t (one per distinct score, ties grouped) of (R(t) - R(t_prev)) * P(t),
//   no interpolation.
// - A column (a tag, or a query) with no positive or no negative example has neither; it is
//   left out of every mean and counted (`excluded`). Both metrics exclude the same columns.
// - Macro: the mean over the columns that are not excluded. mAP: macro average precision.
// - Retrieval, per query over N candidates: the candidates are ranked by descending score,
//   ties broken by candidate order (the earlier candidate ranks higher). R@K = the fraction of
//   the query's targets among the first K (K = 1, 5, 10; all of them when N < K); the first
//   rank = the 1-based rank of the best-ranked target. Reported: ROC-AUC, AP, R@K averaged
//   over queries, and the median (numpy's: the mean of the two middle values for an even
//   count) of the first ranks. Queries without a target or with every candidate a target are
//   excluded and counted.
// - Accuracy: the fraction of predictions equal to the truth. Triplet accuracy: the fraction
//   of triplets with cos(anchor, pos) > cos(anchor, neg); a tie counts as wrong.
//
// Scores must not be NaN (mulan::Error otherwise). Matrices are row-major vectors.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace mulan::eval {

// Binary metrics of one column; nullopt when labels hold no positive or no negative.
std::optional<double> roc_auc(std::span<const double> scores, std::span<const uint8_t> labels);
std::optional<double> average_precision(std::span<const double> scores, std::span<const uint8_t> labels);

struct MacroResult {
  double mean = 0.0;  // over the columns used; NaN when none is
  int used = 0;       // columns with a value
  int excluded = 0;   // columns without a positive or without a negative
  std::vector<std::optional<double>> per_column;
};

// scores, labels: [n, k] row-major (n examples, k columns, e.g. recordings x tags).
MacroResult macro_roc_auc(std::span<const double> scores, std::span<const uint8_t> labels, int64_t n, int64_t k);
MacroResult macro_average_precision(std::span<const double> scores, std::span<const uint8_t> labels, int64_t n,
                                    int64_t k);

// One retrieval query over its candidates.
struct QueryMetrics {
  double roc_auc = 0.0;
  double average_precision = 0.0;
  double r_at_1 = 0.0, r_at_5 = 0.0, r_at_10 = 0.0;
  int64_t first_rank = 0;  // 1-based
};
// nullopt when relevance holds no positive or no negative.
std::optional<QueryMetrics> query_metrics(std::span<const double> scores, std::span<const uint8_t> relevance);

struct RetrievalResult {
  double roc_auc = 0.0;                              // mean over queries
  double map = 0.0;                                  // mean average precision over queries
  double r_at_1 = 0.0, r_at_5 = 0.0, r_at_10 = 0.0;  // means over queries
  double median_rank = 0.0;                          // median over queries of the first target's 1-based rank
  int n_queries = 0;                                 // queries used
  int excluded = 0;                                  // queries without a target or without a non-target
};
// Means and median over per-query results (nullopt = an excluded query). NaN means when no
// query is used.
RetrievalResult summarize_queries(const std::vector<std::optional<QueryMetrics>>& queries);
// scores, relevance: [q, n] row-major (queries x candidates).
RetrievalResult retrieval_metrics(std::span<const double> scores, std::span<const uint8_t> relevance, int64_t q,
                                  int64_t n);

// The fraction of predicted[i] == truth[i]; nullopt when empty.
std::optional<double> accuracy(std::span<const int64_t> predicted, std::span<const int64_t> truth);

struct TripletResult {
  double accuracy = 0.0;  // correct / n (NaN when n == 0)
  int64_t n = 0, correct = 0, ties = 0;
};
// sim_pos[i] = cos(anchor_i, pos_i), sim_neg[i] = cos(anchor_i, neg_i).
TripletResult triplet_accuracy(std::span<const double> sim_pos, std::span<const double> sim_neg);

// The median of values, numpy's way; NaN when empty.
double median(std::vector<double> values);

}  // namespace mulan::eval
