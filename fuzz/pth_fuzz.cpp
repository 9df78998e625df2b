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

#include "fuzz_support.h"
#include "import/torch_checkpoint.h"
#include "mulan/error.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  at::set_num_threads(1);
  mulan::fuzz::temp_input("pth");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = mulan::fuzz::temp_input("pth");  // this process's input file, rewritten for every input
  mulan::fuzz::write_input(path, data, size);
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
    mulan::fuzz::check_refusal(e.what(), path);
  }
  return 0;
}
