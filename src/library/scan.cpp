#include "library/scan.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <system_error>

#include "mulan/audio.h"
#include "mulan/library.h"
#include "mulan/manifest.h"

namespace fs = std::filesystem;

namespace mulan::library {

namespace {

std::string lower_extension(const fs::path& p) {
  std::string e = p.extension().string();
  if (!e.empty()) e.erase(0, 1);
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return std::tolower(c); });
  return e;
}

bool is_manifest(const fs::path& p) {
  const std::string e = lower_extension(p);
  return e == "jsonl" || e == "json";
}

std::string normal(const fs::path& p) { return fs::absolute(p).lexically_normal().string(); }

}  // namespace

bool has_audio_extension(const std::string& path) {
  const auto& known = audio::readable_extensions();
  return std::binary_search(known.begin(), known.end(), lower_extension(path));
}

ScanResult scan_inputs(const std::vector<std::string>& inputs) {
  ScanResult out;
  for (const auto& input : inputs) {
    std::error_code ec;
    const auto status = fs::status(input, ec);
    if (ec || !fs::exists(status)) throw FileNotFound(file_error(input, "no such file or folder"));
    if (fs::is_directory(status)) {
      fs::recursive_directory_iterator it(input, fs::directory_options::skip_permission_denied, ec);
      if (ec) throw Error(file_error(input, "cannot read the folder: " + ec.message()));
      for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (ec) {
          out.skipped.push_back({input, FailureKind::unreadable, "cannot read a folder in it: " + ec.message()});
          break;
        }
        std::error_code fec;
        if (it->is_regular_file(fec) && has_audio_extension(it->path().string())) {
          out.files.push_back(normal(it->path()));
        }
      }
    } else if (is_manifest(input)) {
      data::ManifestOptions options;
      const auto manifest = data::read_manifest(input, options);
      for (const auto& row : manifest.rows) out.files.push_back(normal(row.audio));
      out.skipped.insert(out.skipped.end(), manifest.bad.begin(), manifest.bad.end());
    } else if (fs::is_regular_file(status)) {
      out.files.push_back(normal(input));
    } else {
      throw Error(file_error(input, "not a regular file, a folder or a manifest"));
    }
  }
  std::sort(out.files.begin(), out.files.end());
  out.files.erase(std::unique(out.files.begin(), out.files.end()), out.files.end());
  return out;
}

}  // namespace mulan::library

namespace mulan {
std::vector<std::string> find_audio_files(const std::vector<std::string>& inputs, std::vector<Failure>* skipped) {
  auto r = library::scan_inputs(inputs);
  if (skipped) skipped->insert(skipped->end(), r.skipped.begin(), r.skipped.end());
  return r.files;
}
}  // namespace mulan
