// mulan mine aset: AudioSet's music clips as ASET pairs, a whole video cut to its segment.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <sndfile.h>

#include "mulan/audio.h"
#include "mulan/manifest.h"
#include "mulan/mine.h"
#include "support/test_support.h"

namespace mulan::mine {
namespace {
using nlohmann::json;

const char* kOntology = R"([
  {"id": "/m/09x0r", "name": "Speech", "child_ids": [], "restrictions": []},
  {"id": "/m/04rlf", "name": "Music", "child_ids": ["/m/04szw", "/m/0kpv1t"], "restrictions": []},
  {"id": "/m/04szw", "name": "Musical instrument", "child_ids": ["/m/0342h"], "restrictions": []},
  {"id": "/m/0342h", "name": "Guitar", "child_ids": [], "restrictions": []},
  {"id": "/m/0kpv1t", "name": "Music genre", "child_ids": ["/m/06by7"], "restrictions": ["abstract"]},
  {"id": "/m/06by7", "name": "Rock music", "child_ids": [], "restrictions": []}
])";

double rms(const std::vector<float>& x, std::size_t from, std::size_t to) {
  double s = 0;
  for (std::size_t i = from; i < to; ++i) s += static_cast<double>(x[i]) * x[i];
  return std::sqrt(s / static_cast<double>(to - from));
}

TEST(Aset, MusicClipsBecomePairsAndAWholeVideoIsCutToItsSegment) {
  test::TempDir dir;
  test::write_text(dir.file("ontology.json"), kOntology);
  test::write_text(dir.file("segs.csv"),
                   "# YTID, start_seconds, end_seconds, positive_labels\n"
                   "clipclipcli, 30.000, 40.000, \"/m/04rlf,/m/0342h\"\n"
                   "videovideov, 30.000, 40.000, \"/m/04rlf,/m/06by7\"\n"
                   "speechspeec, 0.000, 10.000, \"/m/09x0r\"\n");
  constexpr int kRate = 16000;
  std::filesystem::create_directories(dir.file("clips"));
  test::write_audio(dir.file("clips/clipclipcli_30.000.flac"), test::tone(440, 10, kRate), 1, kRate, SF_FORMAT_FLAC | SF_FORMAT_PCM_16);
  // A 50 s video: silence but for a tone where its segment is.
  std::vector<float> video(50 * kRate, 0.0f);
  const std::vector<float> tone = test::tone(330, 10, kRate);
  std::copy(tone.begin(), tone.end(), video.begin() + 30 * kRate);
  test::write_audio(dir.file("clips/videovideov.wav"), video, 1, kRate, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  test::write_audio(dir.file("clips/speechspeec.wav"), test::noise(10, kRate, 1), 1, kRate, SF_FORMAT_WAV | SF_FORMAT_PCM_16);

  AsetOptions o;
  o.segments = {dir.file("segs.csv")};
  o.ontology = dir.file("ontology.json");
  o.audio_dir = dir.file("clips");
  o.out_dir = dir.file("out");
  const AsetSummary s = make_aset(o);
  EXPECT_EQ(s.rows, 2);
  EXPECT_EQ(s.cut, 1);
  EXPECT_NE(s.skipped.find("no label of the subset 1"), std::string::npos) << s.skipped;  // the speech clip

  std::map<std::string, json> rows;
  for (const json& j : test::read_jsonl(dir.file("out/aset.jsonl"))) rows[j["id"].get<std::string>()] = j;
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows["clipclipcli"]["texts"]["aset"], json({"Music, Guitar"}));
  EXPECT_EQ(rows["clipclipcli"]["labels"], json({"/m/04rlf", "/m/0342h"}));
  EXPECT_EQ(rows["clipclipcli"]["audio"], "../clips/clipclipcli_30.000.flac");  // a 10 s clip stays where it is
  EXPECT_EQ(rows["videovideov"]["texts"]["aset"], json({"Music, Rock music"}));
  ASSERT_EQ(rows["videovideov"]["audio"], "aset-clips/videovideov.flac");
  const std::vector<float> cut = audio::decode(dir.file("out/aset-clips/videovideov.flac"));
  ASSERT_EQ(cut.size(), static_cast<std::size_t>(10 * kRate));
  EXPECT_GT(rms(cut, 0, cut.size()), 0.3);  // the tone (amplitude 0.5), not the silence around it

  data::ManifestOptions mo;
  mo.require_texts = true;
  const data::Manifest m = data::read_manifest(dir.file("out/aset.jsonl"), mo);
  EXPECT_EQ(m.rows.size(), 2u);
  EXPECT_TRUE(m.bad.empty()) << m.bad_summary();
}

}  // namespace
}  // namespace mulan::mine
