// Files that appear whole or not at all: written to a fresh temporary file in PATH's folder
// (".NAME.XXXXXXXX.tmp", created exclusively with an unpredictable name, never through a
// symlink), flushed to disk, renamed over PATH. A crash or an error at any moment leaves the old
// PATH (or none), never half a file. An existing PATH that is not a regular file (a symlink, a
// device such as /dev/null, a FIFO, a folder) is refused, never replaced.
#pragma once

#include <cstddef>
#include <string>

namespace mulan {

class AtomicWriter {
 public:
  explicit AtomicWriter(std::string path);  // throws mulan::Error if PATH is refused or the folder is not writable
  ~AtomicWriter();                          // removes the temporary file unless commit() succeeded
  AtomicWriter(const AtomicWriter&) = delete;
  AtomicWriter& operator=(const AtomicWriter&) = delete;

  void write(const void* data, std::size_t n);  // throws mulan::Error naming PATH on failure
  void commit();  // flush, fsync, rename; throws mulan::Error naming the file on failure

 private:
  std::string path_, tmp_;
  int fd_ = -1;
  bool committed_ = false;
};

void write_file_atomic(const std::string& path, const std::string& contents);

// Removes the temporary files that an AtomicWriter for PATH left behind when its process was
// killed (regular files named ".NAME.*.tmp" in PATH's folder).
void remove_stale_temporaries(const std::string& path);

}  // namespace mulan
