// A model directory's identity. No LibTorch.
#pragma once

#include <string>

namespace mulan {

// SHA-256 over config.json, model.safetensors and vocab.txt of DIR, in that order, each fed as
// "NAME\0SIZE\0" followed by its bytes ("NAME\0missing\0" for an absent file), lower-case hex.
// Equal hashes mean the same weights, config and vocabulary. Throws mulan::Error naming a file
// that exists but cannot be read.
std::string model_hash(const std::string& model_dir);

}  // namespace mulan
