#include "eval/provenance.h"

#include <openssl/evp.h>

#include <array>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>

#include "mulan/error.h"

namespace mulan::eval {
namespace fs = std::filesystem;

namespace {

// An EVP SHA-256 context, freed on every path.
class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new(), &EVP_MD_CTX_free) {
    if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1) throw Error("SHA-256: cannot initialise");
  }
  void update(const void* data, std::size_t n) {
    if (EVP_DigestUpdate(ctx_.get(), data, n) != 1) throw Error("SHA-256: update failed");
  }
  void update(const std::string& s) { update(s.data(), s.size()); }
  // Feeds a file's bytes; throws naming the file.
  void update_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(file_error(path, "cannot open for hashing"));
    std::vector<char> buf(1 << 20);
    while (in) {
      in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
      update(buf.data(), static_cast<std::size_t>(in.gcount()));
    }
    if (in.bad()) throw Error(file_error(path, "read error while hashing"));
  }
  std::string hex() {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int n = 0;
    if (EVP_DigestFinal_ex(ctx_.get(), md.data(), &n) != 1) throw Error("SHA-256: final failed");
    static const char* kDigits = "0123456789abcdef";
    std::string s;
    for (unsigned int i = 0; i < n; ++i) {
      s += kDigits[md[i] >> 4];
      s += kDigits[md[i] & 15];
    }
    return s;
  }

 private:
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_;
};

}  // namespace

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

std::string utc_now_iso8601() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
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
