// Errors that mulan raises. Library code throws; the CLI and the server catch at the edge.
#pragma once

#include <stdexcept>
#include <string>

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

// "path: message", the shape of every file-related error message.
std::string file_error(const std::string& path, const std::string& message);

}  // namespace mulan
