// Files that appear whole or not at all: written to PATH.tmp, flushed to disk, renamed over
// PATH. A crash or an error at any moment leaves the old PATH (or none), never half a file.
#pragma once

#include <fstream>
#include <string>

namespace mulan {

class AtomicWriter {
 public:
  explicit AtomicWriter(std::string path);  // throws mulan::Error if PATH.tmp cannot be created
  ~AtomicWriter();                          // removes PATH.tmp unless commit() succeeded
  AtomicWriter(const AtomicWriter&) = delete;
  AtomicWriter& operator=(const AtomicWriter&) = delete;

  std::ofstream& stream() { return out_; }
  void write(const void* data, std::size_t n) { out_.write(static_cast<const char*>(data), static_cast<std::streamsize>(n)); }
  void commit();  // flush, fsync, rename; throws mulan::Error naming the file on failure

 private:
  std::string path_, tmp_;
  std::ofstream out_;
  bool committed_ = false;
};

void write_file_atomic(const std::string& path, const std::string& contents);

}  // namespace mulan
