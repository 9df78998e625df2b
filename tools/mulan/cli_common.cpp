#include "cli_common.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "mulan/eval.h"
#include "mulan/error.h"
#include "mulan/model.h"
#include "mulan/params.h"

namespace mulan::cli {

namespace {
std::pair<int, int> parse_shard(const std::string& text) {
  int i = -1, n = 0;
  char tail = 0;
  if (std::sscanf(text.c_str(), "%d/%d%c", &i, &n, &tail) != 2 || n < 1 || i < 0 || i >= n) {
    throw OptionError("shard", "--shard must be I/N with 0 <= I < N, got '" + printable(text) + "'");
  }
  return {i, n};
}
}  // namespace

std::pair<int, int> shard_of_this_process(const std::string& flag) {
  if (!flag.empty()) return parse_shard(flag);
  const char* rank = std::getenv("RANK");
  const char* world = std::getenv("WORLD_SIZE");
  if (rank && world) return parse_shard(std::string(rank) + "/" + world);
  return {0, 1};
}

bool read_line(std::istream& in, std::string& line, int64_t line_no, std::size_t max_bytes) {
  line.clear();
  std::istream::sentry ok(in, /*noskipws=*/true);
  if (!ok) {
    if (in.bad()) throw Error("cannot read standard input (line " + std::to_string(line_no) + ")");
    return false;
  }
  std::streambuf* buf = in.rdbuf();
  for (;;) {
    const int c = buf->sbumpc();
    if (c == std::char_traits<char>::eof()) {
      in.setstate(std::ios::eofbit);
      if (line.empty()) return false;
      break;
    }
    if (c == '\n') break;
    if (line.size() >= max_bytes) {
      throw Error("standard input: line " + std::to_string(line_no) + " is longer than " + std::to_string(max_bytes >> 10) +
                  " KiB (is it a text file?)");
    }
    line.push_back(static_cast<char>(c));
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return true;
}

std::vector<std::string> read_tag_list(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw FileNotFound(file_error(path, "cannot open the tag list"));
  std::vector<std::string> tags;
  std::string line;
  for (int64_t n = 1; read_line(in, line, n); ++n) {
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    tags.push_back(line.substr(first, line.find_last_not_of(" \t\r") - first + 1));
  }
  if (tags.empty()) throw Error(file_error(path, "holds no tag (one tag a line)"));
  return tags;
}

void finish_stdout() {
  std::cout.flush();
  const bool failed = !std::cout || std::fflush(stdout) != 0 || std::ferror(stdout);
  if (failed) throw Error("cannot write to standard output (disk full, or the reader went away)");
}

void print_skipped(const std::vector<std::string>& items, std::size_t max_lines) {
  for (std::size_t i = 0; i < items.size() && i < max_lines; ++i) std::cerr << "mulan: skipped: " << printable(items[i]) << "\n";
  if (items.size() > max_lines) std::cerr << "mulan: skipped " << items.size() - max_lines << " more (" << items.size() << " in all)\n";
}

void print_skipped(const std::vector<Failure>& items, std::size_t max_lines) {
  std::vector<std::string> lines;
  lines.reserve(items.size());
  for (const Failure& f : items) lines.push_back(f.text());
  print_skipped(lines, max_lines);
}

namespace {
std::atomic<int> stop_requested{0};
static_assert(std::atomic<int>::is_always_lock_free, "a signal handler may only touch lock-free atomics");

extern "C" void on_stop_signal(int sig) {
  int expected = 0;
  if (!stop_requested.compare_exchange_strong(expected, sig)) _exit(128 + sig);  // the second signal
  static const char note[] = "\nmulan: stopping after this step (a second signal stops at once)\n";
  [[maybe_unused]] const ssize_t n = ::write(STDERR_FILENO, note, sizeof note - 1);
}
}  // namespace

const std::atomic<int>* install_stop_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (int sig : {SIGTERM, SIGINT}) {
    if (::sigaction(sig, &sa, nullptr) != 0) throw Error("cannot install the handler of signal " + std::to_string(sig));
  }
  return &stop_requested;
}

CLI::Validator device_validator() {
  return CLI::Validator(
      [](const std::string& d) -> std::string {
        try {
          parse_device(d);
          return "";
        } catch (const Error& e) {
          return e.what();
        }
      },
      "cpu|cuda|cuda:N", "device");
}

namespace {
const CLI::Option* find_flag(const CLI::App& app, const std::string& flag) {
  for (const CLI::App* sub : app.get_subcommands()) {
    if (const CLI::Option* o = find_flag(*sub, flag)) return o;
    if (const CLI::Option* o = sub->get_option_no_throw(flag)) return o;
  }
  return nullptr;
}
}  // namespace

std::string flag_for(const CLI::App& app, const std::string& field) {
  // Fields whose flag is not their name with dashes.
  static const std::map<std::string, std::string> renamed = {
      {"tag_set", "--tags"}, {"out_dir", "--out"}, {"track_dir", "--tracks"}, {"tags_file", "--tags"}};
  const auto it = renamed.find(field);
  std::string flag = "--" + field;
  std::replace(flag.begin(), flag.end(), '_', '-');
  if (it != renamed.end() && find_flag(app, it->second)) return it->second;
  return find_flag(app, flag) ? flag : field;
}

CLI::Option* add_model_option(CLI::App* cmd, std::string& dir) {
  return cmd->add_option("--model", dir, "Model directory (config.json, model.safetensors, vocab.txt)")->required();
}

CLI::Option* add_device_option(CLI::App* cmd, std::string& device) {
  return cmd->add_option("--device", device, "Where the model runs: cpu, cuda or cuda:N")
      ->capture_default_str()
      ->check(device_validator());
}

CLI::Option* add_threads_option(CLI::App* cmd, int& threads) {
  return cmd->add_option("--threads", threads, "Audio files decoded ahead in parallel with the model")
      ->capture_default_str()
      ->check(CLI::Range(1, kMaxDecodeThreads));
}

std::string CacheArgs::resolve() const {
  if (none && !dir.empty()) throw UsageError("--cache and --no-cache exclude each other");
  return none ? "" : dir.empty() ? eval::default_cache_dir() : dir;
}

void add_cache_options(CLI::App* cmd, CacheArgs& a) {
  cmd->add_option("--cache", a.dir, "Embedding cache folder (default: $MULAN_CACHE, $XDG_CACHE_HOME/mulan or ~/.cache/mulan)");
  cmd->add_flag("--no-cache", a.none, "Neither read nor write the embedding cache");
}

namespace {
CLI::Validator number_at_least(bool allow_zero) {
  return CLI::Validator(
      [allow_zero](const std::string& text) -> std::string {
        double v = 0;
        std::size_t used = 0;
        try {
          v = std::stod(text, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        const bool ok = used == text.size() && std::isfinite(v) && (allow_zero ? v >= 0 : v > 0);
        return ok ? "" : std::string("must be a number ") + (allow_zero ? ">= 0" : "> 0") + ", not '" + text + "'";
      },
      allow_zero ? "NUMBER >= 0" : "NUMBER > 0", allow_zero ? "non-negative" : "positive");
}
}  // namespace

CLI::Validator positive_number() { return number_at_least(false); }
CLI::Validator non_negative_number() { return number_at_least(true); }

}  // namespace mulan::cli
