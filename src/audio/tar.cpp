#include "audio/tar.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <list>
#include <map>
#include <mutex>
#include <optional>

#include "mulan/error.h"

namespace mulan::audio {

ArchivePtr open_tar(const std::string& path) {
  ArchivePtr a(archive_read_new(), archive_read_free);
  archive_read_support_format_tar(a.get());
  archive_read_support_filter_all(a.get());  // .tar.gz etc. work too, at the price of seeking
  if (archive_read_open_filename(a.get(), path.c_str(), 1 << 16) != ARCHIVE_OK) {
    throw Error(file_error(path, std::string("cannot open shard (") + archive_error_string(a.get()) + ")"));
  }
  return a;
}

std::string read_member(archive* a, const std::string& where) {
  std::string out;
  char buf[1 << 16];
  for (;;) {
    const la_ssize_t n = archive_read_data(a, buf, sizeof buf);
    if (n < 0) throw Error(where + ": " + archive_error_string(a));
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > (size_t{2} << 30)) throw Error(where + ": member larger than 2 GiB");
  }
  return out;
}

namespace {

// Where "#" splits a reference, or npos.
size_t member_cut(const std::string& ref) {
  const size_t tar = ref.find(".tar#");
  if (tar != std::string::npos) return tar + 4;
  const size_t gz = ref.find(".tar.gz#");
  return gz != std::string::npos ? gz + 7 : std::string::npos;
}

struct ShardIndex {
  off_t size = 0;
  int64_t mtime_ns = 0;
  std::map<std::string, la_int64_t> header_at;  // member name -> offset of its header
};

// The indexes of the most recently read shards, bounded.
class IndexCache {
 public:
  static constexpr size_t kShards = 64;

  // The header offset of member in an uncompressed shard; nullopt when the shard is
  // compressed (no seeking) or has no such member.
  std::optional<la_int64_t> find(const std::string& shard, const std::string& member) {
    struct stat st {};
    if (::stat(shard.c_str(), &st) != 0) {
      if (errno == ENOENT) throw FileNotFound(file_error(shard, "no such shard"));
      throw Error(file_error(shard, std::string("cannot open shard (") + std::strerror(errno) + ")"));
    }
    const off_t size = st.st_size;
    const int64_t mtime_ns = int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec;
    std::lock_guard lock(mutex_);
    auto it = shards_.find(shard);
    if (it == shards_.end() || it->second.size != size || it->second.mtime_ns != mtime_ns) {
      ShardIndex index = build(shard);
      index.size = size;
      index.mtime_ns = mtime_ns;
      if (shards_.size() >= kShards && it == shards_.end()) {  // forget the least recently used
        shards_.erase(order_.back());
        order_.pop_back();
      }
      if (it == shards_.end()) order_.push_front(shard);
      it = shards_.insert_or_assign(shard, std::move(index)).first;
    } else {
      order_.remove(shard);
      order_.push_front(shard);
    }
    const auto m = it->second.header_at.find(member);
    if (m == it->second.header_at.end()) return std::nullopt;
    return m->second;
  }

 private:
  static ShardIndex build(const std::string& shard) {
    ShardIndex index;
    ArchivePtr a = open_tar(shard);
    archive_entry* entry = nullptr;
    int r;
    while ((r = archive_read_next_header(a.get(), &entry)) == ARCHIVE_OK) {
      if (archive_filter_code(a.get(), 0) != ARCHIVE_FILTER_NONE) return {};  // compressed: offsets cannot be sought
      index.header_at.emplace(archive_entry_pathname(entry), archive_read_header_position(a.get()));
    }
    if (r != ARCHIVE_EOF) throw Error(file_error(shard, std::string("cannot read shard (") + archive_error_string(a.get()) + ")"));
    return index;
  }

  std::mutex mutex_;
  std::map<std::string, ShardIndex> shards_;
  std::list<std::string> order_;  // most recently used first
};

IndexCache& index_cache() {
  static IndexCache cache;
  return cache;
}

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

bool is_tar_member(const std::string& ref) { return member_cut(ref) != std::string::npos; }

std::string read_tar_member(const std::string& ref) {
  const size_t cut = member_cut(ref);
  if (cut == std::string::npos) throw Error(file_error(ref, "is not a SHARD.tar#MEMBER reference"));
  const std::string shard = ref.substr(0, cut), member = ref.substr(cut + 1);
  const bool plain = ref.compare(cut - 4, 4, ".tar") == 0;
  if (plain) {
    if (const auto at = index_cache().find(shard, member)) {
      Fd f{::open(shard.c_str(), O_RDONLY | O_CLOEXEC)};
      if (f.fd < 0 || ::lseek(f.fd, static_cast<off_t>(*at), SEEK_SET) != static_cast<off_t>(*at)) {
        throw Error(file_error(shard, "cannot open shard"));
      }
      ArchivePtr a(archive_read_new(), archive_read_free);
      archive_read_support_format_tar(a.get());
      archive_entry* entry = nullptr;
      if (archive_read_open_fd(a.get(), f.fd, 1 << 16) != ARCHIVE_OK ||
          archive_read_next_header(a.get(), &entry) != ARCHIVE_OK || member != archive_entry_pathname(entry)) {
        throw Error(file_error(shard, "changed while it was read: member '" + member + "' is no longer where it was"));
      }
      return read_member(a.get(), ref);
    }
  }
  ArchivePtr a = open_tar(shard);  // compressed, or a member the index does not know: scan
  archive_entry* entry = nullptr;
  while (archive_read_next_header(a.get(), &entry) == ARCHIVE_OK) {
    if (member != archive_entry_pathname(entry)) continue;  // the reader skips (seeks) past its data
    return read_member(a.get(), ref);
  }
  throw Error(file_error(shard, "no member '" + member + "'"));
}

}  // namespace mulan::audio
