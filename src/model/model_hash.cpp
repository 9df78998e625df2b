#include "mulan/model_hash.h"

#include <filesystem>
#include <system_error>

#include "util/sha256.h"

namespace fs = std::filesystem;

namespace mulan {

std::string model_hash(const std::string& model_dir) {
  Sha256 h;
  for (const char* name : {"config.json", "model.safetensors", "vocab.txt"}) {
    const std::string path = (fs::path(model_dir) / name).string();
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    h.update(std::string(name) + '\0' + (ec ? std::string("missing") : std::to_string(size)) + '\0');
    if (!ec) h.update_file(path);
  }
  return h.hex();
}

}  // namespace mulan
