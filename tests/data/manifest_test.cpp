#include <gtest/gtest.h>

#include <fstream>

#include "mulan/manifest.h"
#include "mulan/error.h"
#include "support/test_support.h"

namespace mulan::data {
namespace {

using test::write_text;

TEST(Manifest, ReadsRowsResolvesPathsAndSkipsBadRowsWithTheirLine) {
  test::TempDir dir;
  write_text(dir.file("a.wav"), "x");
  write_text(dir.file("b.wav"), "x");
  write_text(dir.file("m.jsonl"),
        "{\"id\": \"a\", \"audio\": \"a.wav\", \"texts\": {\"sf\": [\"rock song\"], \"lf\": []}, \"tags\": [\"rock\"], \"split\": \"train\"}\n"
        "\n"
        "{not json}\n"
        "{\"id\": \"c\", \"audio\": \"missing.wav\", \"texts\": {\"sf\": [\"x\"]}}\n"
        "{\"id\": \"b\", \"audio\": \"b.wav\", \"texts\": {\"pl\": [\"chill\"]}, \"split\": \"val\"}\n"
        "{\"id\": \"d\", \"audio\": \"b.wav\"}\n"
        "{\"id\": \"a\", \"audio\": \"b.wav\", \"texts\": {\"sf\": [\"dup\"]}}\n"
        "{\"id\": \"e\", \"audio\": \"b.wav\", \"texts\": {\"sf\": \"not a list\"}}\n");
  ManifestOptions opt;
  opt.require_texts = true;
  const Manifest m = read_manifest(dir.file("m.jsonl"), opt);
  ASSERT_EQ(m.rows.size(), 2u);
  EXPECT_EQ(m.rows[0].id, "a");
  EXPECT_EQ(m.rows[0].audio, dir.file("a.wav"));
  EXPECT_EQ(m.rows[0].texts.count("lf"), 0u);  // empty lists are dropped
  EXPECT_EQ(m.rows[0].tags, std::vector<std::string>{"rock"});
  EXPECT_EQ(m.rows[1].split, "val");
  EXPECT_EQ(m.rows[1].line, 5);
  ASSERT_EQ(m.bad.size(), 5u);
  EXPECT_EQ(m.bad[0].where, dir.file("m.jsonl") + ":3");
  EXPECT_NE(m.bad[0].reason.find("invalid JSON"), std::string::npos);
  EXPECT_NE(m.bad[1].reason.find("not found"), std::string::npos);
  EXPECT_EQ(m.bad[2].reason, "no texts");
  EXPECT_EQ(m.bad[0].kind, FailureKind::malformed);
  EXPECT_EQ(m.bad[1].kind, FailureKind::missing);
  EXPECT_EQ(m.bad[2].kind, FailureKind::empty);
  EXPECT_EQ(m.bad[3].kind, FailureKind::duplicate);
  EXPECT_NE(m.bad[3].reason.find("duplicate id"), std::string::npos);
  EXPECT_NE(m.bad[4].reason.find("texts.sf"), std::string::npos);
  const std::string summary = m.bad_summary(2);
  EXPECT_NE(summary.find("5 bad rows"), std::string::npos);
  EXPECT_NE(summary.find("and 3 more"), std::string::npos);

  opt.split = "val";
  EXPECT_EQ(read_manifest(dir.file("m.jsonl"), opt).rows.size(), 1u);
  opt.split = "";
  opt.max_bad_fraction = 0.5;  // 5 of 7 rows are bad
  EXPECT_THROW(read_manifest(dir.file("m.jsonl"), opt), Error);
  EXPECT_THROW(read_manifest(dir.file("nope.jsonl")), Error);
}

TEST(Manifest, TextsRawOfAMinedManifestWhenAskedElseTexts) {
  test::TempDir dir;
  write_text(dir.file("a.wav"), "x");
  write_text(dir.file("m.jsonl"),
             R"({"id": "mined", "audio": "a.wav", "texts": {"sf": ["jazz"]}, "texts_raw": {"sf": ["jazz HD official video"], "lf": ["Subscribe!"]}})" "\n"
             R"({"id": "plain", "audio": "a.wav", "texts": {"lf": ["calm piano"]}})" "\n"
             R"({"id": "bad", "audio": "a.wav", "texts_raw": ["not", "an", "object"]})" "\n");
  ManifestOptions o;
  const Manifest filtered = read_manifest(dir.file("m.jsonl"), o);
  ASSERT_EQ(filtered.rows.size(), 3u);  // "bad" has no "texts": fine when texts are not required
  EXPECT_EQ(filtered.rows[0].texts.at("sf"), (std::vector<std::string>{"jazz"}));
  EXPECT_EQ(filtered.rows[0].texts.count("lf"), 0u);
  o.texts_field = "texts_raw";
  const Manifest raw = read_manifest(dir.file("m.jsonl"), o);
  ASSERT_EQ(raw.rows.size(), 2u);
  EXPECT_EQ(raw.rows[0].texts.at("sf"), (std::vector<std::string>{"jazz HD official video"}));
  EXPECT_EQ(raw.rows[0].texts.at("lf"), (std::vector<std::string>{"Subscribe!"}));
  EXPECT_EQ(raw.rows[1].texts.at("lf"), (std::vector<std::string>{"calm piano"}));  // no texts_raw: its texts
  ASSERT_EQ(raw.bad.size(), 1u);
  EXPECT_NE(raw.bad[0].reason.find("texts_raw"), std::string::npos) << raw.bad[0].reason;
}

TEST(Queries, ReadsQueriesAndNamesTheLineOfABadOne) {
  test::TempDir dir;
  write_text(dir.file("q.jsonl"), "{\"id\": \"q1\", \"text\": \"calm piano\", \"targets\": [\"a\", \"b\"]}\n{\"text\": \"rock\", \"targets\": [\"c\"]}\n");
  const auto q = read_queries(dir.file("q.jsonl"));
  ASSERT_EQ(q.size(), 2u);
  EXPECT_EQ(q[0].targets.size(), 2u);
  EXPECT_EQ(q[1].id, "line2");
  write_text(dir.file("bad.jsonl"), "{\"id\": \"q1\", \"text\": \"x\", \"targets\": [\"a\"]}\n{\"id\": \"q2\", \"text\": \"y\", \"targets\": []}\n");
  try {
    read_queries(dir.file("bad.jsonl"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.jsonl:2"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace mulan::data
