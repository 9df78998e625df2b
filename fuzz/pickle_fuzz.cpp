// libFuzzer target for the unpickler of read_torch_checkpoint: any bytes as data.pkl, wrapped
// into a valid torch.save zip (written with LibTorch's PyTorchStreamWriter) that also holds three
// storages, so that the fuzzer spends its time in the pickle rather than in the zip layer:
//   data/0  12 float32 (48 bytes)   data/1  3 float64 (24 bytes)   data/2  4 bytes
// (the storages that the pickle seeds of tests/python/write_bombs.py name). The reader must
// refuse (mulan::Error: one line that names the file) or return contiguous CPU tensors. Built
// with LibTorch by scripts/fuzz.sh under AddressSanitizer and UBSan.
#include <ATen/Parallel.h>
#include <caffe2/serialize/inline_container.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "fuzz_support.h"
#include "import/torch_checkpoint.h"
#include "mulan/error.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  at::set_num_threads(1);
  mulan::fuzz::temp_input("pickle");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = mulan::fuzz::temp_input("pickle");  // this process's archive, rewritten for every input
  {
    static const std::string storage0 = [] {
      std::string s(48, '\0');
      for (int i = 0; i < 12; ++i) {
        const float f = static_cast<float>(i);
        std::memcpy(s.data() + 4 * i, &f, 4);
      }
      return s;
    }();
    caffe2::serialize::PyTorchStreamWriter w(path);
    w.writeRecord("data.pkl", data, size);
    w.writeRecord("data/0", storage0.data(), storage0.size());
    w.writeRecord("data/1", std::string(24, '\x3f').data(), 24);
    w.writeRecord("data/2", "\x01\x00\x02\x03", 4);
    w.writeEndOfFile();
  }
  try {
    const mulan::TensorMap tensors = mulan::model::read_torch_checkpoint(path);
    for (const auto& [name, t] : tensors) {
      if (!t.device().is_cpu() || !t.is_contiguous() || t.storage_offset() != 0) std::abort();  // the reader's promise
      if (t.nbytes() > 0) {
        volatile uint8_t sink = static_cast<const uint8_t*>(t.data_ptr())[t.nbytes() - 1];
        (void)sink;
      }
    }
  } catch (const mulan::Error& e) {
    mulan::fuzz::check_refusal(e.what(), path);
  }
  return 0;
}
