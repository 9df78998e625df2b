// The model's hyperparameters: config.json of a model directory (docs/model-format.md).
// Plain structs with defaults; every field is validated in one place and named in errors.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>

namespace mulan {

// The text tower: BERT, with Hugging Face's config names.
struct BertConfig {
  std::string arch = "bert";             // the only text architecture
  int vocab_size = 30522;                // rows of the word embedding = lines of vocab.txt
  int hidden_size = 768;                 // width
  int num_hidden_layers = 12;
  int num_attention_heads = 12;          // must divide hidden_size
  int intermediate_size = 3072;          // MLP width
  int max_position_embeddings = 512;     // longest sequence the position table holds
  int type_vocab_size = 2;               // segment embeddings (every token uses segment 0)
  double layer_norm_eps = 1e-12;         // post-LayerNorm epsilon
  double hidden_dropout_prob = 0.1;      // dropout on embeddings and sublayer outputs (training)
  double attention_probs_dropout_prob = 0.1;  // dropout on attention weights (training)
  int max_length = 512;                  // tokenizer truncation, [CLS] and [SEP] included

  static BertConfig base();  // bert-base-uncased
  static BertConfig tiny();  // 2 layers of width 128: trains on 2 CPU cores in minutes
  void validate(const std::string& where) const;  // throws mulan::Error naming the field
};

struct MulanConfig {
  int format_version = 1;
  int embed_dim = 128;        // d, the shared embedding space
  double tau_init = 0.07;     // initial temperature; tau = exp(log_tau), kept in (0, 1]
  std::optional<BertConfig> text;  // absent in an audio-only model directory

  void validate(const std::string& where) const;
};

void to_json(nlohmann::json& j, const BertConfig& c);
void to_json(nlohmann::json& j, const MulanConfig& c);

// Parses config.json text; errors name `where` (the file) and the field.
MulanConfig parse_config(const std::string& json_text, const std::string& where);
MulanConfig load_config(const std::string& path);
void save_config(const std::string& path, const MulanConfig& config);  // atomic

}  // namespace mulan
