#include "mine/builtin_detector.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "mulan/error.h"

// The files, pasted in by the assembler (CMake passes the folder as MULAN_DETECTOR_DIR when it
// holds a detector).
#ifdef MULAN_DETECTOR_DIR
#define MULAN_INCBIN(sym, file)                                   \
  asm(".section .rodata\n.balign 16\n.global " #sym "_begin\n" #sym \
      "_begin:\n.incbin \"" MULAN_DETECTOR_DIR "/" file "\"\n.global " #sym "_end\n" #sym "_end:\n.byte 0\n.previous\n")
MULAN_INCBIN(mulan_detector_config, "config.json");
MULAN_INCBIN(mulan_detector_weights, "model.safetensors");
MULAN_INCBIN(mulan_detector_labels, "labels.txt");
extern "C" const char mulan_detector_config_begin[], mulan_detector_config_end[];
extern "C" const char mulan_detector_weights_begin[], mulan_detector_weights_end[];
extern "C" const char mulan_detector_labels_begin[], mulan_detector_labels_end[];
#endif

namespace mulan::mine {
namespace fs = std::filesystem;

BuiltinDetectorFiles::BuiltinDetectorFiles() {
#ifndef MULAN_DETECTOR_DIR
  throw Error("this build has no built-in music detector (models/music-detector was missing when it was built): "
              "make one with `mulan mine make-detector --out models/music-detector` and rebuild, or pass --detector DIR");
#else
  std::string pattern = (fs::temp_directory_path() / "mulan-detector-XXXXXX").string();
  if (!mkdtemp(pattern.data())) throw Error(file_error(pattern, "cannot create a temporary folder"));
  dir_ = pattern;
  const std::pair<const char*, std::string_view> files[] = {
      {"config.json", {mulan_detector_config_begin, static_cast<std::size_t>(mulan_detector_config_end - mulan_detector_config_begin)}},
      {"model.safetensors",
       {mulan_detector_weights_begin, static_cast<std::size_t>(mulan_detector_weights_end - mulan_detector_weights_begin)}},
      {"labels.txt", {mulan_detector_labels_begin, static_cast<std::size_t>(mulan_detector_labels_end - mulan_detector_labels_begin)}},
  };
  for (const auto& [name, bytes] : files) {
    const fs::path p = fs::path(dir_) / name;
    std::ofstream out(p, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out.flush()) {
      std::error_code ec;
      fs::remove_all(dir_, ec);
      throw Error(file_error(p.string(), "cannot write"));
    }
  }
#endif
}

BuiltinDetectorFiles::~BuiltinDetectorFiles() {
  std::error_code ec;
  if (!dir_.empty()) fs::remove_all(dir_, ec);
}

}  // namespace mulan::mine
