// mulan eval report: result files -> the paper-shaped tables; cells, ordering, duplicates, and
// refusals of malformed files.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "mulan/eval_report.h"
#include "mulan/error.h"
#include "support/test_support.h"

namespace mulan {
namespace {
using nlohmann::json;
using test::run_cli;
using test::shell_quote;

using test::slurp;

json result(const std::string& protocol, const std::string& model, const std::string& dataset, const std::string& date,
            const json& metrics) {
  json j = {{"protocol", protocol},
            {"model", {{"dir", "/models/" + model}, {"name", model}, {"hash", "sha256:0123456789abcdef0123"}}},
            {"dataset", dataset},
            {"data", {{"manifest", "/data/" + dataset + "/manifest.jsonl"}}},
            {"date", date}};
  for (const auto& [k, v] : metrics.items()) j[k] = v;
  return j;
}

struct ReportFixture {
  test::TempDir dir;
  std::vector<std::string> files;
  std::string add(const std::string& name, const json& j) {
    const std::string path = dir.file(name);
    std::ofstream(path) << j.dump(2);
    files.push_back(path);
    return path;
  }
  test::CommandResult run(const std::string& out = "") const {
    std::string args = "eval report";
    for (const auto& f : files) args.append(" ").append(shell_quote(f));
    if (!out.empty()) args.append(" --out ").append(shell_quote(out));
    return run_cli(args);
  }
};

// The line of the table that starts with `prefix`, within the section titled `heading`.
std::string table_line(const std::string& md, const std::string& heading, const std::string& prefix) {
  const std::size_t h = md.find("## " + heading);
  if (h == std::string::npos) return "";
  const std::size_t end = md.find("\n## ", h + 1);
  const std::string section = md.substr(h, end == std::string::npos ? std::string::npos : end - h);
  std::istringstream in(section);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) == 0) return line;
  }
  return "";
}

TEST(EvalReport, TablesHaveModelsAsRowsAndDatasetsInThePapersOrder) {
  ReportFixture f;
  const std::string t = "2026-11-25T12:00:00Z";
  f.add("base-mu.json", result("tagging", "mulan-base", "Mu-141", t, {{"macro_roc_auc", 0.81234}, {"macro_pr_auc", 0.3}}));
  f.add("base-mtat.json", result("tagging", "mulan-base", "MTAT-50", t, {{"macro_roc_auc", 0.9}, {"macro_pr_auc", 0.4}}));
  f.add("tiny-gen.json", result("tagging", "mulan-tiny", "Gen-25", t, {{"macro_roc_auc", 0.6666}, {"macro_pr_auc", 0.2}}));
  f.add("base-b.json", result("tagging", "mulan-base", "Custom-B", t, {{"macro_roc_auc", 0.5}, {"macro_pr_auc", 0.1}}));
  f.add("tiny-a.json", result("tagging", "mulan-tiny", "custom-a", t, {{"macro_roc_auc", 0.55}, {"macro_pr_auc", 0.1}}));
  f.add("probe.json", result("probe", "mulan-base", "MTAT-50", t, {{"roc_auc", 0.9}, {"map", 0.45}}));
  f.add("retrieval.json", result("retrieval", "mulan-tiny", "Playlists", t,
                                 {{"roc_auc", 0.8049}, {"map", 0.1}, {"r_at_1", 0.01}, {"r_at_5", 0.05}, {"r_at_10", 0.1},
                                  {"median_rank", 40}}));
  f.add("triplets.json", result("triplets", "mulan-base", "AudioSet-triplets", t, {{"accuracy", 0.75}}));
  const std::string out = f.dir.file("TABLE.md");
  const auto r = f.run(out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, slurp(out));
  const std::string& md = r.out;

  EXPECT_EQ(table_line(md, "Zero-shot tagging (macro ROC-AUC)", "| Model"),
            "| Model | MTAT-50 | Gen-25 | Mu-141 | custom-a | Custom-B |");
  EXPECT_EQ(table_line(md, "Zero-shot tagging", "| mulan-base"), "| mulan-base | 0.900 | – | 0.812 | – | 0.500 |");
  EXPECT_EQ(table_line(md, "Zero-shot tagging", "| mulan-tiny"), "| mulan-tiny | – | 0.667 | – | 0.550 | – |");
  // Rows keep the order in which the models first appear.
  EXPECT_LT(md.find("| mulan-base |"), md.find("| mulan-tiny |"));

  EXPECT_EQ(table_line(md, "Linear probe (ROC-AUC / mAP)", "| Model"), "| Model | MTAT-50 |");
  EXPECT_EQ(table_line(md, "Linear probe", "| mulan-base"), "| mulan-base | 0.900 / 0.450 |");
  EXPECT_EQ(table_line(md, "Linear probe", "| mulan-tiny"), "");  // no probe result: no row
  EXPECT_EQ(table_line(md, "Text-to-music retrieval (ROC-AUC / mAP)", "| mulan-tiny"), "| mulan-tiny | 0.805 / 0.100 |");
  EXPECT_EQ(table_line(md, "Text triplet classification (accuracy)", "| mulan-base"), "| mulan-base | 0.750 |");
  // Protocols in the paper's order.
  EXPECT_LT(md.find("## Zero-shot tagging"), md.find("## Linear probe"));
  EXPECT_LT(md.find("## Linear probe"), md.find("## Text-to-music retrieval"));
  EXPECT_LT(md.find("## Text-to-music retrieval"), md.find("## Text triplet"));
  EXPECT_NE(md.find("- mulan-base: sha256:0123456789ab\n"), std::string::npos) << md;
  EXPECT_EQ(md.find("Notes:"), std::string::npos) << md;
}

