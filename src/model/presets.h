// The presets of `mulan init` and the vocabulary a fresh model ships with.
#pragma once

#include <string>
#include <vector>

#include "mulan/config.h"

namespace mulan::model {

// "tiny", "base-resnet", "base-ast". The presets hold the towers this build has: the text
// tower for now (base = bert-base-uncased sizes, tiny = 2 layers of width 128); the audio
// towers join them with issue 4. Throws mulan::UsageError for an unknown name.
MulanConfig preset(const std::string& name);
std::vector<std::string> preset_names();

// The built-in WordPiece vocabulary: [PAD] [UNK] [CLS] [SEP] [MASK], every printable ASCII
// character alone and as a "##" continuation, then common English and music words; padded
// with [unusedN] entries to min_size lines.
std::vector<std::string> default_vocab(int min_size);

}  // namespace mulan::model
