#include "mine/tar_writer.h"

#include <archive.h>
#include <archive_entry.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "mulan/error.h"
#include "util/read_file.h"

namespace mulan::mine {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

class TarOut {
 public:
  explicit TarOut(fs::path path) : path_(std::move(path)), tmp_(path_.string() + ".tmp"), a_(archive_write_new()) {
    if (!a_ || archive_write_set_format_pax_restricted(a_) != ARCHIVE_OK ||
        archive_write_open_filename(a_, tmp_.c_str()) != ARCHIVE_OK) {
      throw Error(file_error(tmp_, std::string("cannot write a tar: ") + (a_ ? archive_error_string(a_) : "out of memory")));
    }
  }
  ~TarOut() {
    if (a_) archive_write_free(a_);
    if (!done_) std::remove(tmp_.c_str());
  }
  void add(const std::string& name, const std::string& bytes) {
    std::unique_ptr<archive_entry, decltype(&archive_entry_free)> e(archive_entry_new(), archive_entry_free);
    archive_entry_set_pathname(e.get(), name.c_str());
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(bytes.size()));
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), 0644);
    if (archive_write_header(a_, e.get()) != ARCHIVE_OK ||
        archive_write_data(a_, bytes.data(), bytes.size()) != static_cast<la_ssize_t>(bytes.size())) {
      throw Error(file_error(tmp_, std::string("tar write failed: ") + archive_error_string(a_)));
    }
  }
  void commit() {
    if (archive_write_close(a_) != ARCHIVE_OK) throw Error(file_error(tmp_, std::string("tar write failed: ") + archive_error_string(a_)));
    fs::rename(tmp_, path_);
    done_ = true;
  }

 private:
  fs::path path_;
  std::string tmp_;
  archive* a_;
  bool done_ = false;
};

}  // namespace

void write_shards(const fs::path& out, int clips_per_shard) {
  const fs::path dir = out / "shards";
  fs::create_directories(dir);
  for (const auto& e : fs::directory_iterator(dir)) {  // an earlier, interrupted packing
    if (e.path().extension() == ".tar" || e.path().extension() == ".tmp") fs::remove(e.path());
  }
  std::ifstream in(out / "manifest.jsonl", std::ios::binary);
  if (!in) throw Error(file_error((out / "manifest.jsonl").string(), "cannot open"));
  std::unique_ptr<TarOut> tar;
  int in_tar = 0, shard = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    json row = json::parse(line);
    const std::string audio = row.at("audio").get<std::string>();
    const std::string key = fs::path(audio).stem().string();
    if (!tar) {
      char name[64];
      std::snprintf(name, sizeof name, "mined-%05d.tar", shard++);
      tar = std::make_unique<TarOut>(dir / name);
    }
    row.erase("audio");
    tar->add(key + ".flac", read_file((out / audio).string(), 1ull << 32, "a mined clip"));
    tar->add(key + ".json", row.dump());
    if (++in_tar == clips_per_shard) {
      tar->commit();
      tar.reset();
      in_tar = 0;
    }
  }
  if (tar) tar->commit();
}

}  // namespace mulan::mine
