// What the file-reading fuzz targets share: one temporary input file per process, rewritten for
// every input and removed at exit, and the check that a refusal is one line naming that file.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace mulan::fuzz {

// Creates /tmp/mulan-NAME-fuzz-XXXXXX (removed at exit) and returns its path.
inline const std::string& temp_input(const char* name) {
  static std::string path = [name] {
    std::string pattern = std::string("/tmp/mulan-") + name + "-fuzz-XXXXXX";
    const int fd = mkstemp(pattern.data());
    if (fd < 0) std::abort();
    close(fd);
    return pattern;
  }();
  static const bool registered = [] { return std::atexit([] { std::remove(path.c_str()); }) == 0; }();
  (void)registered;
  return path;
}

// Writes the bytes to `file` (truncating it); aborts when it cannot.
inline void write_input(const std::string& file, const uint8_t* data, size_t size) {
  FILE* f = std::fopen(file.c_str(), "wb");
  if (!f || (size > 0 && std::fwrite(data, 1, size, f) != size) || std::fclose(f) != 0) std::abort();
}

// A refusal must be one line that names the file: anything else is a finding.
inline void check_refusal(const std::string& message, const std::string& file) {
  if (message.find('\n') != std::string::npos || message.find(file) == std::string::npos) {
    std::fprintf(stderr, "bad error message: %s\n", message.c_str());
    std::abort();
  }
}

}  // namespace mulan::fuzz
