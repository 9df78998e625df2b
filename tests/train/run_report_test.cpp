// mulan report: the page of a run directory made here with known values. What it plots is read
// back (the page's JSON data block, and the SVG lines, markers and bars mapped back through
// their axes) and compared with metrics.jsonl and the evaluation result; escaping; refusals.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "support/test_support.h"
#include "mulan/train_report.h"
#include "train/run_report_fixture.h"

namespace mulan::test {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

std::string q(const std::string& s) { return shell_quote(s); }

// The attribute `name` of an element's start tag, with character references undone.
std::string attr(const std::string& tag, const std::string& name) {
  const std::size_t a = tag.find(" " + name + "=\"");
  if (a == std::string::npos) return "";
  const std::size_t from = a + name.size() + 3, to = tag.find('"', from);
  const std::string v = tag.substr(from, to - from);
  std::string out;
  const std::pair<const char*, char> refs[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&#39;", '\''}};
  for (std::size_t i = 0; i < v.size();) {
    bool done = false;
    for (const auto& [ref, c] : refs) {
      if (v.compare(i, std::strlen(ref), ref) == 0) {
        out += c;
        i += std::strlen(ref);
        done = true;
        break;
      }
    }
    if (!done) out += v[i++];
  }
  return out;
}

// The start tags that begin "<PREFIX" (e.g. "circle ", "svg class=\"bars\""), in document order.
// (No std::regex: its recursion overflows the stack on long attributes.)
std::vector<std::string> start_tags(const std::string& html, const std::string& prefix) {
  std::vector<std::string> tags;
  for (std::size_t a = html.find("<" + prefix); a != std::string::npos; a = html.find("<" + prefix, a + 1)) {
    tags.push_back(html.substr(a, html.find('>', a) + 1 - a));
  }
  return tags;
}

// Each "<svg class=\"chart\" ...>...</svg>" of the page.
std::vector<std::string> chart_svgs(const std::string& html) {
  std::vector<std::string> out;
  for (std::size_t a = html.find("<svg class=\"chart\""); a != std::string::npos; a = html.find("<svg class=\"chart\"", a + 1)) {
    out.push_back(html.substr(a, html.find("</svg>", a) + 6 - a));
  }
  return out;
}

json page_data(const std::string& html) {
  const std::string open = "<script type=\"application/json\" id=\"mulan-report-data\">";
  const std::size_t a = html.find(open);
  if (a == std::string::npos) return nullptr;
  const std::size_t b = html.find("</script>", a);
  return json::parse(html.substr(a + open.size(), b - a - open.size()));
}

struct Report {
  TempDir dir;
  fs::path run;
  std::vector<json> rows;
  json eval;
  CommandResult result;
  std::string html;
};

// The fixture run, reported with the tagging result.
std::unique_ptr<Report> make_report(const std::string& extra = "") {
  auto r = std::make_unique<Report>();
  r->run = r->dir.path() / "run";
  r->rows = write_report_run(r->run);
  r->eval = write_tagging_result(r->dir.path() / "tagging.json");
  r->result = run_cli("report " + q(r->run.string()) + " --eval " + q(r->dir.file("tagging.json")) + extra);
  r->html = slurp(r->run / "report.html");
  return r;
}

TEST(RunReport, WritesTheDefaultPageAndPrintsItsPath) {
  const auto r = make_report();
  ASSERT_EQ(r->result.exit_code, 0) << r->result.err;
  EXPECT_EQ(r->result.out, (r->run / "report.html").string() + "\n");
  EXPECT_EQ(r->html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(r->html.find("</html>"), std::string::npos);
  // Self-contained: nothing fetched, nothing run.
  auto count = [&](const std::string& what) {
    std::size_t n = 0;
    for (std::size_t at = r->html.find(what); at != std::string::npos; at = r->html.find(what, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("http"), count("http://www.w3.org/2000/svg"));  // only the SVG namespace's name
  EXPECT_EQ(count("url("), 0u);
  EXPECT_EQ(r->html.find(" src="), std::string::npos);
  EXPECT_EQ(r->html.find("<link"), std::string::npos);
  EXPECT_EQ(start_tags(r->html, "script").size(), 1u);  // the JSON data block only
  // The settings: train.json and run.json fields, escaped.
  EXPECT_NE(r->html.find("<span class=\"k\">batch</span><span class=\"v\">16</span>"), std::string::npos);
  EXPECT_NE(r->html.find("/models/init &amp; &lt;co&gt;"), std::string::npos);
  EXPECT_NE(r->html.find("last step 60 of 60 (finished)"), std::string::npos);

  // --out elsewhere: the same page.
  TempDir other;
  const auto again = run_cli("report " + q(r->run.string()) + " --eval " + q(r->dir.file("tagging.json")) + " --out " + q(other.file("p.html")));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, other.file("p.html") + "\n");
  EXPECT_EQ(slurp(other.file("p.html")), r->html);
}

// Every numeric value of every row is in the data block, exactly (JSON numbers round-trip).
TEST(RunReport, DataBlockHoldsEveryLoggedValue) {
  const auto r = make_report();
  ASSERT_EQ(r->result.exit_code, 0) << r->result.err;
  const json data = page_data(r->html);
  ASSERT_TRUE(data.is_object());
  EXPECT_EQ(data["run_dir"], r->run.string());
  EXPECT_EQ(data["task"], "train");
  const json& series = data["series"];
  std::map<std::string, std::size_t> index;  // split -> row index
  std::size_t compared = 0;
  for (const json& row : r->rows) {
    const std::string split = row.value("split", "train");
    const std::size_t i = index[split]++;
    ASSERT_TRUE(series.contains(split)) << split;
    ASSERT_LT(i, series[split]["step"].size());
    EXPECT_EQ(series[split]["step"][i].get<double>(), row["step"].get<double>());
    for (const auto& [field, value] : row.items()) {
      if (field == "step" || field == "split") continue;
      ASSERT_TRUE(series[split].contains(field)) << split << "." << field;
      const json& got = series[split][field][i];
      if (value.is_null()) {
        EXPECT_TRUE(got.is_null()) << split << "." << field << " at row " << i;
        continue;
      }
      // Tolerance: none beyond double rounding (the page writes 17 significant digits).
      EXPECT_NEAR(got.get<double>(), value.get<double>(), 1e-15 * std::max(1.0, std::fabs(value.get<double>())))
          << split << "." << field << " at step " << row["step"];
      ++compared;
    }
  }
  EXPECT_EQ(compared, 12u * 9 - 1 + 3u * 6);  // 12 train rows x 9 fields (one null), 3 val rows x 6
  for (const auto& [split, n] : index) EXPECT_EQ(series[split]["step"].size(), n) << split;

  // The charts drawn, in the page's order: a tagger-only chart or one of a constant field is not.
  std::vector<std::string> ids;
  for (const json& c : data["charts"]) ids.push_back(c["id"]);
  EXPECT_EQ(ids, (std::vector<std::string>{"train-loss", "val-loss", "val-retrieval", "val-rank", "tau", "lr", "throughput",
                                           "data-wait", "elapsed"}));
  EXPECT_NE(r->html.find("train.bad_recordings = 0, train.skipped_steps = 0, val.pairs = 12"), std::string::npos);
}

// The lines and markers of each chart, mapped back through its axes, are the logged values; each
// non-null value is drawn and nothing else is. Tolerance: coordinates are written to 0.01 units,
// so a value is off by at most 0.005 units of the plot's height (0.006 allowed).
TEST(RunReport, ChartLinesPlotTheLoggedValues) {
  const auto r = make_report();
  ASSERT_EQ(r->result.exit_code, 0) << r->result.err;
  std::map<std::string, std::map<double, double>> expected;  // "split.field" -> step -> value
  for (const json& row : r->rows) {
    const std::string split = row.value("split", "train");
    for (const auto& [field, value] : row.items()) {
      if (value.is_number() && field != "step") expected[split + "." + field][row["step"].get<double>()] = value.get<double>();
    }
  }
  std::set<std::string> drawn;
  int charts = 0;
  for (const std::string& svg : chart_svgs(r->html)) {
    ++charts;
    const std::string head = start_tags(svg, "svg").at(0);
    const double x0 = std::stod(attr(head, "data-x-min")), x1 = std::stod(attr(head, "data-x-max"));
    const double y0 = std::stod(attr(head, "data-y-min")), y1 = std::stod(attr(head, "data-y-max"));
    double left, top, width, height;
    ASSERT_EQ(std::sscanf(attr(head, "data-plot").c_str(), "%lf %lf %lf %lf", &left, &top, &width, &height), 4) << head;
    EXPECT_EQ(x0, 0);
    EXPECT_EQ(x1, 60);
    const double x_tol = 0.006 * (x1 - x0) / width, y_tol = 0.006 * (y1 - y0) / height;
    std::map<std::string, std::set<double>> steps_drawn;
    auto check = [&](const std::string& key, double px, double py) {
      const double step = x0 + (px - left) / width * (x1 - x0);
      const double value = y0 + (top + height - py) / height * (y1 - y0);
      const auto& want = expected[key];
      const auto found = std::find_if(want.begin(), want.end(), [&](const auto& kv) { return std::fabs(kv.first - step) <= x_tol; });
      ASSERT_NE(found, want.end()) << key << ": a point at step " << step << " that was not logged";
      EXPECT_NEAR(value, found->second, y_tol) << key << " at step " << found->first;
      EXPECT_GE(value, y0 - y_tol);  // inside the axes
      EXPECT_LE(value, y1 + y_tol);
      steps_drawn[key].insert(found->first);
    };
    for (const std::string& pl : start_tags(svg, "polyline ")) {
      const std::string key = attr(pl, "data-series");
      std::istringstream points(attr(pl, "points"));
      int n = 0;
      for (std::string p; points >> p; ++n) {
        double px, py;
        ASSERT_EQ(std::sscanf(p.c_str(), "%lf,%lf", &px, &py), 2) << p;
        check(key, px, py);
      }
      EXPECT_GE(n, 2) << key;
    }
    for (const std::string& c : start_tags(svg, "circle ")) check(attr(c, "data-series"), std::stod(attr(c, "cx")), std::stod(attr(c, "cy")));
    for (const auto& [key, steps] : steps_drawn) {
      EXPECT_EQ(steps.size(), expected[key].size()) << key << ": every logged value is drawn";
      drawn.insert(key);
    }
  }
  EXPECT_EQ(charts, 9);
  EXPECT_EQ(drawn, (std::set<std::string>{"train.loss", "train.loss_mean", "train.tau", "train.lr", "train.pairs_per_s", "train.data_wait",
                                          "train.elapsed_s", "val.loss", "val.chance_loss", "val.r_at_10", "val.map", "val.median_rank"}));
}

// The bars: every scored tag, by ROC-AUC from the best (ties by name), each the length of its value.
TEST(RunReport, TagBarsAreSortedByRocAuc) {
  const auto r = make_report();
  ASSERT_EQ(r->result.exit_code, 0) << r->result.err;
  std::vector<std::pair<std::string, double>> want;
  for (const auto& [tag, v] : r->eval["tags"].items()) {
    if (v["roc_auc"].is_number()) want.emplace_back(tag, v["roc_auc"].get<double>());
  }
  std::sort(want.begin(), want.end(), [](const auto& a, const auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; });
  ASSERT_EQ(want.size(), 11u);

  const auto svgs = start_tags(r->html, "svg class=\"bars\"");
  ASSERT_EQ(svgs.size(), 1u);
  double left, top, width, height;
  ASSERT_EQ(std::sscanf(attr(svgs[0], "data-plot").c_str(), "%lf %lf %lf %lf", &left, &top, &width, &height), 4);
  const auto bars = start_tags(r->html, "rect class=\"bar");
  ASSERT_EQ(bars.size(), want.size());
  for (std::size_t i = 0; i < bars.size(); ++i) {
    EXPECT_EQ(attr(bars[i], "data-tag"), want[i].first) << "bar " << i;
    EXPECT_EQ(std::stod(attr(bars[i], "data-value")), want[i].second) << "bar " << i;
    EXPECT_NEAR(std::stod(attr(bars[i], "width")) / width, want[i].second, 0.006 / width) << want[i].first;
    if (i) {
      EXPECT_GE(std::stod(attr(bars[i - 1], "data-value")), std::stod(attr(bars[i], "data-value")));
    }
  }
  // The data block: the same order, then the unscored tag; the page names it.
  const json data = page_data(r->html);
  ASSERT_EQ(data["evals"].size(), 1u);
  const json& tags = data["evals"][0]["tags"];
  ASSERT_EQ(tags.size(), 12u);
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(tags[i]["tag"], want[i].first);
    EXPECT_EQ(tags[i]["roc_auc"].get<double>(), want[i].second);
  }
  EXPECT_EQ(tags[11]["tag"], "never heard");
  EXPECT_TRUE(tags[11]["roc_auc"].is_null());
  EXPECT_NE(r->html.find("Not scored (no positive or no negative recording): never heard"), std::string::npos);
  EXPECT_NE(r->html.find("macro 0.700"), std::string::npos);
}

TEST(RunReport, TextFromFilesIsEscaped) {
  const auto r = make_report();
  ASSERT_EQ(r->result.exit_code, 0) << r->result.err;
  EXPECT_EQ(r->html.find(kHostileTag), std::string::npos);
  EXPECT_EQ(r->html.find("alert(1)</"), std::string::npos);
  EXPECT_NE(r->html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  // In the JSON block as \u escapes, and intact once parsed.
  EXPECT_NE(r->html.find("\\u003cscript\\u003ealert(1)\\u003c/script\\u003e"), std::string::npos);
  const json data = page_data(r->html);
  bool found = false;
  for (const json& t : data["evals"][0]["tags"]) found = found || t["tag"] == kHostileTag;
  EXPECT_TRUE(found);
  // A field name and a split from metrics.jsonl too.
  std::ofstream(r->run / "metrics.jsonl", std::ios::app) << R"({"step": 61, "split": "a\"b<i>", "x<b>&": 1})" << "\n"
                                                          << R"({"step": 62, "split": "a\"b<i>", "x<b>&": 2})" << "\n";
  const auto again = run_cli("report " + q(r->run.string()));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  const std::string html = slurp(r->run / "report.html");
  EXPECT_EQ(html.find("<i>"), std::string::npos);
  EXPECT_EQ(html.find("<b>"), std::string::npos);
  EXPECT_NE(html.find("a&quot;b&lt;i&gt; x&lt;b&gt;&amp;"), std::string::npos);  // the chart's title
  EXPECT_EQ(page_data(html)["series"]["a\"b<i>"]["x<b>&"], json::array({1.0, 2.0}));
}

