// The synthetic crawl (mulan synth --crawl) and its non-music audio makers: the same seed gives
// the same bytes whatever the threads, every kind is there, crawl-truth.json agrees with
// crawl.jsonl row by row (texts, token counts, sentences, playlists), the audio files decode (or
// fail to) as the truth says, the makers differ between voices and seeds, and a missing program
// is named. Skips what needs a SoundFont, espeak-ng or sox when they are not installed.
#include <gtest/gtest.h>
#include <sndfile.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "mulan/error.h"
#include "mulan/synth.h"
#include "mulan/synth_crawl.h"
#include "support/test_support.h"

namespace mulan::synth::crawl_test {  // not the other synth tests' namespace: one unity batch
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::run_cli;
using test::shell_quote;
using test::slurp;

bool have_program(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string p = path ? path : "";
  for (size_t start = 0; start <= p.size();) {
    const size_t end = std::min(p.find(':', start), p.size());
    std::error_code ec;
    if (end > start && fs::exists(fs::path(p.substr(start, end - start)) / name, ec)) return true;
    start = end + 1;
  }
  return false;
}

bool have_everything() {
  try {
    find_soundfont("");
  } catch (const Error&) {
    return false;
  }
  return have_program("espeak-ng") && have_program("sox");
}

std::vector<json> read_jsonl(const fs::path& p) {
  std::vector<json> rows;
  std::ifstream in(p);
  for (std::string line; std::getline(in, line);) rows.push_back(json::parse(line));
  return rows;
}

double rms(const std::vector<float>& x) {
  double s = 0;
  for (float v : x) s += static_cast<double>(v) * v;
  return x.empty() ? 0 : std::sqrt(s / static_cast<double>(x.size()));
}

using mulan::test::has_phrase;

TEST(CrawlTokens, CountByTheContractsRule) {
  EXPECT_EQ(count_tokens("[Official Video]"), 2);
  EXPECT_EQ(count_tokens("Artist - Song | HD 🔥🔥"), 3);
  EXPECT_EQ(count_tokens("https://x.io/a 2021-03-04 #jazz @maya"), 4);
  EXPECT_EQ(count_tokens("【Official Video】 • 4K •"), 3);
  EXPECT_EQ(count_tokens("  \t\n"), 0);
  EXPECT_EQ(count_tokens("Müller\u00a0café\u3000Ünïcode"), 3);  // no-break and ideographic spaces split
  EXPECT_EQ(count_tokens("¿Qué? ¡Sí! — …"), 2);
  EXPECT_EQ(count_tokens("٣ 三"), 2);  // digits and letters of other scripts
}

// One crawl for the checks below, made through the library (2 threads) and again through the CLI
// (1 thread) with the same seed.
class SynthCrawl : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!have_everything()) return;
    dir_ = new test::TempDir();
    CrawlOptions o;
    o.out_dir = dir_->file("a");
    o.recordings = 24;
    o.seconds_min = 4;
    o.seconds_max = 8;
    o.seed = 7;
    o.jobs = 2;
    summary_ = new CrawlSummary(make_crawl(o));
    cli_ = new test::CommandResult(run_cli("synth --crawl " + shell_quote(dir_->file("b")) +
                                           " --recordings 24 --seconds-min 4 --seconds-max 8 --seed 7 --jobs 1"));
    std::ifstream in(fs::path(o.out_dir) / "crawl-truth.json");
    truth_ = new json(json::parse(in));
    rows_ = new std::vector<json>(read_jsonl(fs::path(o.out_dir) / "crawl.jsonl"));
  }
  static void TearDownTestSuite() {
    delete rows_, delete truth_, delete cli_, delete summary_, delete dir_;
    rows_ = nullptr, truth_ = nullptr, cli_ = nullptr, summary_ = nullptr, dir_ = nullptr;
  }
  void SetUp() override {
    if (!dir_) GTEST_SKIP() << "needs a SoundFont, espeak-ng and sox (scripts/install-deps.sh)";
  }
  static fs::path a() { return dir_->path() / "a"; }
  static inline test::TempDir* dir_ = nullptr;
  static inline CrawlSummary* summary_ = nullptr;
  static inline test::CommandResult* cli_ = nullptr;
  static inline json* truth_ = nullptr;
  static inline std::vector<json>* rows_ = nullptr;
};