TEST(EvalReport, ShortensBareHashesTooAndNotesAModelWithTwoHashes) {
  ReportFixture f;
  json a = result("tagging", "m", "MTAT-50", "2026-11-25T12:00:00Z", {{"macro_roc_auc", 0.5}});
  a["model"]["hash"] = "c90edabb2df5f36bbf2f729c25c1942e995dc7c6c7c7c293ae0629df816090a3";
  json b = result("tagging", "m", "Gen-25", "2026-11-25T12:00:00Z", {{"macro_roc_auc", 0.5}});
  f.add("a.json", a);
  f.add("b.json", b);
  const auto r = f.run();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("- m: c90edabb2df5 sha256:0123456789ab\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("model m: its results come from 2 different model hashes"), std::string::npos) << r.out;
}

TEST(EvalReport, TheNewestResultWinsWithANote) {
  ReportFixture f;
  // Given newest first, then an older one; the zone offset counts (13:00+02:00 is 11:00Z).
  const std::string newest = f.add("new.json", result("tagging", "m", "MTAT-50", "2026-11-25T12:00:00Z", {{"macro_roc_auc", 0.8}}));
  const std::string older = f.add("old.json", result("tagging", "m", "MTAT-50", "2026-11-25T13:00:00+02:00", {{"macro_roc_auc", 0.7}}));
  // For another data set the newer one comes last.
  f.add("gen-old.json", result("tagging", "m", "Gen-25", "2026-01-01T00:00:00Z", {{"macro_roc_auc", 0.1}}));
  const std::string gen_new = f.add("gen-new.json", result("tagging", "m", "Gen-25", "2026-01-01T00:00:01.5Z", {{"macro_roc_auc", 0.2}}));
  // The same model and data set under another protocol is not a duplicate.
  f.add("probe.json", result("probe", "m", "MTAT-50", "2020-01-01T00:00:00Z", {{"roc_auc", 0.5}, {"map", 0.5}}));
  const auto r = f.run();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(table_line(r.out, "Zero-shot tagging", "| m |"), "| m | 0.800 | 0.200 |");
  EXPECT_EQ(table_line(r.out, "Linear probe", "| m |"), "| m | 0.500 / 0.500 |");
  EXPECT_NE(r.out.find("Notes:"), std::string::npos);
  EXPECT_NE(r.out.find("2 results for m on MTAT-50 (tagging): kept " + newest + " (2026-11-25T12:00:00Z), the newest; ignored " +
                       older),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("kept " + gen_new), std::string::npos) << r.out;
}

TEST(EvalReport, NullMetricShowsAsDashWithANote) {
  ReportFixture f;
  f.add("a.json", result("retrieval", "m", "Playlists", "2026-11-25T12:00:00Z", {{"roc_auc", 0.9}, {"map", nullptr}}));
  const auto r = f.run();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(table_line(r.out, "Text-to-music retrieval", "| m |"), "| m | 0.900 / – |");
  EXPECT_NE(r.out.find("a metric is null"), std::string::npos) << r.out;
}

TEST(EvalReport, RefusesMalformedFilesNamingFileAndField) {
  const std::string t = "2026-11-25T12:00:00Z";
  struct Case {
    json j;
    std::string expect;
  };
  json no_dataset = result("tagging", "m", "X", t, {{"macro_roc_auc", 0.5}});
  no_dataset.erase("dataset");
  json no_name = result("tagging", "m", "X", t, {{"macro_roc_auc", 0.5}});
  no_name["model"].erase("name");
  const std::vector<Case> cases = {
      {no_dataset, "field 'dataset' missing"},
      {no_name, "field 'model.name' missing"},
      {result("tagging", "m", "X", t, {{"macro_pr_auc", 0.5}}), "field 'macro_roc_auc' missing (a tagging result has it)"},
      {result("probe", "m", "X", t, {{"roc_auc", 0.5}, {"map", "0.4"}}), "field 'map' must be a number (got \"0.4\")"},
      {result("triplets", "m", "X", t, {{"accuracy", 1.5}}), "field 'accuracy' must lie in [0, 1]"},
      {result("tagging", "m", "X", "25/11/2026", {{"macro_roc_auc", 0.5}}), "field 'date' is not an ISO 8601 time"},
      {result("tagging", "m", "X", "2026-11-25T12:00:00", {{"macro_roc_auc", 0.5}}), "field 'date' is not an ISO 8601 time"},
      {result("clustering", "m", "X", t, {{"macro_roc_auc", 0.5}}), "field 'protocol' must be tagging, probe, retrieval or triplets"},
      {json::array({1, 2}), "expected a JSON object"},
  };
  for (const Case& c : cases) {
    ReportFixture f;
    f.add("good.json", result("tagging", "m", "X", t, {{"macro_roc_auc", 0.5}}));
    const std::string bad = f.add("bad.json", c.j);
    const std::string out = f.dir.file("TABLE.md");
    const auto r = f.run(out);
    EXPECT_EQ(r.exit_code, 1) << c.expect;
    EXPECT_NE(r.err.find("'" + bad + "': " + c.expect), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_FALSE(std::filesystem::exists(out));
  }
  ReportFixture f;
  std::ofstream(f.dir.file("broken.json")) << "{\"protocol\": ";
  f.files.push_back(f.dir.file("broken.json"));
  auto r = f.run();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("broken.json': invalid JSON"), std::string::npos) << r.err;
  r = run_cli("eval report " + shell_quote(f.dir.file("absent.json")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("absent.json': cannot open"), std::string::npos) << r.err;
}

TEST(EvalReport, ParsesIso8601WithZones) {
  double a = 0, b = 0;
  ASSERT_TRUE(eval::parse_iso8601("1970-01-02T00:00:00Z", &a));
  EXPECT_DOUBLE_EQ(a, 86400.0);
  ASSERT_TRUE(eval::parse_iso8601("2026-11-25T12:00:00Z", &a));
  EXPECT_DOUBLE_EQ(a, 1795608000.0);  // date -u -d 2026-11-25T12:00:00Z +%s
  ASSERT_TRUE(eval::parse_iso8601("2026-11-25T14:30:00.25+02:30", &b));
  EXPECT_DOUBLE_EQ(b, a + 0.25);
  ASSERT_TRUE(eval::parse_iso8601("2000-02-29T00:00:00-01:00", &b));
  EXPECT_DOUBLE_EQ(b, 951782400.0 + 3600.0);
  EXPECT_FALSE(eval::parse_iso8601("2026-11-25", &a));
  EXPECT_FALSE(eval::parse_iso8601("2026-11-25T12:00:00", &a));
  EXPECT_FALSE(eval::parse_iso8601("2026-13-25T12:00:00Z", &a));
  EXPECT_FALSE(eval::parse_iso8601("2026-11-25T12:00:00Zjunk", &a));
}

TEST(EvalReport, OrdersDatasetsCanonicalFirstThenAlphabetically) {
  EXPECT_EQ(eval::order_datasets({"zeta", "Mu-141", "Alpha", "MTAT-188", "gen-25", "MTAT-50", "beta"}),
            (std::vector<std::string>{"MTAT-50", "MTAT-188", "gen-25", "Mu-141", "Alpha", "beta", "zeta"}));
}

}  // namespace
}  // namespace mulan
