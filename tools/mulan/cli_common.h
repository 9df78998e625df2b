// What the subcommands share: bounded stdin line reads that report read errors, a check that
// what was printed reached stdout, and the checks of shared options.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <istream>
#include <utility>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "mulan/error.h"

namespace mulan::cli {

// The longest stdin line a subcommand takes: far beyond any text a model reads (512 tokens).
inline constexpr std::size_t kMaxLineBytes = std::size_t{1} << 20;

// Reads the next line of `in` (without its "\n" or "\r\n") into `line`; false at the end.
// Throws mulan::Error naming line `line_no` (from 1) when it is longer than max_bytes, and when
// reading fails (an I/O error, not the end).
bool read_line(std::istream& in, std::string& line, int64_t line_no, std::size_t max_bytes = kMaxLineBytes);

// A tag list: one tag a line, surrounding blanks trimmed, blank lines and lines starting with #
// skipped. Throws mulan::FileNotFound / mulan::Error naming the file (and the line when one is
// too long), and when it holds no tag.
std::vector<std::string> read_tag_list(const std::string& path);

// Flushes stdout; throws mulan::Error when anything printed could not be written (a full disk,
// a closed pipe, /dev/full).
void finish_stdout();

// Prints "mulan: skipped: ITEM" for the first max_lines items, then one line counting the rest
// (5,000 duplicate ids are not 5,000 lines); each through printable().
void print_skipped(const std::vector<std::string>& items, std::size_t max_lines = 10);
void print_skipped(const std::vector<Failure>& items, std::size_t max_lines = 10);  // each as Failure::text()

// Makes SIGTERM and SIGINT ask long work to stop: the first sets the returned flag to the signal's
// number (the work checks it, saves its state and ends); a second one ends the process at once
// with 128 + signal.
const std::atomic<int>* install_stop_signals();

// Which part of a split job this process does: --shard I/N when given, else torchrun's RANK
// and WORLD_SIZE when set, else {0, 1}. OptionError("shard") for a malformed I/N.
std::pair<int, int> shard_of_this_process(const std::string& flag);

// --device: "cpu", "cuda" or "cuda:N", checked by the library's parse_device: anything else,
// or a CUDA device this build or machine does not have, is a usage error (exit 2).
CLI::Validator device_validator();

// The flag of the subcommand being run that is bound to a library option field ("holdout" ->
// "--holdout", "tag_set" -> "--tags"); the field itself when no flag is.
std::string flag_for(const CLI::App& app, const std::string& field);

// Runs a training command, adding to its errors what the CLI user types to go on: a run that
// a signal stopped, or an output folder that already holds a run, continues with --resume.
template <typename F>
auto with_resume_hints(F&& run) {
  try {
    return run();
  } catch (const Interrupted& e) {
    throw Interrupted(e.signal(), std::string(e.what()) + "; run the same command with --resume to continue");
  } catch (const OptionError& e) {
    if (e.field() != "out_dir") throw;
    throw OptionError(e.field(), e.message() + " (--resume continues it)");
  }
}

// The options every model-using subcommand shares, parsed and checked in one place (defaults
// from mulan::default_params(), params.h).
CLI::Option* add_model_option(CLI::App* cmd, std::string& dir);    // --model DIR (required)
CLI::Option* add_device_option(CLI::App* cmd, std::string& device);  // --device
// --threads J: audio sources decoded ahead of the model.
CLI::Option* add_threads_option(CLI::App* cmd, int& threads);
// --cache DIR and --no-cache; resolve() gives the folder to use ("" for none).
struct CacheArgs {
  std::string dir;
  bool none = false;
  std::string resolve() const;  // UsageError when both are given
};
void add_cache_options(CLI::App* cmd, CacheArgs& a);
// A number > 0 (positive_number) or >= 0 (non_negative_number), finite, with a message that says
// so (CLI11's own ones print the range of a double).
CLI::Validator positive_number();
CLI::Validator non_negative_number();

}  // namespace mulan::cli
