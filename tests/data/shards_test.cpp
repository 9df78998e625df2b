// WebDataset shards: indexing with libarchive, texts from "texts" or "text", bad samples, and
// member audio equal to the file it was made from. The tars are made with GNU tar.
#include <gtest/gtest.h>
#include <sndfile.h>

#include <filesystem>
#include <fstream>

#include "data/shards.h"
#include "mulan/audio.h"
#include "mulan/error.h"
#include "support/test_support.h"

namespace mulan::data {
namespace {
namespace fs = std::filesystem;

using test::write_text;

TEST(Shards, IndexesSamplesByKeyAndReadsMemberAudio) {
  test::TempDir dir;
  const fs::path src = dir.path() / "src";
  fs::create_directories(src / "sub");
  test::write_audio((src / "a.flac").string(), test::tone(440, 1.0, 16000), 1, 16000, SF_FORMAT_FLAC | SF_FORMAT_PCM_16);
  write_text((src / "a.json").string(), R"({"texts": {"sf": ["a title"], "pl": ["a playlist"]}, "tags": ["rock"], "split": "train"})");
  test::write_audio((src / "sub/b.seg.wav").string(), test::tone(220, 0.5, 22050), 1, 22050, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  write_text((src / "sub/b.seg.json").string(), R"({"text": "a calm description"})");
  write_text((src / "c.json").string(), R"({"text": "no audio here"})");                     // no audio
  test::write_audio((src / "d.wav").string(), test::tone(330, 0.5, 16000), 1, 16000, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  write_text((src / "d.json").string(), "{broken");                                           // invalid JSON
  test::write_audio((src / "e.wav").string(), test::tone(330, 0.5, 16000), 1, 16000, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  const std::string shard = dir.file("shard-000.tar");
  ASSERT_EQ(test::run_command("cd " + test::shell_quote(src.string()) + " && tar cf " + test::shell_quote(shard) +
                              " a.flac a.json sub/b.seg.wav sub/b.seg.json c.json d.wav d.json e.wav")
                .exit_code,
            0);
  ManifestOptions opt;
  opt.require_texts = true;
  const Manifest m = read_shards({shard}, opt);
  ASSERT_EQ(m.rows.size(), 2u);
  EXPECT_EQ(m.rows[0].id, "a");
  EXPECT_EQ(m.rows[0].texts.at("sf")[0], "a title");
  EXPECT_EQ(m.rows[0].texts.at("pl")[0], "a playlist");
  EXPECT_EQ(m.rows[0].tags, std::vector<std::string>{"rock"});
  EXPECT_EQ(m.rows[0].split, "train");
  EXPECT_EQ(m.rows[1].id, "sub/b");
  EXPECT_EQ(m.rows[1].texts.at("lf")[0], "a calm description");  // "text" is a description
  ASSERT_EQ(m.bad.size(), 3u);
  EXPECT_EQ(m.bad[0].where, shard + ":c");
  EXPECT_NE(m.bad[0].reason.find("no audio"), std::string::npos);
  EXPECT_NE(m.bad[1].reason.find("invalid JSON"), std::string::npos);
  EXPECT_EQ(m.bad[2].reason, "no texts");
  // A member decodes to what its file decodes to (resampled to 16 kHz likewise).
  EXPECT_EQ(load_audio(m.rows[0].audio), audio::decode((src / "a.flac").string()));
  EXPECT_EQ(load_audio(m.rows[1].audio), audio::decode((src / "sub/b.seg.wav").string()));
  EXPECT_THROW(load_audio(shard + "#missing.wav"), Error);
}

TEST(Shards, ExpandsFoldersAndBraceRanges) {
  test::TempDir dir;
  for (const char* n : {"t-002.tar", "t-000.tar", "t-001.tar", "notes.txt"}) write_text(dir.file(n), "");
  EXPECT_EQ(expand_shards(dir.path().string()),
            (std::vector<std::string>{dir.file("t-000.tar"), dir.file("t-001.tar"), dir.file("t-002.tar")}));
  EXPECT_EQ(expand_shards("/x/t-{008..010}.tar"), (std::vector<std::string>{"/x/t-008.tar", "/x/t-009.tar", "/x/t-010.tar"}));
  EXPECT_THROW(expand_shards("/x/t-{a..b}.tar"), Error);
  EXPECT_TRUE(is_shard_spec("x.tar"));
  EXPECT_FALSE(is_shard_spec("manifest.jsonl"));
  // A file that is not a tar is refused by name.
  write_text(dir.file("bad.tar"), "this is not a tar archive at all, but long enough to look at. ........................");
  try {
    read_shards({dir.file("bad.tar")});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.tar"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace mulan::data
