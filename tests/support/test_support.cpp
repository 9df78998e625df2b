#include "support/test_support.h"

#include "mulan/error.h"

#include <sndfile.h>
#include <sys/wait.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace mulan::test {
namespace fs = std::filesystem;

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "mulan-test-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string le(uint32_t v, int bytes) {
  std::string s;
  for (int i = 0; i < bytes; ++i) s += static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}

void write_text(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + p.string());
}

std::vector<nlohmann::json> read_jsonl(const fs::path& p) {
  std::vector<nlohmann::json> rows;
  std::ifstream in(p);
  for (std::string line; std::getline(in, line);) rows.push_back(nlohmann::json::parse(line));
  return rows;
}

CommandResult run_command(const std::string& command) {
  TempDir tmp;
  const std::string out = tmp.file("stdout"), err = tmp.file("stderr");
  const std::string full = "( " + command + " ) >" + shell_quote(out) + " 2>" + shell_quote(err) + " </dev/null";
  const int status = std::system(full.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

CommandResult run_cli(const std::string& args) { return run_command(shell_quote(MULAN_CLI) + " " + args); }

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

bool has_phrase(const std::string& text, const std::string& phrase) {
  const auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  const std::string t = lower(text), p = lower(phrase);
  const auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  for (size_t at = t.find(p); at != std::string::npos; at = t.find(p, at + 1)) {
    const bool left = at == 0 || !word(t[at - 1]);
    const bool right = at + p.size() >= t.size() || !word(t[at + p.size()]);
    if (left && right) return true;
  }
  return false;
}

CommandResult run_python(const std::string& script, const std::string& args) {
  const std::string path = std::string(MULAN_SOURCE_DIR) + "/tests/python/" + script;
  return run_command("/usr/bin/python3 " + shell_quote(path) + " " + args);
}

void write_audio(const std::string& path, const std::vector<float>& interleaved, int channels,
                 int sample_rate, int format) {
  SF_INFO info{};
  info.channels = channels;
  info.samplerate = sample_rate;
  info.format = format;
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
  if (!f) throw std::runtime_error("cannot write " + path + ": " + sf_strerror(nullptr));
  const sf_count_t frames = static_cast<sf_count_t>(interleaved.size() / channels);
  if (sf_writef_float(f, interleaved.data(), frames) != frames) {
    sf_close(f);
    throw std::runtime_error("short write to " + path);
  }
  sf_close(f);
}

std::vector<float> tone(double freq_hz, double seconds, int rate, double amp) {
  std::vector<float> x(static_cast<size_t>(seconds * rate));
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(amp * std::sin(2 * M_PI * freq_hz * i / rate));
  return x;
}

std::vector<float> chirp(double f0, double f1, double seconds, int rate, double amp) {
  std::vector<float> x(static_cast<size_t>(seconds * rate));
  const double k = (f1 - f0) / seconds;
  for (size_t i = 0; i < x.size(); ++i) {
    const double t = double(i) / rate;
    x[i] = static_cast<float>(amp * std::sin(2 * M_PI * (f0 * t + 0.5 * k * t * t)));
  }
  return x;
}

std::vector<float> noise(double seconds, int rate, unsigned seed, double amp) {
  std::mt19937 gen(seed);
  std::normal_distribution<double> d(0.0, amp);
  std::vector<float> x(static_cast<size_t>(seconds * rate));
  for (auto& v : x) v = static_cast<float>(std::clamp(d(gen), -1.0, 1.0));
  return x;
}

std::vector<float> music(double seconds, int rate, unsigned seed) {
  const size_t n = static_cast<size_t>(seconds * rate);
  std::vector<double> y(n, 0.0);
  const double beat = 0.5;  // 120 bpm
  const int chords[4][3] = {{60, 64, 67}, {57, 60, 64}, {53, 57, 60}, {55, 59, 62}};  // C Am F G
  auto midi_hz = [](double m) { return 440.0 * std::pow(2.0, (m - 69) / 12.0); };
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  for (size_t i = 0; i < n; ++i) {
    const double t = double(i) / rate;
    const int bar = static_cast<int>(t / (4 * beat)) % 4;
    const double tb = std::fmod(t, beat);
    double s = 0.0;
    for (int note : chords[bar]) {  // piano-like chord, decaying each beat
      const double f = midi_hz(note);
      for (int h = 1; h <= 4; ++h) s += 0.08 / h * std::sin(2 * M_PI * f * h * t) * std::exp(-3.0 * tb);
    }
    s += 0.2 * std::sin(2 * M_PI * midi_hz(chords[bar][0] - 24) * t);  // bass
    if (tb < 0.05) s += 0.3 * u(gen) * std::exp(-tb * 60.0);         // hi-hat-like burst
    y[i] = s;
  }
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i) x[i] = static_cast<float>(std::clamp(y[i], -1.0, 1.0));
  return x;
}

}  // namespace mulan::test
