// What every importer does once it has renamed a checkpoint's tensors to ours: put one tower
// into a model directory (new, or existing with its other towers kept).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "mulan/config.h"
#include "mulan/import.h"
#include "mulan/safetensors.h"

namespace mulan::model {

struct TowerImport {
  std::string trunk_prefix;  // "text.bert." | "audio.resnet." | "audio.ast.": must all be imported
  std::string proj_prefix;   // "text.proj." | "audio.proj.": kept from the directory when it fits
  std::function<void(MulanConfig&)> set_config;  // puts the imported tower's config in place
  TensorMap tensors;         // under our names
  std::string vocab_path;    // text tower: the vocabulary to install; else empty
  std::string where;         // the source, for error messages
};

// Loads MODEL_DIR (if it holds a model), replaces the tower, keeps every other tensor and the
// projection when its shape still fits (else a fresh one from seed), validates and saves.
// Refuses, by name, a trunk tensor the import lacks or one of the wrong shape.
void install_tower(const TowerImport& t, const std::string& model_dir, uint64_t seed, ImportReport& report);

// Reads a state dict from a torch.save file (.pth, .pt, .bin, .ckpt) or a .safetensors file.
TensorMap read_state_dict(const std::string& path);

}  // namespace mulan::model
