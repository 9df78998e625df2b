// Decoding from many threads at once: every refusal is its own file's one-line error, and
// decoding leaves the process's stderr alone (nothing written by another thread is lost, and
// libmpg123 never gets to print its "Note: ..." lines).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sndfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "mulan/audio.h"
#include "mulan/error.h"
#include "mulan/random.h"
#include "support/test_support.h"

// A namespace of its own: the test sources are built as one unity file with decode_test.cpp,
// whose helpers have the same names.
namespace mulan::audio::threads_test {
namespace {

using test::TempDir;

void write_bytes(const std::string& path, const std::string& bytes) { test::write_text(path, bytes); }
std::string read_bytes(const std::string& path) { return test::slurp(path); }
using test::le;

std::string wav_header(uint32_t channels, uint32_t rate, uint32_t data_size) {
  return "RIFF" + le(36 + data_size, 4) + "WAVE" + "fmt " + le(16, 4) + le(1, 2) + le(channels, 2) + le(rate, 4) +
         le(rate * channels * 2, 4) + le(channels * 2, 2) + le(16, 2) + "data" + le(data_size, 4);
}

// A constant-bitrate MP3 (every frame the same length at 16 kHz: no padding), as libsndfile
// writes it with LAME: an Info frame, then audio frames.
std::string cbr_mp3(const std::string& path) {
  SF_INFO info{};
  info.samplerate = 16000;
  info.channels = 1;
  info.format = SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III;
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
  if (!f) throw Error("cannot write " + path + ": " + sf_strerror(nullptr));
  int mode = SF_BITRATE_MODE_CONSTANT;
  sf_command(f, SFC_SET_BITRATE_MODE, &mode, sizeof mode);
  const std::vector<float> x = test::tone(440.0, 2.0, 16000, 0.4);
  sf_writef_float(f, x.data(), static_cast<sf_count_t>(x.size()));
  sf_close(f);
  return read_bytes(path);
}

// The length of the first MPEG frame: the distance to the next identical header.
std::size_t first_frame_length(const std::string& mp3) {
  return mp3.find(mp3.substr(0, 3), 4);
}

// Where the frames of a 16 kHz MPEG-2 layer III stream start (bitrate table of ISO 13818-3).
std::vector<std::size_t> frame_starts_16k(const std::string& mp3) {
  static constexpr int kKbps[15] = {0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160};
  std::vector<std::size_t> starts;
  for (std::size_t pos = 0; pos + 4 <= mp3.size();) {
    const auto b2 = static_cast<unsigned char>(mp3[pos + 2]);
    if (static_cast<unsigned char>(mp3[pos]) != 0xFF || (b2 >> 4) == 0 || (b2 >> 4) == 15) break;
    starts.push_back(pos);
    pos += static_cast<std::size_t>(72000 * kKbps[b2 >> 4] / 16000 + ((b2 >> 1) & 1));
  }
  return starts;
}

// Everything written to file descriptor 2 while it lives, read through a pipe.
class StderrCapture {
 public:
  StderrCapture() {
    if (::pipe(fds_) != 0) throw Error("pipe failed");
    std::fflush(stderr);
    saved_ = ::dup(STDERR_FILENO);
    ::dup2(fds_[1], STDERR_FILENO);
    ::close(fds_[1]);
    reader_ = std::thread([this] {
      char buf[4096];
      for (ssize_t n; (n = ::read(fds_[0], buf, sizeof buf)) != 0;) {
        if (n > 0) text_.append(buf, static_cast<std::size_t>(n));
      }
    });
  }
  ~StderrCapture() { stop(); }
  std::string stop() {
    if (saved_ >= 0) {
      std::fflush(stderr);
      ::dup2(saved_, STDERR_FILENO);  // closes the pipe's last write end: the reader sees EOF
      ::close(saved_);
      saved_ = -1;
      reader_.join();
      ::close(fds_[0]);
    }
    return text_;
  }

