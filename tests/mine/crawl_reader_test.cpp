// The crawl reader (src/mine/crawl.cpp), the clip rule, the report's JSON and the resume state:
// each bad kind of row counted and named, nothing thrown for a bad row.
#include <gtest/gtest.h>

#include <fstream>

#include "mine/clip.h"
#include "mine/crawl.h"
#include "mine/state.h"
#include "mulan/error.h"
#include "mulan/mine.h"
#include "support/test_support.h"

namespace mulan::mine {
namespace {

std::vector<CrawlItem> read_all(const std::string& path, const CrawlLimits& limits = {}) {
  CrawlReader reader(path, limits);
  std::vector<CrawlItem> items;
  CrawlItem it;
  while (reader.next(it)) items.push_back(std::move(it));
  return items;
}

TEST(CrawlReader, ReadsRowsAndNamesEachBadOneByLine) {
  test::TempDir tmp;
  std::string crawl;
  crawl += R"({"id": "a", "audio": "a.flac", "title": "Song", "tags": ["jazz", "piano"], "description": "One. Two.", "comments": ["nice"], "playlists": ["late night"]})" "\n";
  crawl += "\n";                                     // line 2: blank, not a row
  crawl += "{not json\n";                            // 3
  crawl += R"({"audio": "b.flac"})" "\n";            // 4: no id
  crawl += R"({"id": "c", "audio": "c.flac", "tags": "solo"})" "\n";  // 5: a string where a list belongs is a list of one
  crawl += R"({"id": "d", "audio": "d.flac", "comments": [1, 2]})" "\n";  // 6: wrong types
  crawl += R"({"id": "a", "audio": "again.flac"})" "\n";  // 7: a repeated id
  crawl += R"({"id": "e", "audio": "/abs/e.wav", "title": null})" "\r\n";  // 8: CRLF, null = absent
  crawl += "[1, 2]";                                 // 9: no final newline, not an object
  test::write_text(tmp.file("crawl.jsonl"), crawl);
  const auto items = read_all(tmp.file("crawl.jsonl"));
  ASSERT_EQ(items.size(), 8u);
  ASSERT_TRUE(items[0].row);
  EXPECT_EQ(items[0].row->audio, tmp.file("a.flac"));
  EXPECT_EQ(items[0].row->tags, (std::vector<std::string>{"jazz", "piano"}));
  EXPECT_EQ(items[0].row->where, tmp.file("crawl.jsonl") + ":1");
  EXPECT_EQ(items[0].index, 0);
  ASSERT_TRUE(items[1].bad);
  EXPECT_EQ(items[1].bad->where, tmp.file("crawl.jsonl") + ":3");
  EXPECT_EQ(items[1].bad->kind, FailureKind::malformed);
  EXPECT_EQ(items[1].index, 1);  // blank lines are not rows
  ASSERT_TRUE(items[2].bad);
  EXPECT_NE(items[2].bad->reason.find("'id'"), std::string::npos);
  ASSERT_TRUE(items[3].row);
  EXPECT_EQ(items[3].row->tags, (std::vector<std::string>{"solo"}));
  ASSERT_TRUE(items[4].bad);
  EXPECT_NE(items[4].bad->reason.find("'comments'"), std::string::npos);
  ASSERT_TRUE(items[5].bad);
  EXPECT_EQ(items[5].bad->kind, FailureKind::duplicate);
  EXPECT_EQ(items[5].bad->where, tmp.file("crawl.jsonl") + ":7");
  ASSERT_TRUE(items[6].row);
  EXPECT_EQ(items[6].row->audio, "/abs/e.wav");
  EXPECT_EQ(items[6].row->title, "");
  ASSERT_TRUE(items[7].bad);
  EXPECT_EQ(items[7].line, 9);
}

TEST(CrawlReader, CapsAbsurdSizesAndCountsWhatItCut) {
  test::TempDir tmp;
  CrawlLimits limits;
  limits.max_text_bytes = 1000;
  limits.max_items = 50;
  limits.max_line_bytes = 200000;
  std::string desc(5000, 'x');
  desc += "\xC3\xA9";  // an é at the end: cutting never splits a character
  std::string comments = "[";
  for (int i = 0; i < 10000; ++i) comments += std::string(i ? "," : "") + "\"c" + std::to_string(i) + "\"";
  comments += "]";
  std::string crawl = R"({"id": "a", "audio": "a.flac", "description": ")" + desc + R"(", "comments": )" + comments + "}\n";
  crawl += R"({"id": "b", "audio": "b.flac", "description": ")" + std::string(300000, 'y') + "\"}\n";  // a line over the limit
  crawl += R"({"id": "c", "audio": "c.flac"})" "\n";  // read on after it
  test::write_text(tmp.file("crawl.jsonl"), crawl);
  const auto items = read_all(tmp.file("crawl.jsonl"), limits);
  ASSERT_EQ(items.size(), 3u);
  ASSERT_TRUE(items[0].row);
  EXPECT_EQ(items[0].row->description.size(), 1000u);
  EXPECT_EQ(items[0].row->comments.size(), 50u);
  ASSERT_EQ(items[0].row->capped.size(), 2u);
  EXPECT_NE(items[0].row->capped[0].find("description"), std::string::npos);
  EXPECT_NE(items[0].row->capped[1].find("10000"), std::string::npos);
  ASSERT_TRUE(items[1].bad);
  EXPECT_EQ(items[1].bad->kind, FailureKind::too_large);
  EXPECT_EQ(items[1].bad->where, tmp.file("crawl.jsonl") + ":2");
  ASSERT_TRUE(items[2].row);
  EXPECT_EQ(items[2].row->id, "c");
}

TEST(CrawlReader, DropsTextsThatAreNotUtf8AndKeepsTheRow) {
  test::TempDir tmp;
  std::string crawl = "{\"id\": \"a\", \"audio\": \"a.flac\", \"title\": \"Caf\xE9 jazz\", \"tags\": [\"ok\", \"bad \xFF\"], "
                      "\"description\": \"fine.\"}\n";
  crawl += "{\"id\": \"b\xFF\", \"audio\": \"b.flac\"}\n";  // an id that is not UTF-8 cannot name the row
  test::write_text(tmp.file("crawl.jsonl"), crawl);
  const auto items = read_all(tmp.file("crawl.jsonl"));
  ASSERT_EQ(items.size(), 2u);
  ASSERT_TRUE(items[0].row);
  EXPECT_EQ(items[0].row->title, "");
  EXPECT_EQ(items[0].row->tags, (std::vector<std::string>{"ok"}));
  EXPECT_EQ(items[0].row->description, "fine.");
  EXPECT_EQ(items[0].row->invalid_utf8, 2);
  ASSERT_TRUE(items[1].bad);
  EXPECT_NE(items[1].bad->reason.find("UTF-8"), std::string::npos);
}

TEST(CrawlReader, RefusesAMissingCrawlOrAFolder) {
  test::TempDir tmp;
  EXPECT_THROW(CrawlReader(tmp.file("none.jsonl"), {}), FileNotFound);
  EXPECT_THROW(CrawlReader(tmp.path().string(), {}), Error);
}

TEST(ClipPlan, MiddleByDefaultRandomFromSeedAndIdWholeWhenShort) {
  const ClipPlan m = plan_clip(100, 30, "middle", 0, "x");
  EXPECT_DOUBLE_EQ(m.offset_s, 35);
  EXPECT_DOUBLE_EQ(m.duration_s, 30);
  const ClipPlan s = plan_clip(20, 30, "middle", 0, "x");
  EXPECT_DOUBLE_EQ(s.offset_s, 0);
  EXPECT_DOUBLE_EQ(s.duration_s, 20);
  const ClipPlan r1 = plan_clip(100, 30, "random", 7, "x"), r2 = plan_clip(100, 30, "random", 7, "x");
  EXPECT_DOUBLE_EQ(r1.offset_s, r2.offset_s);
  EXPECT_GE(r1.offset_s, 0);
  EXPECT_LE(r1.offset_s, 70);
  int differ = 0;
  for (int i = 0; i < 20; ++i) differ += plan_clip(100, 30, "random", 7, "id" + std::to_string(i)).offset_s != r1.offset_s;
  EXPECT_GE(differ, 18);
  EXPECT_NE(plan_clip(100, 30, "random", 8, "x").offset_s, r1.offset_s);
  EXPECT_EQ(clip_path(1234567), "clips/1234/01234567.flac");
}

TEST(MineReport, JsonRoundTripAndTable) {
  MineReport r;
  r.crawl = "c.jsonl";
  r.rows = 10;
  r.kept = 4;
  r.malformed = 1;
  r.not_music = 5;
  r.sf = {8, 40, 6, 20};
  r.lf = {12, 100, 5, 50};
  r.problems.push_back({"c.jsonl:3", FailureKind::malformed, "invalid JSON"});
  const MineReport back = MineReport::from_json(r.to_json(), "x");
  EXPECT_EQ(back.rows, 10);
  EXPECT_EQ(back.not_music, 5);
  EXPECT_EQ(back.sf.tokens_after, 20);
  EXPECT_EQ(back.lf.texts_before, 12);
  ASSERT_EQ(back.problems.size(), 1u);
  EXPECT_EQ(back.problems[0].where, "c.jsonl:3");
  EXPECT_EQ(r.rejected(), 6);
  const std::string t = r.table();
  EXPECT_NE(t.find("10 in, 4 kept"), std::string::npos) << t;
  EXPECT_NE(t.find("2.00"), std::string::npos) << t;  // SF: 8 texts over 4 recordings
  EXPECT_THROW(MineReport::from_json("{}", "x"), Error);
}

TEST(MineState, RefusesOtherOptionsAndForeignOutputs) {
  test::TempDir tmp;
  const nlohmann::json fp = {{"clip_seconds", 30}};
  MineState s;
  s.rows_done = 5;
  write_state(tmp.path(), fp, s);
  EXPECT_EQ(read_state(tmp.path(), fp).rows_done, 5);
  try {
    read_state(tmp.path(), {{"clip_seconds", 10}});
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("clip_seconds = 30"), std::string::npos) << e.what();
  }
  test::TempDir other;
  test::write_text(other.file("manifest.jsonl"), "{}\n");
  EXPECT_THROW(read_state(other.path(), fp), UsageError);
}

}  // namespace
}  // namespace mulan::mine
