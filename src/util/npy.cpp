#include "mulan/npy.h"

#include <torch/torch.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "mulan/error.h"
#include "mulan/atomic_file.h"

namespace mulan {
namespace {

constexpr char kMagic[] = "\x93NUMPY";

std::string descr_of(at::ScalarType t) {
  switch (t) {
    case at::kFloat: return "<f4";
    case at::kDouble: return "<f8";
    case at::kInt: return "<i4";
    case at::kLong: return "<i8";
    default: throw Error(std::string("npy: unsupported dtype ") + c10::toString(t));
  }
}

at::ScalarType dtype_of(const std::string& descr, const std::string& path) {
  if (descr == "<f4") return at::kFloat;
  if (descr == "<f8") return at::kDouble;
  if (descr == "<i4") return at::kInt;
  if (descr == "<i8") return at::kLong;
  throw Error(file_error(path, "unsupported .npy dtype '" + descr + "'"));
}

}  // namespace

void write_npy(const std::string& path, const at::Tensor& tensor) {
  const at::Tensor t = tensor.detach().to(torch::kCPU).contiguous();
  std::ostringstream shape;
  shape << "(";
  for (int64_t d = 0; d < t.dim(); ++d) shape << t.size(d) << (t.dim() == 1 || d + 1 < t.dim() ? "," : "");
  shape << ")";
  std::string header = "{'descr': '" + descr_of(t.scalar_type()) +
                       "', 'fortran_order': False, 'shape': " + shape.str() + ", }";
  const size_t unpadded = 6 + 2 + 2 + header.size() + 1;  // magic, version, length, header, \n
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';

  AtomicWriter out(path);
  out.write(kMagic, 6);
  const char version[2] = {1, 0};
  out.write(version, 2);
  const uint16_t len = static_cast<uint16_t>(header.size());
  const char len_le[2] = {static_cast<char>(len & 0xff), static_cast<char>(len >> 8)};
  out.write(len_le, 2);
  out.write(header.data(), header.size());
  out.write(t.data_ptr(), t.nbytes());
  out.commit();
}

at::Tensor read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(file_error(path, "cannot open"));
  char magic[6];
  unsigned char ver[2], len_le[2];
  in.read(magic, 6);
  in.read(reinterpret_cast<char*>(ver), 2);
  if (!in || std::string(magic, 6) != std::string(kMagic, 6)) throw Error(file_error(path, "not a .npy file"));
  size_t header_len = 0;
  if (ver[0] == 1) {
    in.read(reinterpret_cast<char*>(len_le), 2);
    header_len = len_le[0] | (len_le[1] << 8);
  } else {
    unsigned char l4[4];
    in.read(reinterpret_cast<char*>(l4), 4);
    header_len = l4[0] | (l4[1] << 8) | (l4[2] << 16) | (size_t(l4[3]) << 24);
  }
  if (!in || header_len > (1 << 20)) throw Error(file_error(path, "bad .npy header length"));
  std::string header(header_len, '\0');
  in.read(header.data(), static_cast<std::streamsize>(header_len));
  if (!in) throw Error(file_error(path, "truncated .npy header"));

  std::smatch m;
  if (!std::regex_search(header, m, std::regex("'descr':\\s*'([^']+)'"))) throw Error(file_error(path, "no descr"));
  const at::ScalarType dtype = dtype_of(m[1], path);
  const bool fortran = header.find("'fortran_order': True") != std::string::npos;
  if (!std::regex_search(header, m, std::regex("'shape':\\s*\\(([^)]*)\\)"))) throw Error(file_error(path, "no shape"));
  std::vector<int64_t> shape;
  std::string dims = m[1];
  std::regex num("\\d+");
  for (auto it = std::sregex_iterator(dims.begin(), dims.end(), num); it != std::sregex_iterator(); ++it) {
    shape.push_back(std::stoll(it->str()));
  }
  // A Fortran-ordered array is the C-ordered array of the reversed shape, transposed.
  if (fortran) std::reverse(shape.begin(), shape.end());
  at::Tensor t = torch::empty(shape, torch::TensorOptions().dtype(dtype));
  in.read(static_cast<char*>(t.data_ptr()), static_cast<std::streamsize>(t.nbytes()));
  if (!in) throw Error(file_error(path, "truncated .npy data"));
  if (fortran) {
    std::vector<int64_t> dims(shape.size());
    for (size_t i = 0; i < dims.size(); ++i) dims[i] = static_cast<int64_t>(dims.size() - 1 - i);
    t = t.permute(dims).contiguous();
  }
  return t;
}

}  // namespace mulan
