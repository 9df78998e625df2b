// The data set adapters on fixtures in exactly the published formats: MagnaTagATune's
// annotations_final.csv, AudioSet's segment CSVs and ontology.json, a playlists JSON. Each test
// runs the real CLI and reads back what it wrote.
#include <gtest/gtest.h>
#include <sndfile.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "mulan/manifest.h"
#include "mulan/eval_adapters.h"
#include "mulan/error.h"
#include "support/test_support.h"

namespace mulan {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;
using test::run_cli;
using test::shell_quote;

using test::slurp;

void write_text(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

std::vector<std::string> lines(const std::string& path) {
  std::vector<std::string> out;
  std::ifstream in(path);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

std::map<std::string, json> rows_by_id(const std::string& manifest) {
  std::map<std::string, json> out;
  for (const std::string& l : lines(manifest)) {
    const json j = json::parse(l);
    out[j.at("id").get<std::string>()] = j;
  }
  return out;
}

// A short real audio file of the format its extension names.
void write_clip(const std::string& path) {
  fs::create_directories(fs::path(path).parent_path());
  const std::string ext = fs::path(path).extension().string();
  const int format = ext == ".mp3"    ? (SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III)
                     : ext == ".flac" ? (SF_FORMAT_FLAC | SF_FORMAT_PCM_16)
                     : ext == ".ogg"  ? (SF_FORMAT_OGG | SF_FORMAT_VORBIS)
                                      : (SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  test::write_audio(path, test::tone(440.0, 0.3, 16000), 1, 16000, format);
}

// ---------------------------------------------------------------------------------------------
// MagnaTagATune. 188 tag columns; tag k is positive on `count(k)` clips.
// Counts: tag 187: 6; tags 100..146: 5; tags 10, 150, 152: 4 (a tie for the last two places of
// the top 50, which the earlier columns 10 and 150 win); tag 0: 3; every other tag 0.

constexpr int kTags = 188, kClips = 16;

int tag_count(int k) {
  if (k == 187) return 6;
  if (k >= 100 && k <= 146) return 5;
  if (k == 10 || k == 150 || k == 152) return 4;
  if (k == 0) return 3;
  return 0;
}

// Clips 6..9 carry no tag; the other 12 form a ring on which tag k starts at position k % 12.
bool tag_on(int clip, int k) {
  if (clip >= 6 && clip <= 9) return false;
  const int p = clip < 6 ? clip : clip - 4;
  return ((p - k % 12 + 12) % 12) < tag_count(k);
}

std::string tag_name(int k) {
  static const char* kReal[] = {"guitar", "classical", "slow", "techno", "strings", "drums", "electronic", "rock"};
  return k < 8 ? kReal[k] : "tag " + std::to_string(k);
}

std::string clip_path(int clip) {
  const char folder = "0123456789abcdef"[clip];
  return std::string(1, folder) + "/artist_" + std::to_string(clip) + "-album-01-song-30-59.mp3";
}

std::string annotations_csv() {
  std::string s = "\"clip_id\"";
  for (int k = 0; k < kTags; ++k) s += "\t\"" + tag_name(k) + "\"";
  s += "\t\"mp3_path\"\n";
  for (int c = 0; c < kClips; ++c) {
    s += '"' + std::to_string(1000 + c) + '"';
    for (int k = 0; k < kTags; ++k) s += tag_on(c, k) ? "\t\"1\"" : "\t\"0\"";
    s += "\t\"" + clip_path(c) + "\"\n";
  }
  return s;
}

struct MtatFixture {
  test::TempDir dir;
  std::string csv = dir.file("annotations_final.csv"), audio = dir.file("mp3"), out = dir.file("out/mtat");
  MtatFixture() {
    write_text(csv, annotations_csv());
    for (int c = 0; c < kClips; ++c) {
      if (c == 3 || c == 14) continue;  // not downloaded
      if (c == 5) {                     // a zero-byte file, as a few in the real archive
        write_text(audio + "/" + clip_path(c), "");
        continue;
      }
      write_clip(audio + "/" + clip_path(c));
    }
  }
  test::CommandResult run(const std::string& extra) const {
    return run_cli("dataset mtat --annotations " + shell_quote(csv) + " --audio " + shell_quote(audio) + " --out " +
                   shell_quote(out) + " " + extra);
  }
};

TEST(MtatAdapter, TopFiftyAreTheMostFrequentTagsWithTiesToTheEarlierColumn) {
  MtatFixture f;
  const auto r = f.run("--tags top50");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> expected = {tag_name(187)};
  for (int k = 100; k <= 146; ++k) expected.push_back(tag_name(k));
  expected.push_back(tag_name(10));
  expected.push_back(tag_name(150));
  EXPECT_EQ(lines(f.out + "/tags.txt"), expected);

  const auto rows = rows_by_id(f.out + "/manifest.jsonl");
  EXPECT_EQ(rows.size(), 13u);  // 16 clips, 2 missing, 1 empty
  EXPECT_FALSE(rows.count("1003") || rows.count("1014") || rows.count("1005"));
  for (const auto& [id, row] : rows) {
    const int c = std::stoi(id) - 1000;
    std::vector<std::string> tags;
    for (const std::string& t : expected) {
      for (int k = 0; k < kTags; ++k) {
        if (tag_name(k) == t && tag_on(c, k)) tags.push_back(t);
      }
    }
    EXPECT_EQ(row.at("tags").get<std::vector<std::string>>(), tags) << id;
    if (!tags.empty()) {
      std::string joined;
      for (const auto& t : tags) joined += (joined.empty() ? "" : ", ") + t;
      EXPECT_EQ(row.at("texts").at("aset"), json::array({joined})) << id;
    }
    const std::string split = c <= 11 ? "train" : c == 12 ? "val" : "test";
    EXPECT_EQ(row.at("split"), split) << id;
    EXPECT_EQ(row.at("audio"), "../../mp3/" + clip_path(c));
  }
  EXPECT_NE(r.err.find("wrote 13 rows (train 10, val 1, test 2)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("audio missing 2"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(clip_path(3)), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("audio empty 1"), std::string::npos) << r.err;

  // The manifest reader of training and evaluation accepts it and finds every audio file.
  const data::Manifest m = data::read_manifest(f.out + "/manifest.jsonl");
  EXPECT_EQ(m.rows.size(), 13u);
  EXPECT_TRUE(m.bad.empty()) << m.bad_summary();
  const json info = json::parse(slurp(f.out + "/dataset.json"));
  EXPECT_EQ(info.at("name"), "MTAT-50");
  EXPECT_EQ(info.at("skipped").at("audio missing").at("count"), 2);
}

TEST(MtatAdapter, All188KeepsEveryColumnInFileOrderAndCanDropUntaggedClips) {
  MtatFixture f;
  auto r = f.run("--tags all188 --drop-untagged --name MTAT-all");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto tags = lines(f.out + "/tags.txt");
  ASSERT_EQ(tags.size(), 188u);
  for (int k = 0; k < kTags; ++k) EXPECT_EQ(tags[k], tag_name(k));
  const auto rows = rows_by_id(f.out + "/manifest.jsonl");
  int untagged = 0;
  for (int c = 0; c < kClips; ++c) {
    bool any = false;
    for (int k = 0; k < kTags; ++k) any = any || tag_on(c, k);
    if (!any) ++untagged;
    if (c == 3 || c == 14 || c == 5) continue;
    EXPECT_EQ(rows.count(std::to_string(1000 + c)), any ? 1u : 0u) << c;
  }
  ASSERT_EQ(untagged, 4);
  EXPECT_NE(r.err.find("no tag of the set " + std::to_string(untagged)), std::string::npos) << r.err;
  EXPECT_EQ(json::parse(slurp(f.out + "/dataset.json")).at("name"), "MTAT-all");
}

TEST(MtatAdapter, MalformedAnnotationsFailNamingFileAndLine) {
  MtatFixture f;
  std::vector<std::string> l = lines(f.csv);
  // A row with one column too few (line 4).
  std::string broken = l[3].substr(0, l[3].rfind('\t'));
  write_text(f.csv, l[0] + "\n" + l[1] + "\n" + l[2] + "\n" + broken + "\n");
  auto r = f.run("");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("annotations_final.csv': line 4: 189 columns, the header has 190"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;

  // A value that is not 0/1 (line 3, column "slow").
  std::string bad = l[2];
  const std::size_t pos = bad.find('\t', bad.find('\t', bad.find('\t') + 1) + 1);  // the "slow" field follows
  bad.replace(pos + 1, 3, "\"2\"");
  write_text(f.csv, l[0] + "\n" + l[1] + "\n" + bad + "\n");
  r = f.run("");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("line 3: column 'slow': expected 0 or 1, got '2'"), std::string::npos) << r.err;

  // A comma-separated file.
  write_text(f.csv, "clip_id,guitar,mp3_path\n1,0,0/a.mp3\n");
  r = f.run("");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("line 1: expected a tab-separated header"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("is the file tab-separated?"), std::string::npos) << r.err;

  // An mp3_path outside the folders 0-f.
  write_text(f.csv, "clip_id\tguitar\tmp3_path\n1\t0\tg/a.mp3\n");
  r = f.run("");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("line 2: mp3_path 'g/a.mp3' is not in one of the folders 0-9, a-f"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(f.out + "/manifest.jsonl"));
}

TEST(MtatAdapter, NothingFoundIsAnErrorNotAnEmptyManifest) {
  MtatFixture f;
  const auto r = run_cli("dataset mtat --annotations " + shell_quote(f.csv) + " --audio " + shell_quote(f.dir.file("nowhere")) +
                         " --out " + shell_quote(f.out));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no row to write"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("audio missing 16"), std::string::npos) << r.err;
}

TEST(MtatAdapter, SplitFollowsTheMp3Folder) {
  EXPECT_EQ(eval::mtat_split("0/x.mp3"), "train");
  EXPECT_EQ(eval::mtat_split("9/x.mp3"), "train");
  EXPECT_EQ(eval::mtat_split("b/x.mp3"), "train");
  EXPECT_EQ(eval::mtat_split("c/x.mp3"), "val");
  EXPECT_EQ(eval::mtat_split("d/x.mp3"), "test");
  EXPECT_EQ(eval::mtat_split("f/x.mp3"), "test");
  EXPECT_EQ(eval::mtat_split("g/x.mp3"), "");
  EXPECT_EQ(eval::mtat_split("ab/x.mp3"), "");
  EXPECT_EQ(eval::mtat_split("x.mp3"), "");
}

// ---------------------------------------------------------------------------------------------
// AudioSet.

const char* kOntology = R"([
  {"id": "/m/09x0r", "name": "Speech", "description": "", "citation_uri": "", "positive_examples": [], "child_ids": [], "restrictions": []},
  {"id": "/m/0ch8v", "name": "Livestock, farm animals, working animals", "child_ids": ["/m/0239kh"], "restrictions": []},
  {"id": "/m/0239kh", "name": "Cowbell", "child_ids": [], "restrictions": []},
  {"id": "/m/04rlf", "name": "Music", "child_ids": ["/m/04szw", "/m/0kpv1t", "/t/dd00030"], "restrictions": []},
  {"id": "/m/04szw", "name": "Musical instrument", "child_ids": ["/m/0342h", "/m/05r5c", "/m/0239kh"], "restrictions": []},
  {"id": "/m/0342h", "name": "Guitar", "child_ids": ["/m/02sgy"], "restrictions": []},
  {"id": "/m/02sgy", "name": "Electric guitar", "child_ids": [], "restrictions": []},
  {"id": "/m/05r5c", "name": "Piano", "child_ids": [], "restrictions": []},
  {"id": "/m/0kpv1t", "name": "Music genre", "child_ids": ["/m/064t9", "/m/06by7", "/m/03_d0", "/t/polka"], "restrictions": ["abstract"]},
  {"id": "/m/064t9", "name": "Pop music", "child_ids": [], "restrictions": []},
  {"id": "/m/06by7", "name": "Rock music", "child_ids": ["/m/03lty"], "restrictions": []},
  {"id": "/m/03lty", "name": "Heavy metal", "child_ids": [], "restrictions": []},
  {"id": "/m/03_d0", "name": "Jazz", "child_ids": [], "restrictions": []},
  {"id": "/t/polka", "name": "Polka", "child_ids": [], "restrictions": ["blacklist"]},
  {"id": "/t/dd00030", "name": "Music mood", "child_ids": ["/t/dd00031"], "restrictions": ["abstract"]},
  {"id": "/t/dd00031", "name": "Happy music", "child_ids": [], "restrictions": []},
  {"id": "/t/dd00088", "name": "Gush", "child_ids": [], "restrictions": []}
])";

const char* kHeader =
    "# Segments csv created Sun Mar  5 10:54:31 2017\n"
    "# num_ytids=4, num_segs=4, num_unique_labels=9, num_positive_labels=12\n"
    "# YTID, start_seconds, end_seconds, positive_labels\n";

struct AudioSetFixture {
  test::TempDir dir;
  std::string eval_csv = dir.file("csv/eval_segments.csv"), train_csv = dir.file("csv/balanced_train_segments.csv"),
              ontology = dir.file("ontology.json"), clips = dir.file("clips"), out = dir.file("out");
  AudioSetFixture() {
    write_text(ontology, kOntology);
    write_text(eval_csv, std::string(kHeader) +
                             "--PJHxphWEs, 30.000, 40.000, \"/m/09x0r,/t/dd00088\"\n"
                             "-0RWZT-miFs, 420.000, 430.000, \"/m/04rlf,/m/064t9\"\n"
                             "0FMdORf5iGs, 30.000, 40.000, \"/m/04rlf,/m/06by7,/m/03lty,/m/02sgy\"\n"
                             "abcdefghijk, 0.000, 10.000, \"/m/04rlf,/m/03_d0,/m/0239kh\"\n");
    write_text(train_csv, std::string(kHeader) +
                              "a_b-c_d-e_f, 10.000, 20.000, \"/m/03_d0,/m/05r5c,/t/dd00031\"\n"
                              "zzzzzzzzzzz, 0.000, 10.000, \"/m/0239kh\"\n"
                              "-0RWZT-miFs, 100.000, 110.000, \"/m/04rlf,/m/064t9\"\r\n"
                              "\n");
    write_clip(clips + "/-0RWZT-miFs.wav");                // YTID.ext
    write_clip(clips + "/eval/0FMdORf5iGs_30.000.flac");   // YTID_START as in the CSV, in a subfolder
    write_clip(clips + "/Ya_b-c_d-e_f_10000_20000.mp3");   // "Y" + YTID_START_END in milliseconds
    write_clip(clips + "/zzzzzzzzzzz_0_10.ogg");           // whole seconds
    write_text(clips + "/abcdefghijk.txt", "not audio");   // not an audio extension: not found
  }
  test::CommandResult run(const std::string& subset, const std::string& extra = "") const {
    return run_cli("dataset audioset --segments " + shell_quote(eval_csv) + " --segments " + shell_quote(train_csv) +
                   " --ontology " + shell_quote(ontology) + " --audio " + shell_quote(clips) + " --subset " + subset +
                   " --out " + shell_quote(out) + " " + extra);
  }
};

TEST(AudioSetAdapter, Gen25IsTheGenreChildrenThatSomeRowCarries) {
  AudioSetFixture f;
  const auto r = f.run("gen25");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lines(f.out + "/tags.txt"), (std::vector<std::string>{"Pop music", "Rock music", "Jazz"}));
  const auto rows = rows_by_id(f.out + "/manifest.jsonl");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows.at("-0RWZT-miFs").at("tags"), json::array({"Pop music"}));
  EXPECT_EQ(rows.at("0FMdORf5iGs").at("tags"), json::array({"Rock music"}));  // Heavy metal is a grandchild
  EXPECT_EQ(rows.at("a_b-c_d-e_f").at("tags"), json::array({"Jazz"}));
  EXPECT_EQ(rows.at("-0RWZT-miFs").at("split"), "test");
  EXPECT_EQ(rows.at("0FMdORf5iGs").at("split"), "test");
  EXPECT_EQ(rows.at("a_b-c_d-e_f").at("split"), "train");
  EXPECT_EQ(rows.at("0FMdORf5iGs").at("audio"), "../clips/eval/0FMdORf5iGs_30.000.flac");
  EXPECT_EQ(rows.at("0FMdORf5iGs").at("labels"), json::array({"/m/04rlf", "/m/06by7", "/m/03lty", "/m/02sgy"}));
  EXPECT_EQ(rows.at("0FMdORf5iGs").at("texts").at("aset"), json::array({"Music, Rock music, Heavy metal, Electric guitar"}));
  EXPECT_NE(r.err.find("no label of the subset 2"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("audio missing 1 (e.g. 'abcdefghijk')"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("duplicate YTID 1"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("balanced_train_segments.csv:6"), std::string::npos) << r.err;  // where the duplicate is

  const json info = json::parse(slurp(f.out + "/dataset.json"));
  EXPECT_EQ(info.at("name"), "Gen-25");
  EXPECT_EQ(info.at("classes_without_rows"), json::array({"Polka"}));
  const data::Manifest m = data::read_manifest(f.out + "/manifest.jsonl");
  EXPECT_EQ(m.rows.size(), 3u);
  EXPECT_TRUE(m.bad.empty()) << m.bad_summary();
}

TEST(AudioSetAdapter, Mu141IsEveryClassUnderMusicThatSomeRowCarries) {
  AudioSetFixture f;
  const auto r = f.run("mu141", "--split-of balanced_train_segments.csv=val");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Pre-order under Music; Cowbell (also under Livestock) once; Music itself, the abstract
  // groups and classes no row carries (Guitar, Polka) left out.
  EXPECT_EQ(lines(f.out + "/tags.txt"), (std::vector<std::string>{"Electric guitar", "Piano", "Cowbell", "Pop music",
                                                                 "Rock music", "Heavy metal", "Jazz", "Happy music"}));
  const auto rows = rows_by_id(f.out + "/manifest.jsonl");
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows.at("0FMdORf5iGs").at("tags"), json::array({"Electric guitar", "Rock music", "Heavy metal"}));
  EXPECT_EQ(rows.at("a_b-c_d-e_f").at("tags"), json::array({"Piano", "Jazz", "Happy music"}));
  EXPECT_EQ(rows.at("zzzzzzzzzzz").at("tags"), json::array({"Cowbell"}));
  EXPECT_EQ(rows.at("zzzzzzzzzzz").at("split"), "val");
  EXPECT_EQ(json::parse(slurp(f.out + "/dataset.json")).at("name"), "Mu-141");
  EXPECT_EQ(data::read_manifest(f.out + "/manifest.jsonl").rows.size(), 4u);
}

TEST(AudioSetAdapter, MalformedInputFailsNamingFileAndLine) {
  AudioSetFixture f;
  write_text(f.eval_csv, std::string(kHeader) + "-0RWZT-miFs, 420.000, 430.000, \"/m/04rlf,/m/064t9\"\nbroken, 1.0, 2.0\n");
  auto r = f.run("gen25");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("eval_segments.csv': line 5: expected 4 fields"), std::string::npos) << r.err;

  write_text(f.eval_csv, std::string(kHeader) + "-0RWZT-miFs, 420.000, 430.000, \"/m/04rlf,/m/nope\"\n");
  r = f.run("gen25");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("eval_segments.csv': line 4: label /m/nope is not in"), std::string::npos) << r.err;

  write_text(f.eval_csv, std::string(kHeader) + "-0RWZT-miFs, soon, 430.000, \"/m/04rlf\"\n");
  r = f.run("gen25");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("line 4: start_seconds 'soon' is not a number"), std::string::npos) << r.err;

  write_text(f.ontology, "[{\"id\": \"/m/04rlf\", \"name\": \"Music\"");
  r = f.run("gen25");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("ontology.json': invalid JSON"), std::string::npos) << r.err;