TEST_F(SynthCrawl, SameSeedSameBytesWhateverTheThreads) {
  ASSERT_EQ(cli_->exit_code, 0) << cli_->err;
  EXPECT_NE(cli_->err.find("synth: crawl of 24 recordings"), std::string::npos) << cli_->err;
  const fs::path b = dir_->path() / "b";
  for (const char* f : {"crawl.jsonl", "crawl-truth.json"}) EXPECT_EQ(slurp(a() / f), slurp(b / f)) << f;
  int files = 0;
  for (const auto& e : fs::directory_iterator(a() / "audio")) {
    EXPECT_EQ(slurp(e.path()), slurp(b / "audio" / e.path().filename())) << e.path().filename();
    ++files;
  }
  EXPECT_EQ(files, 24);
  // Another seed, another crawl.
  CrawlOptions o;
  o.out_dir = dir_->file("c");
  o.recordings = 3;
  o.seconds_min = o.seconds_max = 4;
  o.seed = 8;
  make_crawl(o);
  EXPECT_NE(read_jsonl(fs::path(o.out_dir) / "crawl.jsonl")[0], (*rows_)[0]);
}

TEST_F(SynthCrawl, EveryKindIsThereAndTheCountsAgree) {
  const json& t = *truth_;
  EXPECT_EQ(t["seed"], 7);
  EXPECT_EQ(t["recordings"], 24);
  int total = 0, non_music = 0;
  std::map<std::string, int> kinds;
  for (const auto& r : t["rows"]) ++kinds[r["kind"].get<std::string>()];
  for (const char* k :
       {"music", "speech", "noise", "tone", "speech_over_music", "part_music", "unreadable", "too_short"}) {
    EXPECT_GE(t["kinds"][k].get<int>(), 1) << k;
    EXPECT_EQ(t["kinds"][k].get<int>(), kinds[k]) << k;
    EXPECT_EQ(summary_->kinds.at(k), kinds[k]) << k;
    total += kinds[k];
  }
  EXPECT_EQ(total, 24);
  EXPECT_EQ(t["kinds"].size(), 8u);
  EXPECT_GT(kinds["music"], 24 / 2);  // music is the bulk, as in a real crawl
  for (const auto& r : t["rows"]) {
    const std::string kind = r["kind"];
    const double f = r["music_fraction"];
    if (kind == "speech" || kind == "noise" || kind == "tone" || kind == "speech_over_music" ||
        (kind == "part_music" && f < 0.5))
      ++non_music;
    if (kind == "part_music") {
      EXPECT_TRUE((f >= 0.2 && f <= 0.35) || (f >= 0.65 && f <= 0.8)) << r["id"] << " " << f;
      EXPECT_EQ(r["music"], f >= 0.5);
    }
    if (kind == "music" || kind == "too_short") {
      EXPECT_TRUE(r["music"].get<bool>()) << r["id"];
    } else if (kind != "part_music") {
      EXPECT_FALSE(r["music"].get<bool>()) << r["id"];
    }
    const bool tagged = kind == "music" || kind == "too_short" || kind == "part_music" || kind == "speech_over_music";
    EXPECT_EQ(!r["clip_tags"].empty(), tagged) << r["id"];
  }
  EXPECT_EQ(t["non_music"], non_music);
  EXPECT_EQ(summary_->non_music, non_music);
}

