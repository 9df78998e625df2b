// The evaluation metrics against sklearn (python3-sklearn, numpy) on random inputs with ties,
// and a few hand-worked cases. Tolerance 1e-9: both sides compute in float64.
#include "metrics/metrics.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "mulan/error.h"
#include "mulan/npy.h"
#include "mulan/random.h"
#include "support/test_support.h"

namespace mulan::eval {
namespace {

using nlohmann::json;
constexpr double kTol = 1e-9;

void save_doubles(const std::string& path, const std::vector<double>& v, int64_t rows, int64_t cols) {
  write_npy(path, torch::tensor(v, torch::kFloat64).reshape({rows, cols}));
}
void save_labels(const std::string& path, const std::vector<uint8_t>& v, int64_t rows, int64_t cols) {
  std::vector<int64_t> w(v.begin(), v.end());
  write_npy(path, torch::tensor(w, torch::kInt64).reshape({rows, cols}));
}

json python(const std::string& args, const std::string& out) {
  const auto r = test::run_python("metrics_reference.py", args + " " + test::shell_quote(out));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return json::parse(std::ifstream(out));
}

// Scores rounded to one decimal (many ties) or continuous; each column's positive rate drawn
// from {0, 0.05, 0.3, 0.5, 1} so that some columns are degenerate.
struct RandomProblem {
  std::vector<double> scores;
  std::vector<uint8_t> labels;
};
RandomProblem random_problem(Rng& rng, int64_t n, int64_t k, bool ties) {
  static const double kRates[] = {0.0, 0.05, 0.3, 0.5, 1.0};
  std::vector<double> rate(k);
  for (auto& r : rate) r = kRates[rng.uniform_int(0, 4)];
  RandomProblem p;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < k; ++j) {
      const uint8_t y = rng.uniform() < rate[j];
      double s = rng.uniform() + 0.3 * y;  // informative but imperfect
      if (ties) s = std::round(s * 10) / 10;
      p.scores.push_back(s);
      p.labels.push_back(y);
    }
  }
  return p;
}

void expect_close(const json& want, const std::optional<double>& got, const std::string& what) {
  if (want.is_null()) {
    EXPECT_FALSE(got.has_value()) << what;
  } else {
    ASSERT_TRUE(got.has_value()) << what;
    EXPECT_NEAR(*got, want.get<double>(), kTol) << what;
  }
}

TEST(Metrics, HandWorkedExamplesOfSklearnsDocumentation) {
  const std::vector<double> s = {0.1, 0.4, 0.35, 0.8};
  const std::vector<uint8_t> y = {0, 0, 1, 1};
  EXPECT_NEAR(*roc_auc(s, y), 0.75, 1e-15);
  EXPECT_NEAR(*average_precision(s, y), 0.8333333333333333, 1e-15);
  // A tied positive/negative pair counts one half.
  EXPECT_NEAR(*roc_auc(std::vector<double>{0.5, 0.5}, std::vector<uint8_t>{0, 1}), 0.5, 1e-15);
  EXPECT_FALSE(roc_auc(std::vector<double>{0.1, 0.2}, std::vector<uint8_t>{1, 1}).has_value());
  EXPECT_FALSE(average_precision(std::vector<double>{0.1, 0.2}, std::vector<uint8_t>{0, 0}).has_value());
  EXPECT_THROW(roc_auc(std::vector<double>{NAN, 0.2}, std::vector<uint8_t>{0, 1}), Error);
  EXPECT_THROW(roc_auc(std::vector<double>{0.1}, std::vector<uint8_t>{0, 1}), Error);
}

TEST(Metrics, RankingBreaksTiesByCandidateOrder) {
  // All scores equal: candidate 0 ranks first, so the target at index 2 has rank 3.
  const auto m = query_metrics(std::vector<double>{1, 1, 1, 1}, std::vector<uint8_t>{0, 0, 1, 0});
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->first_rank, 3);
  EXPECT_EQ(m->r_at_1, 0.0);
  EXPECT_EQ(m->r_at_5, 1.0);
  EXPECT_NEAR(m->roc_auc, 0.5, 1e-15);
  EXPECT_EQ(median({3, 1, 2, 10}), 2.5);
  EXPECT_EQ(median({3, 1, 2}), 2.0);
  EXPECT_TRUE(std::isnan(median({})));
}

TEST(Metrics, TripletTiesCountAsWrong) {
  const TripletResult r = triplet_accuracy(std::vector<double>{0.9, 0.5, 0.2}, std::vector<double>{0.1, 0.5, 0.3});
  EXPECT_EQ(r.n, 3);
  EXPECT_EQ(r.correct, 1);
  EXPECT_EQ(r.ties, 1);
  EXPECT_NEAR(r.accuracy, 1.0 / 3, 1e-15);
}