  write_text(f.ontology, "[{\"id\": \"/m/04rlf\", \"name\": \"Music\", \"child_ids\": [\"/m/x\"]}]");
  r = f.run("mu141");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("class /m/04rlf lists child /m/x, which is not in the ontology"), std::string::npos) << r.err;

  write_text(f.ontology, "[{\"id\": \"/m/04rlf\", \"name\": \"Music\"}]");
  r = f.run("gen25");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no class named \"Music genre\""), std::string::npos) << r.err;

  r = f.run("gen25", "--split-of other.csv=test");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--split-of other.csv"), std::string::npos) << r.err;
}

TEST(AudioSetAdapter, ParsesSegmentLinesAsPublished) {
  const eval::Segment s = eval::parse_segment_line("--PJHxphWEs, 30.000, 40.000, \"/m/09x0r,/t/dd00088\"");
  EXPECT_EQ(s.ytid, "--PJHxphWEs");
  EXPECT_EQ(s.start, "30.000");
  EXPECT_EQ(s.end, "40.000");
  EXPECT_EQ(s.labels, (std::vector<std::string>{"/m/09x0r", "/t/dd00088"}));
  EXPECT_EQ(eval::parse_segment_line("x, 0, 10, /m/a").labels, std::vector<std::string>{"/m/a"});
  EXPECT_THROW(eval::parse_segment_line("x, 0, 10, \"/m/a"), Error);
  EXPECT_THROW(eval::parse_segment_line("x, 0, 10, \"/m/a\", 7"), Error);
  EXPECT_THROW(eval::parse_segment_line("x, 0, 10, /m/a,/m/b"), Error);
  EXPECT_THROW(eval::parse_segment_line("x, 10, 0, \"/m/a\""), Error);
  EXPECT_THROW(eval::parse_segment_line("x, 0, 10, \"\""), Error);

  const auto stems = eval::segment_file_stems(s);
  for (const char* want : {"--PJHxphWEs", "--PJHxphWEs_30.000", "--PJHxphWEs_30", "--PJHxphWEs_30000", "--PJHxphWEs_30_40",
                           "--PJHxphWEs_30000_40000", "--PJHxphWEs_30.000_40.000", "Y--PJHxphWEs", "Y--PJHxphWEs_30.000_40.000"}) {
    EXPECT_NE(std::find(stems.begin(), stems.end(), want), stems.end()) << want;
  }
}

