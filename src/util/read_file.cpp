#include "util/read_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "mulan/error.h"

namespace mulan {

std::string read_file(const std::string& path, std::uint64_t max_bytes, const std::string& what) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);  // O_NONBLOCK: a FIFO must not hang the open
  if (fd < 0) {
    if (errno == ENOENT) throw FileNotFound(file_error(path, "no such file (" + what + ")"));
    throw Error(file_error(path, "cannot open " + what + ": " + std::strerror(errno)));
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw Error(file_error(path, "cannot read " + what + ": " + std::strerror(errno)));
  if (S_ISDIR(st.st_mode)) throw Error(file_error(path, "is a folder, not " + what));
  if (!S_ISREG(st.st_mode)) throw Error(file_error(path, "is not a regular file (a device or a FIFO?), not " + what));
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes) {
    throw Error(file_error(path, what + " is " + std::to_string(st.st_size) + " bytes, more than the " + std::to_string(max_bytes) +
                                     " this reads"));
  }
  std::string out(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < out.size()) {
    const ssize_t n = ::read(fd, out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Error(file_error(path, "cannot read " + what + ": " + std::strerror(errno)));
    if (n == 0) break;  // shrank meanwhile
    got += static_cast<size_t>(n);
  }
  out.resize(got);
  return out;
}

}  // namespace mulan
