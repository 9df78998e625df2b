// Checks, before any tower is built, that the tensors a file lists fit the config: the number of
// layers (blocks per stage) and the shapes that carry each size field. A config.json that asks
// for 8000 layers beside a file of 2 is refused here, naming the field, instead of allocating
// gigabytes first. Only names and shapes are read, no tensor data.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "mulan/config.h"

namespace mulan::model {

using ShapeMap = std::map<std::string, std::vector<int64_t>>;  // tensor name -> shape

// The towers of `config` that are present; tensors of a tower the config lacks are left to the
// loader (which refuses them by name). embed_dim 0 checks the trunks only (no projection or
// tagger head), for an import. Throws mulan::Error naming the config field, its value
// and what the file (weights_where) holds.
void check_weights_fit_config(const ShapeMap& shapes, const MulanConfig& config, const std::string& weights_where);
void check_weights_fit_text(const ShapeMap& shapes, const BertConfig& text, int embed_dim, const std::string& weights_where);
void check_weights_fit_audio(const ShapeMap& shapes, const AudioConfig& audio, int embed_dim, const std::string& weights_where);

}  // namespace mulan::model