// ---------------------------------------------------------------------------------------------
// Playlists.

struct PlaylistFixture {
  test::TempDir dir;
  std::string json_path = dir.file("playlists.json"), tracks = dir.file("tracks"), out = dir.file("out");
  PlaylistFixture() {
    write_text(json_path, R"({"playlists": [
      {"title": "late night jazz", "description": "smoky piano trios for after midnight", "tracks": ["t1", "t2", "missing1"]},
      {"title": "gym rock", "track_ids": ["t2", "t3", 42]},
      {"title": "nothing here", "description": "", "tracks": ["missing2"]},
      {"title": "duplicates", "tracks": ["t1", "t1"]}
    ]})");
    write_clip(tracks + "/t1.wav");
    write_clip(tracks + "/t2.flac");
    write_clip(tracks + "/t3.mp3");
    write_clip(tracks + "/42.wav");
  }
  test::CommandResult run() const {
    return run_cli("dataset playlists --playlists " + shell_quote(json_path) + " --tracks " + shell_quote(tracks) +
                   " --out " + shell_quote(out));
  }
};

TEST(PlaylistAdapter, WritesTracksWithPlaylistTitlesAndOneQueryPerTitleAndDescription) {
  PlaylistFixture f;
  const auto r = f.run();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto rows = rows_by_id(f.out + "/manifest.jsonl");
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows.at("t1").at("texts").at("pl"), json::array({"late night jazz", "duplicates"}));
  EXPECT_EQ(rows.at("t2").at("texts").at("pl"), json::array({"late night jazz", "gym rock"}));
  EXPECT_EQ(rows.at("42").at("texts").at("pl"), json::array({"gym rock"}));
  EXPECT_EQ(rows.at("t2").at("audio"), "../tracks/t2.flac");
  EXPECT_FALSE(rows.at("t1").contains("split"));

  const auto queries = data::read_queries(f.out + "/queries.jsonl");
  ASSERT_EQ(queries.size(), 4u);
  EXPECT_EQ(queries[0].id, "1-title");
  EXPECT_EQ(queries[0].text, "late night jazz");
  EXPECT_EQ(queries[0].targets, (std::vector<std::string>{"t1", "t2"}));
  EXPECT_EQ(queries[1].id, "1-description");
  EXPECT_EQ(queries[1].text, "smoky piano trios for after midnight");
  EXPECT_EQ(queries[1].targets, queries[0].targets);
  EXPECT_EQ(queries[2].id, "2-title");
  EXPECT_EQ(queries[2].targets, (std::vector<std::string>{"t2", "t3", "42"}));
  EXPECT_EQ(queries[3].id, "4-title");
  EXPECT_EQ(queries[3].targets, std::vector<std::string>{"t1"});
  EXPECT_NE(r.err.find("track missing 2 (e.g. 'missing1', 'missing2')"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("playlist without any track present 1 (e.g. '3 'nothing here'')"), std::string::npos) << r.err;
  EXPECT_EQ(data::read_manifest(f.out + "/manifest.jsonl").rows.size(), 4u);
}

TEST(PlaylistAdapter, AcceptsABareArrayAndRefusesMalformedPlaylists) {
  PlaylistFixture f;
  write_text(f.json_path, R"([{"title": "one", "tracks": ["t1"]}])");
  auto r = f.run();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lines(f.out + "/queries.jsonl").size(), 1u);

  write_text(f.json_path, R"([{"title": "one", "tracks": ["t1"]}, {"description": "no title", "tracks": ["t2"]}])");
  r = f.run();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("playlists.json': playlist 2: field 'title' must be a non-empty string"), std::string::npos) << r.err;

  write_text(f.json_path, R"([{"title": "one", "tracks": "t1"}])");
  r = f.run();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("playlist 1: field 'tracks' must be a list of track ids"), std::string::npos) << r.err;

  write_text(f.json_path, R"([{"title": "one", "tracks": ["t1", "../t2"]}])");
  r = f.run();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("playlist 1: track id '../t2' is not a file name"), std::string::npos) << r.err;

  write_text(f.json_path, "[{\"title\": \"one\",\n \"tracks\": [\"t1\"]\n");
  r = f.run();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("playlists.json': invalid JSON"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("line 3"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace mulan
