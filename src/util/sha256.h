// SHA-256 through OpenSSL's EVP interface: model hashes, cache keys, checkpoint checksums.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

struct evp_md_ctx_st;

namespace mulan {

class Sha256 {
 public:
  Sha256();  // throws mulan::Error if OpenSSL cannot start a digest
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(const void* data, std::size_t n);
  void update(const std::string& s) { update(s.data(), s.size()); }
  void update_file(const std::string& path);  // a file's bytes; throws naming the file
  std::string hex();                          // lower-case hex; the digest ends here

 private:
  evp_md_ctx_st* ctx_;
};

}  // namespace mulan
