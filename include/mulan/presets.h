// The presets of `mulan init` and the vocabulary a fresh model ships with.
#pragma once

#include <string>
#include <vector>

#include "mulan/config.h"

namespace mulan::model {

// "tiny", "tiny-ast", "base-resnet", "base-ast": both towers. Base: ResNet-50 on 64 x 1000 or
// ViT-Base AST on 128 x 1000 (the public checkpoint's layout), and bert-base-uncased. Tiny: a
// 1-1-1-1 ResNet of width 8 (tiny-ast: a 2-layer width-64 AST) and a 2-layer BERT of width 128. Throws mulan::UsageError for an
// unknown name.
MulanConfig preset(const std::string& name);
std::vector<std::string> preset_names();

// The built-in WordPiece vocabulary: [PAD] [UNK] [CLS] [SEP] [MASK], every printable ASCII
// character alone and as a "##" continuation, then common English and music words; padded
// with [unusedN] entries to min_size lines.
std::vector<std::string> default_vocab(int min_size);
// default_vocab(0) followed by the words of texts (as BERT's basic tokenizer splits them) that
// it lacks, the most frequent first (ties alphabetical), each seen at least min_count times;
// then padded with [unusedN] up to min_size.
std::vector<std::string> vocab_with_words(const std::vector<std::string>& texts, int min_count, int min_size);

}  // namespace mulan::model