// Spells `text` with the truth's sentences from lf[next] on, in order: each followed by " " (only
// after . ! ? and before a capital letter), "\n" or the end of the text. False (and why) when
// the text is not exactly that.
bool consume(const std::string& text, const json& lf, size_t& next, std::string& why) {
  size_t pos = 0;
  while (pos < text.size()) {
    if (next >= lf.size()) return why = "truth has too few sentences for: " + text, false;
    const std::string s = lf[next++]["text"];
    if (s.empty() || text.compare(pos, s.size(), s) != 0)
      return why = "sentence '" + s + "' not at its place in: " + text, false;
    pos += s.size();
    if (pos == text.size()) break;
    const char sep = text[pos++], last = s.back();
    if (sep == ' ') {
      if (!(last == '.' || last == '!' || last == '?') || !std::isupper(static_cast<unsigned char>(text[pos])))
        return why = "a space joins sentences that a splitter may not split: " + text, false;
    } else if (sep != '\n') {
      return why = "sentences joined by '" + std::string(1, sep) + "': " + text, false;
    }
  }
  return true;
}

TEST_F(SynthCrawl, TruthAgreesWithTheCrawlRowByRow) {
  const json& t = *truth_;
  ASSERT_EQ(rows_->size(), 24u);
  ASSERT_EQ(t["rows"].size(), 24u);
  int sf_texts = 0, tokens = 0, boilerplate = 0, without_music = 0, sentences = 0, music_sentences = 0, pl = 0;
  std::set<std::string> playlists;
  for (size_t i = 0; i < rows_->size(); ++i) {
    const json& row = (*rows_)[i];
    const json& tr = t["rows"][i];
    ASSERT_EQ(row["id"], tr["id"]);
    EXPECT_EQ(row["audio"], tr["audio"]);
    // SF: the title, then each tag.
    const json& sf = tr["sf"];
    const std::vector<std::string> tags = row.value("tags", std::vector<std::string>{});
    ASSERT_EQ(sf.size(), 1 + tags.size()) << row["id"];
    EXPECT_EQ(sf[0]["text"], row["title"]);
    for (size_t k = 0; k < tags.size(); ++k) EXPECT_EQ(sf[k + 1]["text"], tags[k]);
    for (const auto& s : sf) {
      const std::string text = s["text"];
      EXPECT_EQ(s["tokens"].get<int>(), count_tokens(text)) << text;
      EXPECT_LE(s["boilerplate_tokens"].get<int>(), s["tokens"].get<int>()) << text;
      bool tag_word = false;
      for (const auto& tag : all_tags()) tag_word = tag_word || has_phrase(text, tag);
      EXPECT_EQ(s["has_music"].get<bool>(), tag_word) << text;
      ++sf_texts, tokens += s["tokens"].get<int>(), boilerplate += s["boilerplate_tokens"].get<int>();
      without_music += s["has_music"].get<bool>() ? 0 : 1;
    }
    // LF: the description's sentences, then each comment's, each exactly where the truth says.
    const json& lf = tr["lf"];
    size_t next = 0;
    std::string why;
    const std::string desc = row["description"];
    EXPECT_FALSE(desc.empty()) << row["id"];
    EXPECT_TRUE(consume(desc, lf, next, why)) << why;
    for (const auto& c : row.value("comments", std::vector<std::string>{})) {
      EXPECT_FALSE(c.empty()) << row["id"];
      EXPECT_TRUE(consume(c, lf, next, why)) << why;
    }
    EXPECT_EQ(next, lf.size()) << row["id"];
    for (const auto& s : lf) {
      const std::string text = s["text"];
      EXPECT_EQ(s["tokens"].get<int>(), count_tokens(text)) << text;
      EXPECT_EQ(text.find('\n'), std::string::npos) << text;
      for (size_t p = 0; p + 1 < text.size(); ++p)  // nothing inside ends a sentence
        if ((text[p] == '.' || text[p] == '!' || text[p] == '?') && text[p + 1] == ' ')
          ADD_FAILURE() << "a sentence end inside: " << text;
      ++sentences, music_sentences += s["music"].get<bool>() ? 1 : 0;
    }
    // PL: the row's playlists, as listed in the truth.
    const std::vector<std::string> pls = row.value("playlists", std::vector<std::string>{});
    EXPECT_EQ(tr["playlists"].get<std::vector<std::string>>(), pls);
    pl += static_cast<int>(pls.size());
    playlists.insert(pls.begin(), pls.end());
  }
  EXPECT_EQ(t["sf"]["texts"], sf_texts);
  EXPECT_EQ(t["sf"]["tokens"], tokens);
  EXPECT_EQ(t["sf"]["boilerplate_tokens"], boilerplate);
  EXPECT_EQ(t["sf"]["texts_without_music"], without_music);
  EXPECT_EQ(t["lf"]["sentences"], sentences);
  EXPECT_EQ(t["lf"]["music_sentences"], music_sentences);
  EXPECT_EQ(t["pl"]["texts"], pl);
  // A noisy crawl: boilerplate, texts that lose everything, music and chatter both in LF.
  EXPECT_GT(boilerplate, 10);
  EXPECT_LT(boilerplate, tokens / 2);
  EXPECT_GT(without_music, 5);
  EXPECT_LT(without_music, sf_texts);
  EXPECT_GT(music_sentences, 10);
  EXPECT_LT(music_sentences, sentences * 3 / 4);
  EXPECT_GE(playlists.size(), 8u);  // recordings / 2, at most 15
  EXPECT_EQ(summary_->playlists, static_cast<int>(playlists.size()));
}

