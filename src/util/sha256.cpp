#include "util/sha256.h"

#include <openssl/evp.h>

#include <array>
#include <fstream>
#include <vector>

#include "mulan/error.h"

namespace mulan {

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_ || EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) != 1) {
    EVP_MD_CTX_free(ctx_);
    throw Error("SHA-256: cannot initialise");
  }
}

Sha256::~Sha256() { EVP_MD_CTX_free(ctx_); }

void Sha256::update(const void* data, std::size_t n) {
  if (EVP_DigestUpdate(ctx_, data, n) != 1) throw Error("SHA-256: update failed");
}

void Sha256::update_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(file_error(path, "cannot open for hashing"));
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    update(buf.data(), static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) throw Error(file_error(path, "read error while hashing"));
}

std::string Sha256::hex() {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int n = 0;
  if (EVP_DigestFinal_ex(ctx_, md.data(), &n) != 1) throw Error("SHA-256: final failed");
  static const char* kDigits = "0123456789abcdef";
  std::string s;
  for (unsigned int i = 0; i < n; ++i) {
    s += kDigits[md[i] >> 4];
    s += kDigits[md[i] & 15];
  }
  return s;
}

}  // namespace mulan
