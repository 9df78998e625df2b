#include "model/import_bert.h"

#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "mulan/error.h"
#include "mulan/model.h"

namespace mulan::model {
namespace fs = std::filesystem;

BertConfig read_hf_bert_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(file_error(path, "cannot open (a Hugging Face BERT folder needs config.json)"));
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
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
  auto starts = [](const std::string& s, const char* p) { return s.rfind(p, 0) == 0; };
  auto ends = [](const std::string& s, const std::string& e) {
    return s.size() >= e.size() && s.compare(s.size() - e.size(), e.size(), e) == 0;
  };
  TensorMap out;
  for (const auto& [orig, t] : hf) {
    std::string name = starts(orig, "bert.") ? orig.substr(5) : orig;
    if (starts(name, "pooler.") || starts(orig, "cls.") || name == "embeddings.position_ids") {
      dropped.push_back(orig);
      continue;
    }
    if (!starts(name, "embeddings.") && !starts(name, "encoder.")) {
      if (drop_extra) {
        dropped.push_back(orig);
        continue;
      }
      throw Error(where + ": unexpected tensor '" + orig + "' (not part of a BertModel; --drop-extra leaves such tensors out)");
    }
    if (ends(name, "LayerNorm.gamma")) name = name.substr(0, name.size() - 5) + "weight";
    if (ends(name, "LayerNorm.beta")) name = name.substr(0, name.size() - 4) + "bias";
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
    throw Error(file_error(bin, "reading PyTorch pickles is not in this build yet; save the weights as "
                                "model.safetensors (safetensors.torch.save_file) and import again"));
  } else {
    throw Error(file_error(hf_dir, "holds neither model.safetensors nor pytorch_model.bin"));
  }
  const std::string vocab = (fs::path(hf_dir) / "vocab.txt").string();
  if (!fs::exists(vocab)) throw Error(file_error(hf_dir, "has no vocab.txt"));

  ImportReport report;
  TensorMap tensors = rename_hf_bert(hf, drop_extra, report.dropped, where);

  // Start from the existing model directory (keeping its projection when it still fits) or
  // from a fresh one.
  MulanConfig config;
  TensorMap existing;
  const bool have_dir = fs::exists(fs::path(model_dir) / "config.json");
  if (have_dir) {
    Model old = Model::load(model_dir);
    config = old.config();
    existing = old.state();
  }
  config.text = bert;
  Model m = Model::init(config, seed);
  TensorMap state = m.state();  // fresh projection and temperature
  for (auto& [name, t] : tensors) state[name] = t;
  const auto proj = existing.find("text.proj.weight");
  if (proj != existing.end() && proj->second.sizes() == state["text.proj.weight"].sizes()) {
    state["text.proj.weight"] = proj->second;
    state["text.proj.bias"] = existing.at("text.proj.bias");
    report.projection_kept = true;
  }
  if (existing.count("log_tau")) state["log_tau"] = existing.at("log_tau");
  // Every text.bert tensor must have come from the import: none may keep its random value.
  for (const auto& [name, t] : m.state()) {
    if (name.rfind("text.bert.", 0) == 0 && !tensors.count(name)) throw Error(where + ": missing tensor '" + name.substr(5) + "'");
  }
  m.load_state(state, where);
  m.save(model_dir, vocab);
  return report;
}

}  // namespace mulan::model
