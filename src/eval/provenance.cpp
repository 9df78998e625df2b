#include "eval/provenance.h"

#include <array>
#include <filesystem>
#include <fstream>
#include <memory>

#include "mulan/error.h"
#include "util/sha256.h"

namespace mulan::eval {
namespace fs = std::filesystem;


std::string sha256_file(const std::string& path) {
  Sha256 h;
  h.update_file(path);
  return h.hex();
}

std::string sha256_hex(const std::string& data) {
  Sha256 h;
  h.update(data);
  return h.hex();
}


std::string base_name(const std::string& path) {
  fs::path p(path);
  while (!p.empty() && !p.has_filename() && p.has_relative_path()) p = p.parent_path();  // "dir/" -> "dir"
  std::string name = p.filename().string();
  if (name.empty() || name == "." || name == "..") name = fs::absolute(p).lexically_normal().filename().string();
  if (name.empty()) name = fs::absolute(p).lexically_normal().parent_path().filename().string();
  return name;
}

std::string folder_name(const std::string& file) {
  const fs::path dir = fs::absolute(fs::path(file)).lexically_normal().parent_path();
  return dir.filename().string();
}

std::string absolute_path(const std::string& path) {
  return path.empty() ? path : fs::absolute(path).lexically_normal().string();
}

nlohmann::json provenance_json(const Provenance& p) {
  return {{"protocol", p.protocol},
          {"model",
           {{"dir", absolute_path(p.model_dir)},
            {"name", p.model_name.empty() ? base_name(p.model_dir) : p.model_name},
            {"hash", p.model_hash}}},
          {"dataset", p.dataset},
          {"data", p.data},
          {"date", utc_now_iso8601()},
          {"mulan_version", p.mulan_version}};
}

}  // namespace mulan::eval
