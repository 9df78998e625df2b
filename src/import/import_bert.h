// Bringing a Hugging Face BERT folder (config.json, model.safetensors, vocab.txt) into the text
// tower of a model directory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "import/import_common.h"
#include "mulan/config.h"
#include "mulan/safetensors.h"

namespace mulan::model {

// Reads a Hugging Face BertConfig config.json into our BertConfig; errors name the field.
BertConfig read_hf_bert_config(const std::string& path);

// Renames Hugging Face BERT tensors to ours (text.bert.*): strips a "bert." prefix, maps the
// old LayerNorm gamma/beta names to weight/bias, drops the pooler, the pre-training heads
// (cls.*) and position_ids. Any other tensor is refused by name unless drop_extra.
TensorMap rename_hf_bert(const TensorMap& hf, bool drop_extra, std::vector<std::string>& dropped,
                         const std::string& where);



}  // namespace mulan::model
