// Errors that mulan raises. Library code throws; the CLI and the server catch at the edge.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace mulan {

// Bad input or a failed operation: a file that cannot be read, a malformed config, ...
// The message is one line that names the file (or field) and the problem.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The caller asked for something that makes no sense (wrong flag value, conflicting options).
// The CLI exits with code 2 for these, 1 for every other Error.
class UsageError : public Error {
 public:
  using Error::Error;
};

// Long work stopped at a signal's request (SIGTERM, SIGINT) after saving its state: a training
// run with its checkpoint written. The CLI exits with 128 + signal, as a shell reports a process
// the signal ended; running the same command again continues the work.
class Interrupted : public Error {
 public:
  Interrupted(int signal, const std::string& what) : Error(what), signal_(signal) {}
  int signal() const { return signal_; }

 private:
  int signal_;
};

// "path: message", the shape of every file-related error message.
std::string file_error(const std::string& path, const std::string& message);

}  // namespace mulan

namespace mulan {

// Text quoted from a file or a request, safe to print on one line: control characters (newline,
// NUL, ESC, ...), DEL and bytes that are not valid UTF-8 come out as \n, \t or \xNN, a backslash
// as \\; every other character, non-ASCII letters included, as it is.
std::string printable(std::string_view text);

// One line for any exception: LibTorch's errors without their C++ backtrace (the first line of
// their message), an allocation failure as "out of memory", everything through printable().
std::string error_text(const std::exception& e);

}  // namespace mulan
