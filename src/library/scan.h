// The audio files that a library build's inputs name: folders scanned recursively for every
// extension libsndfile reads, audio files as given, manifests (.jsonl/.json) by their rows.
#pragma once

#include <string>
#include <vector>

#include "mulan/error.h"

namespace mulan::library {

struct ScanResult {
  std::vector<std::string> files;  // absolute, normalised, sorted, unique
  std::vector<Failure> skipped;    // manifest rows and folder entries that could not be used
};

// Throws mulan::FileNotFound for an input that does not exist.
ScanResult scan_inputs(const std::vector<std::string>& inputs);

bool has_audio_extension(const std::string& path);

}  // namespace mulan::library