 private:
  int fds_[2] = {-1, -1};
  int saved_ = -1;
  std::thread reader_;
  std::string text_;
};

// "ok <samples>" or the error message.
std::string outcome(const std::string& path, bool from_memory) {
  try {
    if (!from_memory) return "ok " + std::to_string(decode(path).size());
    const std::string bytes = read_bytes(path);
    return "ok " + std::to_string(decode_memory(bytes.data(), bytes.size(), path).size());
  } catch (const Error& e) {
    return e.what();
  }
}

struct Case {
  std::string path;
  std::string expect;  // in the error message; "ok" for a file that decodes
};

std::vector<Case> make_cases(const TempDir& dir) {
  std::vector<Case> c;
  auto add = [&](const std::string& name, const std::string& bytes, const std::string& expect) {
    write_bytes(dir.file(name), bytes);
    c.push_back({dir.file(name), expect});
  };
  Rng rng(7);
  std::string garbage;
  for (int i = 0; i < 5000; ++i) garbage += static_cast<char>(rng.uniform_int(0, 255));
  garbage[0] = 'x';  // not by chance an MPEG sync
  add("text.mp3", "this is not audio, just some text for libmpg123 to look at\n", "unrecognised format");
  add("garbage.bin", garbage, "unrecognised format");
  add("riff.wav", "RIFF", "unrecognised format");
  add("sync.mp3", std::string("\xFF\xFB\x90\x00", 4) + std::string(2000, '\0'), "damaged MPEG audio");
  add("free.mp3", std::string("\xFF\xFB\x00\x00", 4) + std::string(2000, '\0'), "free-format");
  add("id3.mp3", std::string("ID3\x03\x00\x00\x00\x00\x00\x05", 10) + "12345" + garbage, "unrecognised format");
  add("id3only.mp3", std::string("ID3\x03\x00\x00\x00\x00\x10\x00", 10) + std::string(100, 'x'), "an ID3 tag and no audio");
  // Recognised by libsndfile, refused by it: two different reasons, each for its own file.
  add("nodata.wav", "RIFF" + le(40, 4) + "WAVE" + "fmt " + le(16, 4) + le(1, 2) + le(1, 2) + le(16000, 4) + le(32000, 4) +
                        le(2, 2) + le(16, 2) + "junk" + le(4, 4) + "abcd",
      "No 'data' chunk");
  add("nochannels.wav", wav_header(0, 16000, 400) + std::string(400, '\0'), "Channel count is zero");
  add("cut.wav", wav_header(1, 16000, 32000) + std::string(10000, '\x11'), "truncated");

  test::write_audio(dir.file("full.flac"), test::noise(3.0, 16000, 5), 1, 16000, SF_FORMAT_FLAC | SF_FORMAT_PCM_16);
  const std::string flac = read_bytes(dir.file("full.flac"));
  add("cut.flac", flac.substr(0, flac.size() / 2), "truncated");

  const std::string mp3 = cbr_mp3(dir.file("cbr.mp3"));
  const std::size_t frame = first_frame_length(mp3);
  EXPECT_GT(frame, 20u);
  EXPECT_EQ(mp3.size() % frame, 0u) << "not a constant-bitrate stream";
  add("cut_in_frame.mp3", mp3.substr(0, 5 * frame + frame / 2), "truncated: the MPEG frame at byte");
  // Cut at a frame boundary: only the Xing header of a variable-bitrate file tells.
  test::write_audio(dir.file("vbr.mp3"), test::tone(440.0, 2.0, 16000, 0.4), 1, 16000, SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III);
  const std::string vbr = read_bytes(dir.file("vbr.mp3"));
  const std::vector<std::size_t> starts = frame_starts_16k(vbr);
  EXPECT_GT(starts.size(), 10u);
  add("cut_at_frame.mp3", vbr.substr(0, starts.at(starts.size() / 2)), "truncated: the Xing header promises");
  c.push_back({dir.file("vbr.mp3"), "ok"});
  add("junk_tail.mp3", mp3 + garbage, "damaged MPEG audio: no frame header at byte " + std::to_string(mp3.size()));
  std::string flipped = mp3;
  flipped[3 * frame] = 'Z';
  add("bad_header.mp3", flipped, "damaged MPEG audio: no frame header at byte " + std::to_string(3 * frame));
  // Files that decode: an MP3 with an ID3v1 tag at the end, and a WAV.
  add("tagged.mp3", mp3 + "TAG" + std::string(125, ' '), "ok");
  c.push_back({dir.file("cbr.mp3"), "ok"});
  test::write_audio(dir.file("a.wav"), test::tone(300.0, 1.0, 22050), 1, 22050, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  c.push_back({dir.file("a.wav"), "ok"});
  return c;
}

TEST(DecodeThreads, EachRefusalIsItsOwnAndStderrIsLeftAlone) {
  TempDir dir;
  const std::vector<Case> cases = make_cases(dir);
  StderrCapture capture;

  // One at a time first: the expected outcome of every file, by path and from memory.
  std::map<std::pair<std::string, bool>, std::string> expected;
  for (const Case& c : cases) {
    for (bool memory : {false, true}) {
      const std::string got = outcome(c.path, memory);
      expected[{c.path, memory}] = got;
      if (c.expect == "ok") {
        EXPECT_EQ(got.rfind("ok ", 0), 0u) << c.path << ": " << got;
      } else {
        EXPECT_NE(got.find(c.path), std::string::npos) << got;
        EXPECT_NE(got.find(c.expect), std::string::npos) << c.path << ": " << got;
        EXPECT_EQ(got.find('\n'), std::string::npos) << got;
      }
    }
  }

  // Then eight threads over all of them in different orders, while another writes to stderr.
  std::atomic<bool> done{false};
  std::string written;
  for (int i = 0; i < 400; ++i) written += "marker " + std::to_string(i) + "\n";
  std::thread writer([&] {
    std::size_t pos = 0;
    while (pos < written.size()) {
      const std::size_t end = written.find('\n', pos) + 1;
      const ssize_t n = ::write(STDERR_FILENO, written.data() + pos, end - pos);
      ASSERT_EQ(n, static_cast<ssize_t>(end - pos));
      pos = end;
      if (!done) std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  std::vector<std::thread> workers;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 8; ++t) {
    workers.emplace_back([&, t] {
      for (int round = 0; round < 3; ++round) {
        for (std::size_t k = 0; k < cases.size(); ++k) {
          const Case& c = cases[(k * 7 + static_cast<std::size_t>(t) * 3 + static_cast<std::size_t>(round)) % cases.size()];
          const bool memory = (t + round + static_cast<int>(k)) % 2 == 1;
          const std::string got = outcome(c.path, memory);
          if (got != expected.at({c.path, memory})) {
            ++mismatches;
            ADD_FAILURE() << c.path << (memory ? " (memory)" : "") << ": " << got << "\n  expected: " << expected.at({c.path, memory});
          }
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  done = true;
  writer.join();
  const std::string err = capture.stop();
  EXPECT_EQ(mismatches.load(), 0);
  // Exactly what the writer wrote: nothing lost, nothing from libmpg123 or libsndfile.
  EXPECT_EQ(err, written);
}

TEST(DecodeThreads, FifoIsRefusedWithoutBlocking) {
  TempDir dir;
  const std::string fifo = dir.file("pipe.wav");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  try {
    decode(fifo);
    FAIL() << "decoded a FIFO";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not a regular file"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace mulan::audio::threads_test
