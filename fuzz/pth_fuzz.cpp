// libFuzzer target for the torch.save reader (read_torch_checkpoint): any bytes as a .pth file,
// through libarchive's zip reader, the records' size limits, the unpickler and the views. The
// reader must refuse (mulan::Error: one line that names the file) or return contiguous CPU
// tensors. Built with LibTorch by scripts/fuzz.sh under AddressSanitizer and UBSan.
#include <ATen/Parallel.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "model/torch_checkpoint.h"
#include "mulan/error.h"

namespace {

std::string path;  // this process's input file, rewritten for every input

// Writes the bytes to `file` (truncating it); aborts when it cannot.
void write_file(const std::string& file, const uint8_t* data, size_t size) {
  FILE* f = std::fopen(file.c_str(), "wb");
  if (!f || (size > 0 && std::fwrite(data, 1, size, f) != size) || std::fclose(f) != 0) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  at::set_num_threads(1);
  char name[] = "/tmp/mulan-pth-fuzz-XXXXXX";
  const int fd = mkstemp(name);
  if (fd < 0) std::abort();
  close(fd);
  path = name;
  std::atexit([] { std::remove(path.c_str()); });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  write_file(path, data, size);
  try {
    const mulan::TensorMap tensors = mulan::model::read_torch_checkpoint(path);
    for (const auto& [name, t] : tensors) {
      if (!t.device().is_cpu() || !t.is_contiguous() || t.storage_offset() != 0) std::abort();  // the reader's promise
      if (t.nbytes() > 0) {  // every byte is there to read
        volatile uint8_t sink = static_cast<const uint8_t*>(t.data_ptr())[t.nbytes() - 1];
        (void)sink;
      }
    }
  } catch (const mulan::Error& e) {
    const std::string m = e.what();
    if (m.find('\n') != std::string::npos || m.find(path) == std::string::npos) {
      std::fprintf(stderr, "bad error message: %s\n", m.c_str());
      std::abort();
    }
  }
  return 0;
}