TEST_F(SynthCrawl, AudioDecodesAsTheTruthSays) {
  std::set<std::string> formats;
  bool stereo = false;
  for (const auto& r : (*truth_)["rows"]) {
    const std::string path = (a() / r["audio"].get<std::string>()).string();
    ASSERT_TRUE(fs::is_regular_file(path)) << path;
    SF_INFO info{};
    SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
    if (r["kind"] == "unreadable") {
      EXPECT_EQ(f, nullptr) << path;
      if (f) sf_close(f);
      EXPECT_GT(fs::file_size(path), 0u) << path;
      continue;
    }
    ASSERT_NE(f, nullptr) << path << ": " << sf_strerror(nullptr);
    std::vector<float> buf(static_cast<size_t>(info.frames * info.channels));
    const sf_count_t got = sf_readf_float(f, buf.data(), info.frames);
    sf_close(f);
    EXPECT_EQ(got, r["frames"].get<int64_t>()) << path;
    EXPECT_EQ(info.frames, r["frames"].get<int64_t>()) << path;
    EXPECT_EQ(info.channels, r["channels"].get<int>()) << path;
    EXPECT_EQ(info.samplerate, 22050) << path;
    const double seconds = r["seconds"];
    if (r["kind"] == "too_short")
      EXPECT_LT(seconds, 3.0) << path;
    else
      EXPECT_TRUE(seconds >= 4 && seconds <= 8) << path << " " << seconds;
    EXPECT_GT(rms(buf), 0.005) << path;  // not silence
    formats.insert(r["format"].get<std::string>());
    stereo = stereo || info.channels == 2;
  }
  EXPECT_EQ(formats, (std::set<std::string>{"flac", "ogg", "wav"}));
  EXPECT_TRUE(stereo);
}

