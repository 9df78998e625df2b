#include "util/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "mulan/error.h"

namespace mulan {
namespace {
void fsync_path(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}
}  // namespace

AtomicWriter::AtomicWriter(std::string path) : path_(std::move(path)), tmp_(path_ + ".tmp") {
  out_.open(tmp_, std::ios::binary | std::ios::trunc);
  if (!out_) throw Error(file_error(path_, "cannot open for writing"));
}

AtomicWriter::~AtomicWriter() {
  if (!committed_) {
    out_.close();
    std::remove(tmp_.c_str());
  }
}

void AtomicWriter::commit() {
  out_.flush();
  const bool ok = static_cast<bool>(out_);
  out_.close();
  if (!ok) throw Error(file_error(path_, "write failed (disk full?)"));
  fsync_path(tmp_);
  std::error_code ec;
  std::filesystem::rename(tmp_, path_, ec);
  if (ec) throw Error(file_error(path_, "cannot rename into place: " + ec.message()));
  committed_ = true;
  const std::string dir = std::filesystem::path(path_).parent_path().string();
  fsync_path(dir.empty() ? "." : dir);  // make the rename itself durable
}

void write_file_atomic(const std::string& path, const std::string& contents) {
  AtomicWriter w(path);
  w.write(contents.data(), contents.size());
  w.commit();
}

}  // namespace mulan