TEST(RunReport, PretrainTaggerRun) {
  TempDir dir;
  const fs::path run = dir.path() / "tagger-run";
  fs::create_directories(run);
  // The fields tagger_trainer.cpp writes.
  std::ofstream m(run / "metrics.jsonl");
  for (int s = 10; s <= 40; s += 10) {
    m << json({{"step", s}, {"loss", 0.7 - 0.01 * s}, {"lr", 0.001 * s / 40}, {"pairs_per_s", 30 + s}, {"data_wait", 0.01 * s / 10},
               {"skipped_steps", s == 40 ? 1 : 0}})
             .dump()
      << "\n";
  }
  m << json({{"split", "val"}, {"step", 40}, {"loss", 0.5}, {"macro_roc_auc", 0.81}, {"macro_map", 0.4}, {"labels_used", 3},
             {"labels_excluded", 0}})
           .dump()
    << "\n";
  m.close();
  std::ofstream(run / "run.json") << R"({"task": "pretrain-tagger", "model": "m", "data": "d", "labels": "l.txt"})";
  std::ofstream(run / "train.json") << R"({"steps": 100, "batch": 8})";
  const auto r = run_cli("report " + q(run.string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string html = slurp(run / "report.html");
  const json data = page_data(html);
  EXPECT_EQ(data["task"], "pretrain-tagger");
  std::vector<std::string> ids;
  for (const json& c : data["charts"]) ids.push_back(c["id"]);
  EXPECT_EQ(ids, (std::vector<std::string>{"train-loss", "val-loss", "val-tagging", "lr", "throughput", "data-wait", "field-train-skipped_steps"}));
  EXPECT_EQ(data["charts"][0]["series"], json::array({"train.loss"}));
  EXPECT_EQ(data["series"]["val"]["macro_roc_auc"], json::array({0.81}));
  EXPECT_NE(html.find("mulan pretrain-tagger"), std::string::npos);
  EXPECT_NE(html.find("last step 40 of 100 (not finished)"), std::string::npos);
  EXPECT_EQ(html.find("id=\"chart-tau\""), std::string::npos);
  EXPECT_EQ(html.find("loss_mean"), std::string::npos);  // not even the training loss chart's note about it
}

// An interrupted last line (no newline) is left out and the page says so.
TEST(RunReport, UnfinishedLastLineIsLeftOut) {
  TempDir dir;
  const fs::path run = dir.path() / "run";
  write_report_run(run);
  std::ofstream(run / "metrics.jsonl", std::ios::app) << R"({"step": 65, "loss": 0.)";
  const auto r = run_cli("report " + q(run.string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string html = slurp(run / "report.html");
  EXPECT_NE(html.find("line 16 of metrics.jsonl is unfinished"), std::string::npos);
  EXPECT_EQ(page_data(html)["series"]["train"]["step"].size(), 12u);
}

struct Refusal {
  std::string name;
  std::function<std::string(const fs::path& run, const fs::path& dir)> setup;  // returns extra arguments
  std::string message;  // expected in the one line on stderr
};

TEST(RunReport, RefusalsNameTheFile) {
  const std::vector<Refusal> cases = {
      {"no directory", [](const fs::path& run, const fs::path&) { fs::remove_all(run); return ""; }, "run': no such run directory"},
      {"no metrics", [](const fs::path& run, const fs::path&) { fs::remove(run / "metrics.jsonl"); return ""; },
       "metrics.jsonl': missing: not a run directory"},
      {"empty metrics", [](const fs::path& run, const fs::path&) { std::ofstream(run / "metrics.jsonl").close(); return ""; },
       "metrics.jsonl': is empty: the run has not logged a step yet"},
      {"malformed line",
       [](const fs::path& run, const fs::path&) {
         std::ofstream(run / "metrics.jsonl") << "{\"step\": 5, \"loss\": 1}\n{\"step\": 10}\n{\"step\": 15, \"loss\": }\n{\"step\": 20}\n";
         return "";
       },
       "metrics.jsonl:3': not valid JSON"},
      {"blank line",
       [](const fs::path& run, const fs::path&) {
         std::ofstream(run / "metrics.jsonl") << "{\"step\": 5, \"loss\": 1}\n\n{\"step\": 10}\n";
         return "";
       },
       "metrics.jsonl:2': empty line"},
      {"no step",
       [](const fs::path& run, const fs::path&) {
         std::ofstream(run / "metrics.jsonl") << "{\"step\": 5}\n{\"loss\": 1}\n";
         return "";
       },
       "metrics.jsonl:2': no \"step\""},
      {"not an object", [](const fs::path& run, const fs::path&) { std::ofstream(run / "metrics.jsonl") << "[1, 2]\n"; return ""; },
       "metrics.jsonl:1': not a JSON object"},
      {"bad train.json", [](const fs::path& run, const fs::path&) { std::ofstream(run / "train.json") << "{\"steps\": "; return ""; },
       "train.json': not valid JSON"},
      {"bad run.json", [](const fs::path& run, const fs::path&) { std::ofstream(run / "run.json") << "[]"; return ""; },
       "run.json': not a JSON object"},
      {"missing eval", [](const fs::path&, const fs::path& dir) { return " --eval " + q((dir / "nope.json").string()); },
       "nope.json': no such file"},
      {"not an eval result",
       [](const fs::path&, const fs::path& dir) {
         std::ofstream(dir / "x.json") << R"({"macro_roc_auc": 0.5})";
         return " --eval " + q((dir / "x.json").string());
       },
       "x.json': not a result of mulan eval"},
      {"bad tags",
       [](const fs::path&, const fs::path& dir) {
         std::ofstream(dir / "t.json") << R"({"protocol": "tagging", "tags": {"rock": {"roc_auc": "high"}}})";
         return " --eval " + q((dir / "t.json").string());
       },
       "t.json': tags.rock: no \"roc_auc\""},
  };
  for (const Refusal& c : cases) {
    TempDir dir;
    const fs::path run = dir.path() / "run";
    write_report_run(run);
    const std::string extra = c.setup(run, dir.path());
    const auto r = run_cli("report " + q(run.string()) + extra);
    EXPECT_EQ(r.exit_code, 1) << c.name << ": " << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.name << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << c.name << ": " << r.err;
    EXPECT_EQ(r.err.rfind("mulan: error: ", 0), 0u) << c.name << ": " << r.err;
    EXPECT_FALSE(fs::exists(run / "report.html")) << c.name;
  }
  const auto usage = run_cli("report");
  EXPECT_EQ(usage.exit_code, 2) << usage.err;
}

TEST(RunReport, AxisTicksAndLabels) {
  using train::nice_ticks;
  using train::tick_label;
  auto t = nice_ticks(0.83, 4.97, 5);
  EXPECT_DOUBLE_EQ(t.step, 1);
  EXPECT_DOUBLE_EQ(t.lo, 0);
  EXPECT_DOUBLE_EQ(t.hi, 5);
  EXPECT_EQ(t.ticks.size(), 6u);
  t = nice_ticks(0, 0.002, 5);
  EXPECT_NEAR(t.step, 0.0005, 1e-18);
  EXPECT_EQ(tick_label(t.ticks[1], t.step), "0.0005");
  EXPECT_EQ(tick_label(0.0015, 0.0005), "0.0015");
  t = nice_ticks(0, 1200, 6);
  EXPECT_DOUBLE_EQ(t.step, 200);
  EXPECT_EQ(tick_label(1200, 200), "1200");
  t = nice_ticks(-0.3, 0.3, 5);
  for (double v : t.ticks) EXPECT_NE(tick_label(v, t.step), "-0.0");
  EXPECT_EQ(tick_label(2e-6, 1e-6), "2.0e-6");
  // One format along an axis: 0 to 3e-4 in steps of 5e-5.
  t = nice_ticks(0, 0.0003, 6);
  std::vector<std::string> labels;
  for (double v : t.ticks) labels.push_back(tick_label(v, t.step));
  EXPECT_EQ(labels, (std::vector<std::string>{"0", "5.0e-5", "1.0e-4", "1.5e-4", "2.0e-4", "2.5e-4", "3.0e-4"}));
  EXPECT_EQ(tick_label(-0.25, 0.05), "-0.25");
  EXPECT_EQ(tick_label(3e7, 1e7), "3.0e7");
  t = nice_ticks(5, 5, 5);  // one value: a band around it
  EXPECT_LT(t.lo, 5);
  EXPECT_GT(t.hi, 5);
  EXPECT_EQ(train::html_escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
}

}  // namespace
}  // namespace mulan::test