TEST(CrawlAudio, MakersAreDeterministicExactAndDifferBetweenVoices) {
  if (!have_program("espeak-ng") || !have_program("sox")) GTEST_SKIP() << "needs espeak-ng and sox";
  // Speech, resampled from espeak-ng's 22050 Hz to 16 kHz: the exact length, the same samples for
  // the same seed, another voice (or language, speed, pitch) for another seed.
  std::vector<std::vector<float>> voices;
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    voices.push_back(make_nonmusic(NonMusic::speech, 1.5, seed, 16000));
    ASSERT_EQ(voices.back().size(), 24000u);
    EXPECT_GT(rms(voices.back()), 0.02) << seed;
  }
  EXPECT_EQ(make_nonmusic(NonMusic::speech, 1.5, 1, 16000), voices[0]);
  // Voices differ in pitch and timbre: the zero-crossing rate (a brightness measure) spreads.
  std::vector<double> zcr;
  for (size_t i = 0; i < voices.size(); ++i) {
    for (size_t j = i + 1; j < voices.size(); ++j) EXPECT_NE(voices[i], voices[j]) << i << " " << j;
    int crossings = 0, voiced = 0;
    for (size_t k = 1; k < voices[i].size(); ++k)
      if (std::fabs(voices[i][k]) > 0.01f) ++voiced, crossings += (voices[i][k] > 0) != (voices[i][k - 1] > 0);
    zcr.push_back(static_cast<double>(crossings) / std::max(voiced, 1));
  }
  const auto [lo, hi] = std::minmax_element(zcr.begin(), zcr.end());
  EXPECT_GT(*hi / *lo, 1.15) << "zero-crossing rates " << zcr[0] << " " << zcr[1] << " " << zcr[2] << " " << zcr[3];
  for (NonMusic k : {NonMusic::noise, NonMusic::tone}) {
    const auto x = make_nonmusic(k, 0.75, 3, 22050), y = make_nonmusic(k, 0.75, 3, 22050),
               z = make_nonmusic(k, 0.75, 4, 22050);
    ASSERT_EQ(x.size(), 16538u) << to_string(k);
    EXPECT_EQ(x, y) << to_string(k);
    EXPECT_NE(x, z) << to_string(k);
    EXPECT_GT(rms(x), 0.01) << to_string(k);
  }
  try {
    find_soundfont("");
  } catch (const Error&) {
    return;
  }
  // Part music: speech first, then music; speech over music: the music well under the speech.
  const auto part = make_part_music(4, 0.25, 5, 16000);
  ASSERT_EQ(part.size(), 64000u);
  const std::vector<float> music_part(part.begin() + 48000, part.end());
  EXPECT_GT(rms(music_part), 0.005);
  const auto over = make_nonmusic(NonMusic::speech_over_music, 2, 6, 16000);
  ASSERT_EQ(over.size(), 32000u);
  EXPECT_GT(rms(over), 0.02);
  EXPECT_THROW(make_part_music(4, 1.5, 5, 16000), UsageError);
  EXPECT_THROW(make_nonmusic(NonMusic::noise, 0, 5, 16000), UsageError);
}

TEST(CrawlAudio, AMissingProgramIsNamedWithTheInstallScript) {
  const char* old = std::getenv("PATH");
  const std::string saved = old ? old : "";
  setenv("PATH", "", 1);
  std::string speech_error, tone_error;
  try {
    make_nonmusic(NonMusic::speech, 1, 1, 16000);
  } catch (const Error& e) {
    speech_error = e.what();
  }
  try {
    make_nonmusic(NonMusic::tone, 1, 1, 16000);
  } catch (const Error& e) {
    tone_error = e.what();
  }
  if (old)
    setenv("PATH", saved.c_str(), 1);
  else
    unsetenv("PATH");
  EXPECT_NE(speech_error.find("'espeak-ng'"), std::string::npos) << speech_error;
  EXPECT_NE(speech_error.find("scripts/install-deps.sh"), std::string::npos) << speech_error;
  EXPECT_NE(tone_error.find("'sox'"), std::string::npos) << tone_error;
}

TEST(CrawlCli, BadArgumentsFailWithOneClearLine) {
  test::TempDir dir;
  const std::string out = shell_quote(dir.file("crawl"));
  auto r = run_cli("synth --crawl " + out + " --seconds-min 2");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--seconds-min"), std::string::npos) << r.err;
  r = run_cli("synth --crawl " + out + " --recordings 0");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--recordings"), std::string::npos) << r.err;
  r = run_cli("synth --crawl " + out + " --clips 3");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  r = run_cli("synth --recordings 3");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_FALSE(fs::exists(dir.file("crawl")));
}

}  // namespace
}  // namespace mulan::synth::crawl_test
