#include "import/import_bert.h"

#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "import/torch_checkpoint.h"
#include "mulan/error.h"
#include "mulan/model.h"
#include "mulan/tokenizer.h"
#include "util/read_file.h"

namespace mulan::model {
namespace fs = std::filesystem;

BertConfig read_hf_bert_config(const std::string& path) {
  const std::string text = read_file(path, kMaxConfigBytes, "a Hugging Face BERT config.json");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(file_error(path, std::string("not valid JSON (") + e.what() + ")"));
  }
  BertConfig c;
  auto get = [&](const char* key, auto& field, bool required) {
    if (!j.contains(key)) {
      if (required) throw Error(file_error(path, std::string("missing field '") + key + "'"));
      return;
    }
    try {
      j.at(key).get_to(field);
    } catch (const nlohmann::json::exception&) {
      throw Error(file_error(path, std::string("field '") + key + "' has the wrong type"));
    }
  };
  get("vocab_size", c.vocab_size, true);
  get("hidden_size", c.hidden_size, true);
  get("num_hidden_layers", c.num_hidden_layers, true);
  get("num_attention_heads", c.num_attention_heads, true);
  get("intermediate_size", c.intermediate_size, true);
  get("max_position_embeddings", c.max_position_embeddings, true);
  get("type_vocab_size", c.type_vocab_size, false);
  get("layer_norm_eps", c.layer_norm_eps, false);
  get("hidden_dropout_prob", c.hidden_dropout_prob, false);
  get("attention_probs_dropout_prob", c.attention_probs_dropout_prob, false);
  std::string act = "gelu", pos = "absolute";
  get("hidden_act", act, false);
  get("position_embedding_type", pos, false);
  if (act != "gelu") throw Error(file_error(path, "field 'hidden_act' is \"" + act + "\"; mulan's BERT uses exact \"gelu\""));
  if (pos != "absolute") throw Error(file_error(path, "field 'position_embedding_type' must be \"absolute\""));
  c.max_length = std::min(512, c.max_position_embeddings);
  c.validate("'" + path + "'");
  return c;
}

TensorMap rename_hf_bert(const TensorMap& hf, bool drop_extra, std::vector<std::string>& dropped,
                         const std::string& where) {
  TensorMap out;
  for (const auto& [orig, t] : hf) {
    std::string name = orig.starts_with("bert.") ? orig.substr(5) : orig;
    if (name.starts_with("pooler.") || orig.starts_with("cls.") || name == "embeddings.position_ids") {
      dropped.push_back(orig);
      continue;
    }
    if (!name.starts_with("embeddings.") && !name.starts_with("encoder.")) {
      if (drop_extra) {
        dropped.push_back(orig);
        continue;
      }
      throw Error(where + ": unexpected tensor '" + orig + "' (not part of a BertModel; the drop-extra option leaves such tensors out)");
    }
    if (name.ends_with("LayerNorm.gamma")) name = name.substr(0, name.size() - 5) + "weight";
    if (name.ends_with("LayerNorm.beta")) name = name.substr(0, name.size() - 4) + "bias";
    if (!out.emplace("text.bert." + name, t).second) throw Error(where + ": tensor '" + orig + "' appears twice");
  }
  return out;
}

ImportReport import_bert(const std::string& hf_dir, const std::string& model_dir, uint64_t seed, bool drop_extra) {
  if (!fs::is_directory(hf_dir)) throw Error(file_error(hf_dir, "is not a folder (expected a Hugging Face BERT folder)"));
  const BertConfig bert = read_hf_bert_config((fs::path(hf_dir) / "config.json").string());
  const std::string st = (fs::path(hf_dir) / "model.safetensors").string();
  const std::string bin = (fs::path(hf_dir) / "pytorch_model.bin").string();
  TensorMap hf;
  std::string where;
  if (fs::exists(st)) {
    hf = read_safetensors(st).tensors;
    where = "'" + st + "'";
  } else if (fs::exists(bin)) {
    hf = read_torch_checkpoint(bin);
    where = "'" + bin + "'";
  } else {
    throw Error(file_error(hf_dir, "holds neither model.safetensors nor pytorch_model.bin"));
  }
  const std::string vocab = (fs::path(hf_dir) / "vocab.txt").string();
  if (!fs::exists(vocab)) throw Error(file_error(hf_dir, "has no vocab.txt"));
  // Before anything is written: a vocabulary the tokenizer refuses would leave a model directory
  // that no command can load.
  const text::Tokenizer tokenizer = text::Tokenizer::load(vocab);
  if (tokenizer.vocab().size() != bert.vocab_size) {
    throw Error(file_error(vocab, "has " + std::to_string(tokenizer.vocab().size()) + " tokens but " +
                                      (fs::path(hf_dir) / "config.json").string() + " says vocab_size = " + std::to_string(bert.vocab_size)));
  }

  ImportReport report;
  TowerImport t;
  t.trunk_prefix = "text.bert.";
  t.proj_prefix = "text.proj.";
  t.set_config = [&](MulanConfig& c) { c.text = bert; };
  t.tensors = rename_hf_bert(hf, drop_extra, report.dropped, where);
  t.vocab_path = vocab;
  t.where = where;
  install_tower(t, model_dir, seed, report);
  return report;
}

}  // namespace mulan::model
