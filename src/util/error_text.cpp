// error_text: kept apart from error.cpp, which builds without LibTorch (the fuzz targets).
#include <c10/util/Exception.h>

#include <new>

#include "mulan/error.h"

namespace mulan {

std::string error_text(const std::exception& e) {
  if (dynamic_cast<const std::bad_alloc*>(&e)) return "out of memory";
  std::string text = e.what();
  if (const auto* c10 = dynamic_cast<const c10::Error*>(&e)) {
    text = c10->what_without_backtrace();
    // LibTorch's own messages run over several lines ("... \nException raised from ..."): keep the first.
    if (const auto nl = text.find('\n'); nl != std::string::npos) text.resize(nl);
    if (text.find("DefaultCPUAllocator: can't allocate memory") != std::string::npos) text = "out of memory (" + text + ")";
  }
  return printable(text);
}

}  // namespace mulan
