#include "metrics/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "mulan/error.h"

namespace mulan::eval {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void check_sizes(std::size_t scores, std::size_t labels, const char* what) {
  if (scores != labels) {
    throw Error(std::string(what) + ": " + std::to_string(scores) + " scores but " + std::to_string(labels) +
                " labels");
  }
}

// Indices sorted by descending score, ties in index order (a stable sort).
std::vector<int64_t> descending_order(std::span<const double> scores) {
  for (std::size_t i = 0; i < scores.size(); ++i) {
    if (std::isnan(scores[i])) throw Error("metrics: score " + std::to_string(i) + " is NaN");
  }
  std::vector<int64_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return scores[a] > scores[b]; });
  return order;
}

// The points of sklearn's _binary_clf_curve: cumulative true and false positives at the end
// of each group of equal scores, in descending score order.
struct Curve {
  std::vector<double> tps, fps;
};

Curve clf_curve(std::span<const double> scores, std::span<const uint8_t> labels, const std::vector<int64_t>& order) {
  Curve c;
  double tp = 0, fp = 0;
  for (std::size_t i = 0; i < order.size(); ++i) {
    (labels[order[i]] ? tp : fp) += 1;
    if (i + 1 == order.size() || scores[order[i + 1]] != scores[order[i]]) {
      c.tps.push_back(tp);
      c.fps.push_back(fp);
    }
  }
  return c;
}

// Trapezoids from (0, 0) through every threshold's (fpr, tpr), as np.trapz over roc_curve.
double curve_roc_auc(const Curve& c) {
  const double p = c.tps.back(), n = c.fps.back();
  double area = 0, x0 = 0, y0 = 0;
  for (std::size_t i = 0; i < c.tps.size(); ++i) {
    const double x = c.fps[i] / n, y = c.tps[i] / p;
    area += (x - x0) * (y + y0) / 2;
    x0 = x;
    y0 = y;
  }
  return area;
}

// sum over thresholds of (R_n - R_{n-1}) P_n.
double curve_average_precision(const Curve& c) {
  const double p = c.tps.back();
  double ap = 0, prev_recall = 0;
  for (std::size_t i = 0; i < c.tps.size(); ++i) {
    const double recall = c.tps[i] / p, precision = c.tps[i] / (c.tps[i] + c.fps[i]);
    ap += (recall - prev_recall) * precision;
    prev_recall = recall;
  }
  return ap;
}

bool degenerate(std::span<const uint8_t> labels) {
  const auto pos = std::count_if(labels.begin(), labels.end(), [](uint8_t v) { return v != 0; });
  return pos == 0 || pos == static_cast<std::ptrdiff_t>(labels.size());
}

MacroResult macro(std::span<const double> scores, std::span<const uint8_t> labels, int64_t n, int64_t k,
                  std::optional<double> (*metric)(std::span<const double>, std::span<const uint8_t>)) {
  if (n < 0 || k < 0 || scores.size() != static_cast<std::size_t>(n * k)) {
    throw Error("metrics: scores hold " + std::to_string(scores.size()) + " values, not " + std::to_string(n) + " x " +
                std::to_string(k));
  }
  check_sizes(scores.size(), labels.size(), "metrics");
  MacroResult r;
  std::vector<double> s(static_cast<std::size_t>(n));
  std::vector<uint8_t> l(static_cast<std::size_t>(n));
  double sum = 0;
  for (int64_t j = 0; j < k; ++j) {
    for (int64_t i = 0; i < n; ++i) {
      s[i] = scores[i * k + j];
      l[i] = labels[i * k + j];
    }
    std::optional<double> v = metric(s, l);
    if (v) {
      sum += *v;
      ++r.used;
    } else {
      ++r.excluded;
    }
    r.per_column.push_back(v);
  }
  r.mean = r.used ? sum / r.used : kNaN;
  return r;
}

}  // namespace

std::optional<double> roc_auc(std::span<const double> scores, std::span<const uint8_t> labels) {
  check_sizes(scores.size(), labels.size(), "roc_auc");
  if (degenerate(labels)) return std::nullopt;
  return curve_roc_auc(clf_curve(scores, labels, descending_order(scores)));
}

std::optional<double> average_precision(std::span<const double> scores, std::span<const uint8_t> labels) {
  check_sizes(scores.size(), labels.size(), "average_precision");
  if (degenerate(labels)) return std::nullopt;
  return curve_average_precision(clf_curve(scores, labels, descending_order(scores)));
}

MacroResult macro_roc_auc(std::span<const double> scores, std::span<const uint8_t> labels, int64_t n, int64_t k) {
  return macro(scores, labels, n, k, &roc_auc);
}

