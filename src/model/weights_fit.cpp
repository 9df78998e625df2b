#include "model/weights_fit.h"

#include <set>

#include "mulan/error.h"

namespace mulan::model {
namespace {

std::string shape_str(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

class Fit {
 public:
  Fit(const ShapeMap& shapes, std::string where) : shapes_(shapes), where_(std::move(where)) {}

  // The number of distinct N in names "PREFIX N. ...".
  int64_t count(const std::string& prefix) const {
    std::set<int64_t> seen;
    for (auto it = shapes_.lower_bound(prefix); it != shapes_.end() && it->first.starts_with(prefix); ++it) {
      const std::string rest = it->first.substr(prefix.size());
      const auto dot = rest.find('.');
      if (dot == 0 || dot == std::string::npos || rest.find_first_not_of("0123456789") != dot || dot > 9) continue;
      seen.insert(std::stoll(rest.substr(0, dot)));
    }
    return static_cast<int64_t>(seen.size());
  }
  void layers(const std::string& prefix, int64_t want, const std::string& field) const {
    const int64_t have = count(prefix);
    if (have != want) {
      throw Error(where_ + " holds " + std::to_string(have) + " of '" + prefix + "N', but the config says " + field + " = " +
                  std::to_string(want));
    }
  }
  // The tensor must exist and have this shape; `fields` names the config fields that set it.
  void shape(const std::string& name, const std::vector<int64_t>& want, const std::string& fields) const {
    const auto it = shapes_.find(name);
    if (it == shapes_.end()) throw Error(where_ + ": missing tensor '" + name + "'");
    if (it->second != want) {
      throw Error(where_ + ": tensor '" + name + "' has shape " + shape_str(it->second) + ", the config (" + fields + ") needs " +
                  shape_str(want));
    }
  }

 private:
  const ShapeMap& shapes_;
  std::string where_;
};

}  // namespace

void check_weights_fit_text(const ShapeMap& shapes, const BertConfig& t, int embed_dim, const std::string& where) {
  const Fit f(shapes, where);
  const int64_t h = t.hidden_size;
  f.layers("text.bert.encoder.layer.", t.num_hidden_layers, "text.num_hidden_layers");
  f.shape("text.bert.embeddings.word_embeddings.weight", {t.vocab_size, h}, "text.vocab_size, text.hidden_size");
  f.shape("text.bert.embeddings.position_embeddings.weight", {t.max_position_embeddings, h}, "text.max_position_embeddings");
  f.shape("text.bert.embeddings.token_type_embeddings.weight", {t.type_vocab_size, h}, "text.type_vocab_size");
  for (int64_t i = 0; i < t.num_hidden_layers; ++i) {
    const std::string layer = "text.bert.encoder.layer." + std::to_string(i) + ".";
    f.shape(layer + "attention.self.query.weight", {h, h}, "text.hidden_size");
    f.shape(layer + "intermediate.dense.weight", {t.intermediate_size, h}, "text.intermediate_size");
  }
  if (embed_dim > 0) f.shape("text.proj.weight", {embed_dim, h}, "embed_dim, text.hidden_size");
}

void check_weights_fit_audio(const ShapeMap& shapes, const AudioConfig& a, int embed_dim, const std::string& where) {
  const Fit f(shapes, where);
  if (a.arch == "resnet50") {
    f.shape("audio.resnet.conv1.weight", {a.resnet_width, 1, 7, 7}, "audio.resnet_width");
    for (size_t s = 0; s < a.resnet_layers.size(); ++s) {
      const std::string stage = "audio.resnet.layer" + std::to_string(s + 1) + ".";
      f.layers(stage, a.resnet_layers[s], "audio.resnet_layers[" + std::to_string(s) + "]");
      const int64_t width = int64_t{a.resnet_width} << s;
      for (int64_t j = 0; j < a.resnet_layers[s]; ++j) {
        f.shape(stage + std::to_string(j) + ".conv2.weight", {width, width, 3, 3}, "audio.resnet_width");
      }
    }
  } else {
    const int64_t rows = (a.n_mels - a.patch) / a.fstride + 1, cols = (a.window_frames - a.patch) / a.tstride + 1;
    const int64_t w = a.width;
    f.layers("audio.ast.blocks.", a.layers, "audio.layers");
    f.shape("audio.ast.cls_token", {1, 1, w}, "audio.width");
    f.shape("audio.ast.patch_embed.proj.weight", {w, 1, a.patch, a.patch}, "audio.width, audio.patch");
    f.shape("audio.ast.pos_embed", {1, rows * cols + (a.has_dist_token ? 2 : 1), w},
            "audio.n_mels, audio.window_frames, audio.patch, audio.fstride, audio.tstride, audio.has_dist_token");
    for (int64_t i = 0; i < a.layers; ++i) {
      const std::string block = "audio.ast.blocks." + std::to_string(i) + ".";
      f.shape(block + "attn.qkv.weight", {3 * w, w}, "audio.width");
      f.shape(block + "mlp.fc1.weight", {a.mlp, w}, "audio.mlp");
    }
  }
  if (embed_dim > 0) f.shape("audio.proj.weight", {embed_dim, a.pooled_dim()}, "embed_dim");
  if (embed_dim > 0 && a.tagger_classes > 0) f.shape("audio.tagger.weight", {a.tagger_classes, a.pooled_dim()}, "audio.tagger_classes");
  if (embed_dim > 0 && a.tagger_norm) f.shape("audio.tagger_norm.weight", {a.pooled_dim()}, "audio.tagger_norm");
}

void check_weights_fit_config(const ShapeMap& shapes, const MulanConfig& c, const std::string& where) {
  if (c.text) check_weights_fit_text(shapes, *c.text, c.embed_dim, where);
  if (c.audio) check_weights_fit_audio(shapes, *c.audio, c.embed_dim, where);
}

}  // namespace mulan::model
