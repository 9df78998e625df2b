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

// A file or folder that does not exist: an audio file, a model directory, its config.json,
// model.safetensors or vocab.txt. The CLI treats it as any other Error (exit 1); the Python module
// raises it as FileNotFoundError.
class FileNotFound : public Error {
 public:
  using Error::Error;
};

// An option of the library (a field of an options struct, by its name there) with a value that
// makes no sense: what() is "FIELD MESSAGE". The CLI shows the flag bound to the field instead
// ("--holdout must be in (0, 1)"), the Python module the keyword argument.
class OptionError : public UsageError {
 public:
  OptionError(const std::string& field, const std::string& message)
      : UsageError(joined(field, message)), field_(field), message_(message) {}
  // "field message", or "field: message" when the message starts with ':'.
  static std::string joined(const std::string& field, const std::string& message) {
    return field + (!message.empty() && message[0] == ':' ? "" : " ") + message;
  }
  const std::string& field() const { return field_; }
  const std::string& message() const { return message_; }

 private:
  std::string field_, message_;
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

// Why one item of many (a recording, a manifest row, a shard sample) was skipped while the work
// went on. Every part of mulan that skips items reports them as Failures; the CLI prints them,
// the server returns them, the Python module raises or returns them.
enum class FailureKind {
  missing,     // the file does not exist (FileNotFound)
  unreadable,  // the file or member could not be opened or decoded
  malformed,   // a row or record does not have the expected shape or types
  too_large,   // over a size limit (a field, a file, a count)
  empty,       // no audio samples, no text, nothing usable
  duplicate,   // the same id or key seen before
  not_finite,  // the model produced NaN or Inf for it
  other,
};
// "unreadable", "malformed", ... (the names of the enumerators).
const char* to_string(FailureKind kind);

struct Failure {
  std::string where;   // the item: a path, "FILE:LINE", "SHARD.tar#MEMBER"
  FailureKind kind = FailureKind::other;
  std::string reason;  // one line, without `where`

  // "where: reason", the one line the CLI prints.
  std::string text() const;
};

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