MacroResult macro_average_precision(std::span<const double> scores, std::span<const uint8_t> labels, int64_t n,
                                    int64_t k) {
  return macro(scores, labels, n, k, &average_precision);
}

std::optional<QueryMetrics> query_metrics(std::span<const double> scores, std::span<const uint8_t> relevance) {
  check_sizes(scores.size(), relevance.size(), "query_metrics");
  if (degenerate(relevance)) return std::nullopt;
  QueryMetrics m;
  const std::vector<int64_t> order = descending_order(scores);  // one sort for every metric
  const Curve c = clf_curve(scores, relevance, order);
  m.roc_auc = curve_roc_auc(c);
  m.average_precision = curve_average_precision(c);
  double targets = 0, in_1 = 0, in_5 = 0, in_10 = 0;
  for (std::size_t rank = 0; rank < order.size(); ++rank) {
    if (!relevance[order[rank]]) continue;
    if (targets == 0) m.first_rank = static_cast<int64_t>(rank) + 1;
    targets += 1;
    in_1 += rank < 1;
    in_5 += rank < 5;
    in_10 += rank < 10;
  }
  m.r_at_1 = in_1 / targets;
  m.r_at_5 = in_5 / targets;
  m.r_at_10 = in_10 / targets;
  return m;
}

double median(std::vector<double> values) {
  if (values.empty()) return kNaN;
  std::sort(values.begin(), values.end());
  const std::size_t h = values.size() / 2;
  return values.size() % 2 ? values[h] : (values[h - 1] + values[h]) / 2;
}

RetrievalResult summarize_queries(const std::vector<std::optional<QueryMetrics>>& queries) {
  RetrievalResult r;
  std::vector<double> ranks;
  for (const auto& q : queries) {
    if (!q) {
      ++r.excluded;
      continue;
    }
    ++r.n_queries;
    r.roc_auc += q->roc_auc;
    r.map += q->average_precision;
    r.r_at_1 += q->r_at_1;
    r.r_at_5 += q->r_at_5;
    r.r_at_10 += q->r_at_10;
    ranks.push_back(static_cast<double>(q->first_rank));
  }
  const double n = r.n_queries ? r.n_queries : kNaN;
  r.roc_auc /= n;
  r.map /= n;
  r.r_at_1 /= n;
  r.r_at_5 /= n;
  r.r_at_10 /= n;
  r.median_rank = median(std::move(ranks));
  return r;
}

RetrievalResult retrieval_metrics(std::span<const double> scores, std::span<const uint8_t> relevance, int64_t q,
                                  int64_t n) {
  if (q < 0 || n < 0 || scores.size() != static_cast<std::size_t>(q * n)) {
    throw Error("retrieval_metrics: scores hold " + std::to_string(scores.size()) + " values, not " +
                std::to_string(q) + " x " + std::to_string(n));
  }
  check_sizes(scores.size(), relevance.size(), "retrieval_metrics");
  std::vector<std::optional<QueryMetrics>> per_query;
  for (int64_t i = 0; i < q; ++i) {
    per_query.push_back(query_metrics(scores.subspan(i * n, n), relevance.subspan(i * n, n)));
  }
  return summarize_queries(per_query);
}

std::optional<double> accuracy(std::span<const int64_t> predicted, std::span<const int64_t> truth) {
  if (predicted.size() != truth.size()) {
    throw Error("accuracy: " + std::to_string(predicted.size()) + " predictions but " + std::to_string(truth.size()) +
                " truths");
  }
  if (predicted.empty()) return std::nullopt;
  std::size_t right = 0;
  for (std::size_t i = 0; i < predicted.size(); ++i) right += predicted[i] == truth[i];
  return static_cast<double>(right) / static_cast<double>(predicted.size());
}

TripletResult triplet_accuracy(std::span<const double> sim_pos, std::span<const double> sim_neg) {
  check_sizes(sim_pos.size(), sim_neg.size(), "triplet_accuracy");
  TripletResult r;
  r.n = static_cast<int64_t>(sim_pos.size());
  for (std::size_t i = 0; i < sim_pos.size(); ++i) {
    if (std::isnan(sim_pos[i]) || std::isnan(sim_neg[i])) throw Error("triplet_accuracy: similarity is NaN");
    r.correct += sim_pos[i] > sim_neg[i];
    r.ties += sim_pos[i] == sim_neg[i];
  }
  r.accuracy = r.n ? static_cast<double>(r.correct) / static_cast<double>(r.n) : kNaN;
  return r;
}

}  // namespace mulan::eval
