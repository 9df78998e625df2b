#include <gtest/gtest.h>
#include <sndfile.h>

#include <cmath>
#include <fstream>
#include <limits>

#include "mulan/audio.h"
#include "mulan/error.h"
#include "support/test_support.h"

namespace mulan::audio {
namespace {

using test::TempDir;

// Expects decode(path) to throw a mulan::Error whose one-line message names the file and
// contains `problem`.
void expect_refused(const std::string& path, const std::string& problem) {
  try {
    decode(path);
    FAIL() << "decoded " << path << " without complaint";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    EXPECT_NE(msg.find(problem), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

void write_bytes(const std::string& path, const std::string& bytes) { test::write_text(path, bytes); }
std::string read_bytes(const std::string& path) { return test::slurp(path); }
using test::le;

// A canonical 16-bit PCM WAV with whatever header values a test wants.
std::string wav_bytes(uint32_t channels, uint32_t rate, const std::string& data, uint32_t data_size) {
  return "RIFF" + le(36 + data_size, 4) + "WAVE" + "fmt " + le(16, 4) + le(1, 2) + le(channels, 2) +
         le(rate, 4) + le(rate * channels * 2, 4) + le(channels * 2, 2) + le(16, 2) + "data" +
         le(data_size, 4) + data;
}

struct Format {
  const char* ext;
  int format;
  double tolerance;  // max abs difference from the original after decoding (lossy codecs)
};

class DecodeFormats : public ::testing::TestWithParam<Format> {};

TEST_P(DecodeFormats, RoundTripsAStereoFileToMono16k) {
  const Format f = GetParam();
  TempDir dir;
  const std::vector<float> mono = test::tone(440.0, 2.0, 16000, 0.4);
  std::vector<float> stereo;
  for (float v : mono) {
    stereo.push_back(v * 1.5f);  // downmix averages: (1.5 v + 0.5 v) / 2 = v
    stereo.push_back(v * 0.5f);
  }
  const std::string path = dir.file(std::string("a.") + f.ext);
  test::write_audio(path, stereo, 2, 16000, f.format);

  const AudioInfo info = probe(path);
  EXPECT_EQ(info.channels, 2);
  EXPECT_EQ(info.sample_rate, 16000);
  const std::vector<float> got = decode(path);
  ASSERT_NEAR(static_cast<double>(got.size()), 32000.0, 1200.0);  // MP3 may add a frame of padding
  if (f.tolerance < 0.1) {  // sample-exact formats
    ASSERT_EQ(got.size(), mono.size());
    double err = 0;
    for (size_t i = 0; i < mono.size(); ++i) err = std::max(err, double(std::abs(got[i] - mono[i])));
    EXPECT_LT(err, f.tolerance);
  } else {  // lossy codecs: compare energy only
    double e_got = 0, e_want = 0;
    for (float v : got) e_got += double(v) * v;
    for (float v : mono) e_want += double(v) * v;
    EXPECT_NEAR(std::sqrt(e_got / got.size()), std::sqrt(e_want / mono.size()), 0.05);
  }
}

INSTANTIATE_TEST_SUITE_P(Formats, DecodeFormats,
                         ::testing::Values(Format{"wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1e-4},
                                           Format{"flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 1e-4},
                                           Format{"ogg", SF_FORMAT_OGG | SF_FORMAT_VORBIS, 1.0},
                                           Format{"opus", SF_FORMAT_OGG | SF_FORMAT_OPUS, 1.0},
                                           Format{"mp3", SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III, 1.0}),
                         [](const auto& info) { return std::string(info.param.ext); });

// decode() looks at the first bytes before libsndfile does and refuses what no libsndfile
// format starts with: every file libsndfile writes and reads back itself must get through, in
// every container and encoding this libsndfile has (headerless RAW aside).
TEST(Decode, EveryFormatLibsndfileReadsGetsPastTheSniffing) {
  TempDir dir;
  const std::vector<float> x = test::tone(440.0, 0.5, 16000, 0.4);
  int majors = 0, subtypes = 0, tried = 0;
  sf_command(nullptr, SFC_GET_FORMAT_MAJOR_COUNT, &majors, sizeof majors);
  sf_command(nullptr, SFC_GET_FORMAT_SUBTYPE_COUNT, &subtypes, sizeof subtypes);
  for (int m = 0; m < majors; ++m) {
    SF_FORMAT_INFO major{};
    major.format = m;
    sf_command(nullptr, SFC_GET_FORMAT_MAJOR, &major, sizeof major);
    if (major.format == SF_FORMAT_RAW) continue;
    for (int k = 0; k < subtypes; ++k) {
      SF_FORMAT_INFO sub{};
      sub.format = k;
      sf_command(nullptr, SFC_GET_FORMAT_SUBTYPE, &sub, sizeof sub);
      SF_INFO info{};
      info.samplerate = 16000;
      info.channels = 1;
      info.format = major.format | sub.format;
      if (!sf_format_check(&info)) continue;
      const std::string path = dir.file("f" + std::to_string(m) + "_" + std::to_string(k) + "." + major.extension);
      SNDFILE* w = sf_open(path.c_str(), SFM_WRITE, &info);
      if (!w) continue;
      sf_writef_float(w, x.data(), static_cast<sf_count_t>(x.size()));
      sf_close(w);
      SF_INFO back{};
      SNDFILE* r = sf_open(path.c_str(), SFM_READ, &back);
      if (!r) continue;  // libsndfile cannot read it either
      sf_close(r);
      ++tried;
      const std::string bytes = read_bytes(path);
      // SD2 keeps its header in a resource fork beside the file: only a path can have one.
      const bool needs_name = major.format == SF_FORMAT_SD2;
      for (bool memory : {false, true}) {
        if (memory && needs_name) continue;
        try {
          if (memory) {
            decode_memory(bytes.data(), bytes.size(), path);
          } else {
            decode(path);
          }
        } catch (const Error& e) {
          const std::string msg = e.what();
          EXPECT_EQ(msg.find("not a readable audio file"), std::string::npos) << major.name << " / " << sub.name << ": " << msg;
        }
      }
    }
  }
  EXPECT_GT(tried, 40);
}

TEST(Decode, OffsetAndDurationSelectTheSamePartAsAFullDecode) {
  TempDir dir;
  const std::vector<float> x = test::music(6.0, 16000);
  const std::string path = dir.file("m.flac");
  test::write_audio(path, x, 1, 16000, SF_FORMAT_FLAC | SF_FORMAT_PCM_24);
  DecodeOptions o;
  o.offset_s = 2.5;
  o.duration_s = 1.25;
  const std::vector<float> part = decode(path, o);
  const std::vector<float> full = decode(path);
  ASSERT_EQ(part.size(), 20000u);
  for (size_t i = 0; i < part.size(); ++i) ASSERT_EQ(part[i], full[40000 + i]) << i;
}

TEST(Decode, StreamingReadsEqualOneShotDecode) {
  TempDir dir;
  std::vector<float> x = test::music(3.0, 44100);
  const std::string path = dir.file("m.wav");
  test::write_audio(path, x, 1, 44100, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  AudioReader reader(path);
  std::vector<float> streamed;
  while (reader.read(streamed, 777) > 0) {
  }
  EXPECT_EQ(streamed, decode(path));
}

TEST(Decode, MemoryStaysBoundedOnALongRecording) {
  // Ten minutes at 44.1 kHz stereo, read in small pieces: the reader's buffer must not grow
  // with the length of the file (it once kept every sample it had handed out).
  TempDir dir;
  const std::string path = dir.file("long.wav");
  test::write_audio(path, std::vector<float>(2 * 600 * 44100, 0.25f), 2, 44100, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  AudioReader reader(path);
  std::vector<float> chunk;
  std::size_t total = 0, most = 0;
  for (;;) {
    chunk.clear();
    const std::size_t n = reader.read(chunk, 1000);
    if (n == 0) break;
    total += n;
    most = std::max(most, reader.buffered_samples());
  }
  EXPECT_NEAR(static_cast<double>(total), 600.0 * 16000, 2.0);
  EXPECT_LT(most, 40000u);
}

TEST(Decode, MemoryBufferEqualsFile) {
  TempDir dir;
  const std::string path = dir.file("m.flac");
  test::write_audio(path, test::music(1.0, 22050), 1, 22050, SF_FORMAT_FLAC | SF_FORMAT_PCM_16);
  const std::string bytes = read_bytes(path);
  EXPECT_EQ(decode_memory(bytes.data(), bytes.size(), "m.flac"), decode(path));
}

TEST(Decode, SilenceDecodesToZeros) {
  TempDir dir;
  const std::string path = dir.file("s.wav");
  test::write_audio(path, std::vector<float>(8000, 0.0f), 1, 16000, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  const std::vector<float> x = decode(path);
  ASSERT_EQ(x.size(), 8000u);
  for (float v : x) ASSERT_EQ(v, 0.0f);
}

TEST(DecodeRefuses, MissingFile) { expect_refused("/no/such/file.wav", "no such file"); }

TEST(DecodeRefuses, Directory) {
  TempDir dir;
  expect_refused(dir.path().string(), "is a directory");
}

TEST(DecodeRefuses, EmptyFile) {
  TempDir dir;
  write_bytes(dir.file("e.wav"), "");
  expect_refused(dir.file("e.wav"), "empty");
}

TEST(DecodeRefuses, TextFile) {
  TempDir dir;
  write_bytes(dir.file("t.mp3"), "this is not audio, just some text\n");
  expect_refused(dir.file("t.mp3"), "not a readable audio file");
}

TEST(DecodeRefuses, ZeroLengthRecording) {
  TempDir dir;
  write_bytes(dir.file("z.wav"), wav_bytes(1, 16000, "", 0));
  expect_refused(dir.file("z.wav"), "no audio samples");
}

TEST(DecodeRefuses, AbsurdSampleRate) {
  TempDir dir;
  write_bytes(dir.file("r.wav"), wav_bytes(1, 3, std::string(400, '\0'), 400));
  expect_refused(dir.file("r.wav"), "sample rate");
}

TEST(DecodeRefuses, AbsurdHeaders) {
  TempDir dir;
  // No channels, 60000 channels, a zero rate: each refused, by libsndfile or by us, by name.
  for (auto [ch, rate] : {std::pair<uint32_t, uint32_t>{0, 16000}, {60000, 16000}, {1, 0}, {1, 4000000000u}}) {
    const std::string path = dir.file("h" + std::to_string(ch) + "_" + std::to_string(rate) + ".wav");
    write_bytes(path, wav_bytes(ch, rate, std::string(400, '\0'), 400));
    expect_refused(path, "");
  }
}

TEST(DecodeRefuses, NonFiniteSamples) {
  TempDir dir;
  std::vector<float> x = test::tone(440.0, 0.5, 16000);
  x[4000] = std::numeric_limits<float>::quiet_NaN();
  test::write_audio(dir.file("nan.wav"), x, 1, 16000, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  expect_refused(dir.file("nan.wav"), "non-finite");
  x[4000] = std::numeric_limits<float>::infinity();
  test::write_audio(dir.file("inf.wav"), x, 1, 16000, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  expect_refused(dir.file("inf.wav"), "non-finite");
}

TEST(DecodeRefuses, TruncatedFlac) {
  TempDir dir;
  const std::string path = dir.file("full.flac");
  test::write_audio(path, test::noise(3.0, 16000, 5), 1, 16000, SF_FORMAT_FLAC | SF_FORMAT_PCM_16);
  const std::string bytes = read_bytes(path);
  write_bytes(dir.file("cut.flac"), bytes.substr(0, bytes.size() / 2));
  expect_refused(dir.file("cut.flac"), "truncated");
}

TEST(DecodeRefuses, TruncatedWav) {
  TempDir dir;
  const std::string data(32000, '\x11');
  write_bytes(dir.file("cut.wav"), wav_bytes(1, 16000, data.substr(0, 10000), 32000));
  expect_refused(dir.file("cut.wav"), "truncated");
}

TEST(DecodeRefuses, OffsetPastTheEnd) {
  TempDir dir;
  test::write_audio(dir.file("a.wav"), test::tone(440, 1.0, 16000), 1, 16000, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  DecodeOptions o;
  o.offset_s = 5.0;
  EXPECT_THROW(decode(dir.file("a.wav"), o), Error);
  o.offset_s = -1.0;
  EXPECT_THROW(decode(dir.file("a.wav"), o), UsageError);
}

}  // namespace
}  // namespace mulan::audio
