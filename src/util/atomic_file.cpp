#include "mulan/atomic_file.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "mulan/error.h"

namespace mulan {
namespace fs = std::filesystem;
namespace {

void fsync_path(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

std::string folder_of(const std::string& path) {
  const std::string dir = fs::path(path).parent_path().string();
  return dir.empty() ? "." : dir;
}

std::string temp_prefix(const std::string& path) {
  return (fs::path(folder_of(path)) / ("." + fs::path(path).filename().string() + ".")).string();
}

// 16 hex digits from the kernel's random source.
std::string random_suffix() {
  uint64_t r = 0;
  if (::getrandom(&r, sizeof r, 0) != static_cast<ssize_t>(sizeof r)) throw Error("cannot draw a random file name: " + std::string(std::strerror(errno)));
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(r));
  return buf;
}

}  // namespace

AtomicWriter::AtomicWriter(std::string path) : path_(std::move(path)) {
  struct stat st {};
  if (::lstat(path_.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    const char* what = S_ISLNK(st.st_mode) ? "a symbolic link" : S_ISDIR(st.st_mode) ? "a folder" : S_ISFIFO(st.st_mode) ? "a FIFO"
                       : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device" : "not a regular file";
    throw Error(file_error(path_, std::string("exists and is ") + what + ": refusing to replace it (name a new file or a regular one)"));
  }
  const std::string prefix = temp_prefix(path_);
  for (int attempt = 0; attempt < 16 && fd_ < 0; ++attempt) {
    tmp_ = prefix + random_suffix() + ".tmp";
    // O_EXCL | O_NOFOLLOW: never an existing file, never through a planted symlink.
    fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd_ < 0 && errno != EEXIST) break;
  }
  if (fd_ < 0) throw Error(file_error(path_, "cannot create a file in " + folder_of(path_) + ": " + std::strerror(errno)));
}

AtomicWriter::~AtomicWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(tmp_.c_str());
}

void AtomicWriter::write(const void* data, std::size_t n) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = ::write(fd_, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) throw Error(file_error(path_, std::string("write failed: ") + (w < 0 ? std::strerror(errno) : "no space")));
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

void AtomicWriter::commit() {
  if (::fsync(fd_) != 0 && errno != EINVAL) throw Error(file_error(path_, std::string("write failed: ") + std::strerror(errno)));
  const int rc = ::close(fd_);
  fd_ = -1;
  if (rc != 0) throw Error(file_error(path_, std::string("write failed: ") + std::strerror(errno)));
  // Checked again just before the rename: a symlink or device put at PATH meanwhile is not replaced.
  struct stat st {};
  if (::lstat(path_.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    throw Error(file_error(path_, "is no longer a regular file: refusing to replace it"));
  }
  if (::rename(tmp_.c_str(), path_.c_str()) != 0) throw Error(file_error(path_, std::string("cannot rename into place: ") + std::strerror(errno)));
  committed_ = true;
  fsync_path(folder_of(path_));  // make the rename itself durable
}

void write_file_atomic(const std::string& path, const std::string& contents) {
  AtomicWriter w(path);
  w.write(contents.data(), contents.size());
  w.commit();
}

void remove_stale_temporaries(const std::string& path) {
  const std::string name = "." + fs::path(path).filename().string() + ".";
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(folder_of(path), ec)) {
    const std::string f = e.path().filename().string();
    if (f.starts_with(name) && f.ends_with(".tmp") && f.size() == name.size() + 16 + 4 && e.is_regular_file(ec) && !e.is_symlink(ec)) {
      fs::remove(e.path(), ec);
    }
  }
}

}  // namespace mulan
