// Helpers shared by the tests: temporary folders, test signals, writing audio files, and
// running the CLI or a reference script in a subprocess.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <functional>
#include <string>
#include <vector>

namespace mulan::test {

// A fresh folder under the system temp dir, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs a shell command line, capturing stdout and stderr.
CommandResult run_command(const std::string& command);
// Runs the built mulan CLI with the given (already shell-quoted) arguments.
CommandResult run_cli(const std::string& args);
// Runs tests/python/<script> under Debian's /usr/bin/python3 with the given arguments.
CommandResult run_python(const std::string& script, const std::string& args);
std::string shell_quote(const std::string& s);

// Whether `phrase` occurs in `text` as whole words (no ASCII letter or digit right before or
// after it), ignoring ASCII case.
bool has_phrase(const std::string& text, const std::string& phrase);
// The message of the mulan::Error that f throws, or "(no error)".
std::string error_of(const std::function<void()>& f);

// A whole file's bytes ("" when it cannot be read), and writing text to a file.
std::string slurp(const std::filesystem::path& p);
// v as `bytes` little-endian bytes (for writing file headers by hand).
std::string le(uint32_t v, int bytes);
void write_text(const std::filesystem::path& p, const std::string& text);
// One JSON value a line (metrics.jsonl and the like); a bad line throws.
std::vector<nlohmann::json> read_jsonl(const std::filesystem::path& p);

// Writes interleaved samples (frames x channels) with libsndfile; format is a SF_FORMAT_* value.
void write_audio(const std::string& path, const std::vector<float>& interleaved, int channels,
                 int sample_rate, int format);

// Test signals at a given rate, amplitude about 0.5.
std::vector<float> tone(double freq_hz, double seconds, int rate, double amp = 0.5);
std::vector<float> chirp(double f0, double f1, double seconds, int rate, double amp = 0.5);
std::vector<float> noise(double seconds, int rate, unsigned seed, double amp = 0.3);
// A short piece of "music": a chord progression of harmonic notes with envelopes, a bass line
// and noise-burst drums.
std::vector<float> music(double seconds, int rate, unsigned seed = 1);

}  // namespace mulan::test
