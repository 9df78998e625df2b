// The model's hyperparameters: config.json of a model directory (docs/model-format.md).
// Plain structs with defaults; every field is validated in one place and named in errors.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "mulan/frontend_config.h"


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

// The audio tower: ResNet-50 (spec 1.2) or AST (spec 1.3), and its front end (spec 1.1).
struct AudioConfig {
  std::string arch = "resnet50";  // "resnet50" | "ast"
  std::string frontend = "resnet";  // "resnet" | "ast": the front end of docs/mulan-spec.md 1.1
  int n_mels = 64;                // F: 64 for resnet, 128 for ast
  int window_frames = 1000;       // T of a model window (10 s)
  int tagger_classes = 0;         // > 0 adds the AudioSet pre-training head (527)
  // A LayerNorm (eps 1e-5, "audio.tagger_norm.") before the tagger's linear layer: the public
  // AST checkpoint's mlp_head, kept by the importer when asked. Needs tagger_classes > 0.
  bool tagger_norm = false;
  // ResNet ("resnet50"): bottleneck blocks per stage and the first stage's width.
  std::vector<int> resnet_layers = {3, 4, 6, 3};
  int resnet_width = 64;          // stage widths w, 2w, 4w, 8w; outputs 4x that
  // How many times the stem (the 7x7 convolution, then the 3x3 max-pool) shrinks the mel axis
  // before the first stage: 4 as torchvision (both stride 2), 2 (the convolution strides in
  // time only) or 1 (neither strides in frequency, so the first stage sees every mel band).
  // Time always shrinks 4x. The weights' shapes do not depend on it.
  int resnet_stem_fstride = 4;
  // AST ("ast"): a ViT over patch x patch patches of the F x T window.
  int patch = 16;
  int fstride = 10;               // 16 as MuLan (no overlap), 10 as the public AST checkpoint
  int tstride = 10;
  int width = 768;
  int layers = 12;
  int heads = 12;
  int mlp = 3072;
  bool has_dist_token = true;     // DeiT's distillation token (the public AST checkpoint)
  // The front end's numbers, "frontend_params" in config.json. Absent (model directories
  // written before they were stored, or a config built in code): FrontendConfig::named(frontend).
  std::optional<audio::FrontendConfig> frontend_params;

  static AudioConfig base_resnet();  // ResNet-50 on 64 x 1000
  static AudioConfig base_ast();     // ViT-Base AST on 128 x 1000, as the public checkpoint
  static AudioConfig tiny();         // a 1-1-1-1 ResNet of width 8: trains in minutes on 2 CPU cores
  static AudioConfig tiny_ast();     // a 2-layer AST of width 64 on 16 x 16 patches (no BatchNorm)
  int pooled_dim() const;            // 2048 for ResNet-50, width for AST
  // The front end this tower reads: frontend_params, or the named front end's defaults. validate()
  // checks that frontend_params->kind is frontend's.
  audio::FrontendConfig frontend_config() const;
  // Checks every field, frontend_params included, and that n_mels equals the front end's n_mels.
  void validate(const std::string& where) const;
};

struct MulanConfig {
  int format_version = 1;
  int embed_dim = 128;        // d, the shared embedding space
  double tau_init = 0.07;     // initial temperature; tau = exp(log_tau), kept in (0, 1]
  std::optional<AudioConfig> audio;  // absent in a text-only model directory
  std::optional<BertConfig> text;    // absent in an audio-only model directory
  // "" (float weights) or "int8" (docs/model-format.md, "int8 models": every weight of rank 2 or
  // more stored as int8 with a float scale per output channel; inference only). Written to
  // config.json only when set.
  std::string quantization;

  void validate(const std::string& where) const;
};

void to_json(nlohmann::json& j, const BertConfig& c);
void to_json(nlohmann::json& j, const AudioConfig& c);
void to_json(nlohmann::json& j, const MulanConfig& c);

// Parses config.json text; errors name `where` (the file) and the field.
MulanConfig parse_config(const std::string& json_text, const std::string& where);
MulanConfig load_config(const std::string& path);
void save_config(const std::string& path, const MulanConfig& config);  // atomic

}  // namespace mulan