TEST(Metrics, RocAucAndAveragePrecisionMatchSklearnWithTiesAndDegenerateColumns) {
  test::TempDir dir;
  Rng rng(7);
  int degenerate = 0;
  for (auto [n, k] : std::vector<std::pair<int64_t, int64_t>>{{2, 3}, {7, 5}, {40, 8}, {333, 12}, {2000, 4}}) {
    for (bool ties : {true, false}) {
      const RandomProblem p = random_problem(rng, n, k, ties);
      save_doubles(dir.file("s.npy"), p.scores, n, k);
      save_labels(dir.file("y.npy"), p.labels, n, k);
      const json want = python("binary " + dir.file("s.npy") + " " + dir.file("y.npy"), dir.file("out.json"));
      const MacroResult auc = macro_roc_auc(p.scores, p.labels, n, k);
      const MacroResult ap = macro_average_precision(p.scores, p.labels, n, k);
      const std::string what = "n=" + std::to_string(n) + " k=" + std::to_string(k) + (ties ? " ties" : "");
      for (int64_t j = 0; j < k; ++j) {
        expect_close(want["roc_auc"][j], auc.per_column[j], what + " roc col " + std::to_string(j));
        expect_close(want["ap"][j], ap.per_column[j], what + " ap col " + std::to_string(j));
      }
      EXPECT_EQ(auc.used, want["used"].get<int>()) << what;
      EXPECT_EQ(auc.excluded, want["excluded"].get<int>()) << what;
      EXPECT_EQ(ap.excluded, auc.excluded) << what;
      degenerate += auc.excluded;
      if (auc.used) {
        EXPECT_NEAR(auc.mean, want["macro_roc_auc"].get<double>(), kTol) << what;
        EXPECT_NEAR(ap.mean, want["macro_ap"].get<double>(), kTol) << what;
      } else {
        EXPECT_TRUE(std::isnan(auc.mean)) << what;
      }
    }
  }
  EXPECT_GT(degenerate, 0);  // the exclusion path was exercised
}

TEST(Metrics, RetrievalMetricsMatchSklearnAndNumpyWithTies) {
  test::TempDir dir;
  Rng rng(11);
  for (auto [q, n] : std::vector<std::pair<int64_t, int64_t>>{{3, 4}, {10, 30}, {25, 200}, {6, 1500}}) {
    RandomProblem p = random_problem(rng, q, n, /*ties=*/true);  // rows = queries here
    // A few targets per query, one query without any and one where everything is a target.
    for (int64_t i = 0; i < q; ++i) {
      for (int64_t j = 0; j < n; ++j) p.labels[i * n + j] = i == 0 ? 0 : i == 1 ? 1 : rng.uniform() < 0.1;
    }
    save_doubles(dir.file("s.npy"), p.scores, q, n);
    save_labels(dir.file("r.npy"), p.labels, q, n);
    const json want = python("retrieval " + dir.file("s.npy") + " " + dir.file("r.npy"), dir.file("out.json"));
    const std::string what = "q=" + std::to_string(q) + " n=" + std::to_string(n);
    for (int64_t i = 0; i < q; ++i) {
      const auto m = query_metrics(std::span<const double>(p.scores).subspan(i * n, n),
                                   std::span<const uint8_t>(p.labels).subspan(i * n, n));
      const json& w = want["queries"][i];
      ASSERT_EQ(m.has_value(), !w.is_null()) << what << " query " << i;
      if (!m) continue;
      EXPECT_NEAR(m->roc_auc, w["roc_auc"].get<double>(), kTol) << what;
      EXPECT_NEAR(m->average_precision, w["ap"].get<double>(), kTol) << what;
      EXPECT_NEAR(m->r_at_1, w["r_at_1"].get<double>(), kTol) << what;
      EXPECT_NEAR(m->r_at_5, w["r_at_5"].get<double>(), kTol) << what;
      EXPECT_NEAR(m->r_at_10, w["r_at_10"].get<double>(), kTol) << what;
      EXPECT_EQ(m->first_rank, w["first_rank"].get<int64_t>()) << what;
    }
    const RetrievalResult r = retrieval_metrics(p.scores, p.labels, q, n);
    EXPECT_EQ(r.n_queries, want["n_queries"].get<int>()) << what;
    EXPECT_EQ(r.excluded, 2) << what;
    EXPECT_EQ(r.excluded, want["excluded"].get<int>()) << what;
    if (r.n_queries == 0) continue;
    EXPECT_NEAR(r.roc_auc, want["roc_auc"].get<double>(), kTol) << what;
    EXPECT_NEAR(r.map, want["ap"].get<double>(), kTol) << what;
    EXPECT_NEAR(r.r_at_1, want["r_at_1"].get<double>(), kTol) << what;
    EXPECT_NEAR(r.r_at_5, want["r_at_5"].get<double>(), kTol) << what;
    EXPECT_NEAR(r.r_at_10, want["r_at_10"].get<double>(), kTol) << what;
    EXPECT_NEAR(r.median_rank, want["median_rank"].get<double>(), kTol) << what;
  }
}

TEST(Metrics, AccuracyMatchesSklearn) {
  test::TempDir dir;
  Rng rng(3);
  for (int64_t n : {1, 9, 500}) {
    std::vector<int64_t> pred, truth;
    for (int64_t i = 0; i < n; ++i) {
      pred.push_back(rng.uniform_int(0, 3));
      truth.push_back(rng.uniform_int(0, 3));
    }
    write_npy(dir.file("p.npy"), torch::tensor(pred, torch::kInt64));
    write_npy(dir.file("t.npy"), torch::tensor(truth, torch::kInt64));
    const json want = python("accuracy " + dir.file("p.npy") + " " + dir.file("t.npy"), dir.file("out.json"));
    EXPECT_NEAR(*accuracy(pred, truth), want["accuracy"].get<double>(), kTol) << n;
  }
  EXPECT_FALSE(accuracy(std::vector<int64_t>{}, std::vector<int64_t>{}).has_value());
}

}  // namespace
}  // namespace mulan::eval
