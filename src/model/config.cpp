#include "mulan/config.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "mulan/error.h"
#include "mulan/frontend.h"
#include "util/field_reader.h"
#include "mulan/atomic_file.h"
#include "util/read_file.h"

namespace mulan {

BertConfig BertConfig::base() { return BertConfig{}; }

BertConfig BertConfig::tiny() {
  BertConfig c;
  c.hidden_size = 128;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 2;
  c.intermediate_size = 512;
  c.max_position_embeddings = 128;
  c.max_length = 128;
  return c;
}

void BertConfig::validate(const std::string& where) const {
  auto bad = [&](const std::string& field, const std::string& why) {
    throw Error(where + ": field 'text." + field + "' " + why);
  };
  if (arch != "bert") bad("arch", "must be \"bert\", got \"" + arch + "\"");
  // Upper bounds far above any BERT (bert-large: 24 layers of 1024, MLP 4096), so that a config
  // cannot ask for terabytes before its weights are read.
  if (vocab_size < 5 || vocab_size > 1'000'000) bad("vocab_size", "must be in 5..1000000 (5: the special tokens)");
  if (hidden_size < 1 || hidden_size > 8192) bad("hidden_size", "must be in 1..8192");
  if (num_hidden_layers < 0 || num_hidden_layers > 128) bad("num_hidden_layers", "must be in 0..128");
  if (num_attention_heads < 1 || hidden_size % num_attention_heads != 0) {
    bad("num_attention_heads", "must be > 0 and divide hidden_size (" + std::to_string(hidden_size) + ")");
  }
  if (intermediate_size < 1 || intermediate_size > 65536) bad("intermediate_size", "must be in 1..65536");
  if (max_position_embeddings < 2 || max_position_embeddings > 65536) bad("max_position_embeddings", "must be in 2..65536");
  if (type_vocab_size < 1 || type_vocab_size > 1024) bad("type_vocab_size", "must be in 1..1024");
  if (!(layer_norm_eps > 0)) bad("layer_norm_eps", "must be > 0");
  if (!(hidden_dropout_prob >= 0 && hidden_dropout_prob < 1)) bad("hidden_dropout_prob", "must be in [0, 1)");
  if (!(attention_probs_dropout_prob >= 0 && attention_probs_dropout_prob < 1)) {
    bad("attention_probs_dropout_prob", "must be in [0, 1)");
  }
  if (max_length < 2 || max_length > max_position_embeddings) {
    bad("max_length", "must be in 2..max_position_embeddings (" + std::to_string(max_position_embeddings) + ")");
  }
}

AudioConfig AudioConfig::base_resnet() { return AudioConfig{}; }

AudioConfig AudioConfig::base_ast() {
  AudioConfig c;
  c.arch = "ast";
  c.frontend = "ast";
  c.n_mels = 128;
  return c;
}

AudioConfig AudioConfig::tiny() {
  AudioConfig c;
  c.resnet_layers = {1, 1, 1, 1};
  c.resnet_width = 8;
  // 5 s windows instead of the spec's 10 s: half the audio tower's work a training pair, so a
  // 2-core demo trains twice the steps; inference averages twice as many windows a clip.
  c.window_frames = 500;
  return c;
}

AudioConfig AudioConfig::tiny_ast() {
  AudioConfig c = base_ast();
  c.fstride = 16;
  c.tstride = 16;
  c.width = 64;
  c.layers = 2;
  c.heads = 2;
  c.mlp = 256;
  c.has_dist_token = false;
  return c;
}

int AudioConfig::pooled_dim() const { return arch == "ast" ? width : resnet_width * 8 * 4; }

audio::FrontendConfig AudioConfig::frontend_config() const {
  return frontend_params ? *frontend_params : audio::FrontendConfig::named(frontend);
}

void AudioConfig::validate(const std::string& where) const {
  auto bad = [&](const std::string& field, const std::string& why) {
    throw Error(where + ": field 'audio." + field + "' " + why);
  };
  if (arch != "resnet50" && arch != "ast") bad("arch", "must be \"resnet50\" or \"ast\", got \"" + arch + "\"");
  if (frontend != "resnet" && frontend != "ast") bad("frontend", "must be \"resnet\" or \"ast\", got \"" + frontend + "\"");
  if (n_mels < 16 || n_mels > 1024) bad("n_mels", "must be in 16..1024");
  const audio::FrontendConfig fe = frontend_config();
  if (audio::to_string(fe.kind) != frontend) {  // config.json stores the kind once, as 'audio.frontend'
    bad("frontend_params", "holds the numbers of the " + audio::to_string(fe.kind) + " front end, but 'audio.frontend' is \"" +
                               frontend + "\"");
  }
  fe.validate(where, "audio.frontend_params.");
  if (fe.n_mels != n_mels) {
    bad("n_mels", "(" + std::to_string(n_mels) + ", the tower's input height) does not match 'audio.frontend_params.n_mels' (" +
                      std::to_string(fe.n_mels) + ", the mel channels of the " + frontend + " front end" +
                      (frontend_params ? "" : " by default") + ")");
  }
  // Upper bounds far above the paper's towers (ResNet-50: 3-4-6-3 of width 64; ViT-Base).
  if (window_frames < 16 || window_frames > 100'000) bad("window_frames", "must be in 16..100000");
  if (tagger_classes < 0 || tagger_classes > 100'000) bad("tagger_classes", "must be in 0..100000");
  if (tagger_norm && tagger_classes == 0) bad("tagger_norm", "needs a tagger head (tagger_classes > 0)");
  if (arch == "resnet50") {
    if (resnet_layers.size() != 4) bad("resnet_layers", "must list 4 stages");
    for (int n : resnet_layers) if (n < 1 || n > 64) bad("resnet_layers", "must be 1..64 blocks per stage");
    if (resnet_width < 1 || resnet_width > 1024) bad("resnet_width", "must be in 1..1024");
    if (resnet_stem_fstride != 1 && resnet_stem_fstride != 2 && resnet_stem_fstride != 4) {
      bad("resnet_stem_fstride", "must be 1, 2 or 4, got " + std::to_string(resnet_stem_fstride));
    }
  } else {
    if (patch < 1 || patch > n_mels || patch > window_frames) bad("patch", "must fit the window");
    if (fstride < 1) bad("fstride", "must be > 0");
    if (tstride < 1) bad("tstride", "must be > 0");
    if (width < 1 || width > 8192) bad("width", "must be in 1..8192");
    if (heads < 1 || width % heads != 0) bad("heads", "must be > 0 and divide width");
    if (layers < 0 || layers > 128) bad("layers", "must be in 0..128");
    if (mlp < 1 || mlp > 65536) bad("mlp", "must be in 1..65536");
    const int64_t patches = int64_t{(n_mels - patch) / fstride + 1} * ((window_frames - patch) / tstride + 1);
    if (patches > 65536) bad("tstride", "gives " + std::to_string(patches) + " patches a window, more than 65536");
  }
}

void MulanConfig::validate(const std::string& where) const {
  if (format_version != 1) throw Error(where + ": field 'format_version' must be 1");
  if (embed_dim < 1 || embed_dim > 65536) throw Error(where + ": field 'embed_dim' must be in 1..65536");
  if (!(tau_init > 0 && tau_init <= 1)) throw Error(where + ": field 'tau_init' must be in (0, 1]");
  if (!quantization.empty() && quantization != "int8") {
    throw Error(where + ": field 'quantization' must be \"int8\" or absent (float weights), got \"" + quantization + "\"");
  }
  if (!text && !audio) throw Error(where + ": no tower: a model needs an 'audio' or a 'text' section");
  if (text) text->validate(where);
  if (audio) audio->validate(where);
}

void to_json(nlohmann::json& j, const BertConfig& c) {
  j = {{"arch", c.arch},
       {"vocab_size", c.vocab_size},
       {"hidden_size", c.hidden_size},
       {"num_hidden_layers", c.num_hidden_layers},
       {"num_attention_heads", c.num_attention_heads},
       {"intermediate_size", c.intermediate_size},
       {"max_position_embeddings", c.max_position_embeddings},
       {"type_vocab_size", c.type_vocab_size},
       {"layer_norm_eps", c.layer_norm_eps},
       {"hidden_dropout_prob", c.hidden_dropout_prob},
       {"attention_probs_dropout_prob", c.attention_probs_dropout_prob},
       {"max_length", c.max_length}};
}

void to_json(nlohmann::json& j, const AudioConfig& c) {
  j = {{"arch", c.arch}, {"frontend", c.frontend}, {"n_mels", c.n_mels}, {"window_frames", c.window_frames},
       {"tagger_classes", c.tagger_classes}};
  if (c.tagger_norm) j["tagger_norm"] = true;  // written only when set: older files stay as they were
  if (c.arch == "resnet50") {
    j["resnet_layers"] = c.resnet_layers;
    j["resnet_width"] = c.resnet_width;
    j["resnet_stem_fstride"] = c.resnet_stem_fstride;
  } else {
    j.update({{"patch", c.patch}, {"fstride", c.fstride}, {"tstride", c.tstride}, {"width", c.width},
              {"layers", c.layers}, {"heads", c.heads}, {"mlp", c.mlp}, {"has_dist_token", c.has_dist_token}});
  }
  // Always written, defaults included, so that a model directory names every number its front end uses.
  nlohmann::json params = c.frontend_config();
  params.erase("frontend");  // the kind is 'audio.frontend'
  j["frontend_params"] = std::move(params);
}

void to_json(nlohmann::json& j, const MulanConfig& c) {
  j = {{"format", "mulan"}, {"format_version", c.format_version}, {"embed_dim", c.embed_dim}, {"tau_init", c.tau_init}};
  if (c.audio) j["audio"] = *c.audio;
  if (c.text) j["text"] = *c.text;
  if (!c.quantization.empty()) j["quantization"] = c.quantization;
}

namespace {

BertConfig parse_bert(const nlohmann::json& j, const std::string& where) {
  BertConfig c;
  FieldReader r(j, where, "text.");
  r.get("arch", c.arch, true);
  r.get("vocab_size", c.vocab_size, true);
  r.get("hidden_size", c.hidden_size, true);
  r.get("num_hidden_layers", c.num_hidden_layers, true);
  r.get("num_attention_heads", c.num_attention_heads, true);
  r.get("intermediate_size", c.intermediate_size, true);
  r.get("max_position_embeddings", c.max_position_embeddings, true);
  r.get("type_vocab_size", c.type_vocab_size, true);
  r.get("layer_norm_eps", c.layer_norm_eps, true);
  r.get("max_length", c.max_length, true);
  r.get("hidden_dropout_prob", c.hidden_dropout_prob, false);
  r.get("attention_probs_dropout_prob", c.attention_probs_dropout_prob, false);
  r.refuse_unknown();
  return c;
}

// Every field required: a directory that stores the front end stores all of it. The kind
// comes from 'audio.frontend', which sets nothing else here.
audio::FrontendConfig parse_frontend_params(const nlohmann::json& j, const std::string& where,
                                            const std::string& frontend) {
  const std::string prefix = "audio.frontend_params.";
  audio::FrontendConfig c;
  c.kind = audio::frontend_kind_from_string(frontend);
  FieldReader r(j, where, prefix);
  auto get_name = [&](const char* key, auto parse, auto& field, const char* expected) {
    std::string name;
    r.get(key, name, true);
    const auto v = parse(name);
    if (!v) {
      throw Error(where + ": field '" + prefix + key + "' must be " + expected + ", got \"" + printable(name).substr(0, 80) + "\"");
    }
    field = *v;
  };
  r.get("sample_rate", c.sample_rate, true);
  r.get("n_fft", c.n_fft, true);
  r.get("win_length", c.win_length, true);
  r.get("hop_length", c.hop_length, true);
  get_name("window", audio::window_shape_from_string, c.window, "\"hann_periodic\" or \"hann_symmetric\"");
  r.get("n_mels", c.n_mels, true);
  get_name("mel_filters", audio::mel_filters_from_string, c.mel_filters, "\"htk\" or \"kaldi\"");
  r.get("f_min", c.f_min, true);
  r.get("f_max", c.f_max, true);
  r.get("log_offset", c.log_offset, true);
  r.get("log_floor", c.log_floor, true);
  r.get("preemphasis", c.preemphasis, true);
  r.get("remove_dc", c.remove_dc, true);
  r.get("norm_mean", c.norm_mean, true);
  r.get("norm_std", c.norm_std, true);
  r.refuse_unknown();
  return c;
}

AudioConfig parse_audio(const nlohmann::json& j, const std::string& where) {
  AudioConfig c;
  FieldReader r(j, where, "audio.");
  r.get("arch", c.arch, true);
  if (c.arch == "ast") c = AudioConfig::base_ast();  // the arch sets the defaults
  r.get("frontend", c.frontend, true);
  r.get("n_mels", c.n_mels, true);
  r.get("window_frames", c.window_frames, true);
  r.get("tagger_classes", c.tagger_classes, false);
  r.get("tagger_norm", c.tagger_norm, false);
  if (c.arch == "resnet50") {
    r.get("resnet_layers", c.resnet_layers, true);
    r.get("resnet_width", c.resnet_width, true);
    r.get("resnet_stem_fstride", c.resnet_stem_fstride, false);  // absent before it was stored: torchvision's 4
  } else {
    r.get("patch", c.patch, true);
    r.get("fstride", c.fstride, true);
    r.get("tstride", c.tstride, true);
    r.get("width", c.width, true);
    r.get("layers", c.layers, true);
    r.get("heads", c.heads, true);
    r.get("mlp", c.mlp, true);
    r.get("has_dist_token", c.has_dist_token, true);
  }
  nlohmann::json params;
  r.get("frontend_params", params, false);  // absent in directories written before it was: the named defaults
  r.refuse_unknown();
  if (j.contains("frontend_params")) {
    if (c.frontend != "resnet" && c.frontend != "ast") {
      throw Error(where + ": field 'audio.frontend' must be \"resnet\" or \"ast\", got \"" + printable(c.frontend).substr(0, 80) + "\"");
    }
    c.frontend_params = parse_frontend_params(params, where, c.frontend);
  }
  return c;
}

}  // namespace

MulanConfig parse_config(const std::string& json_text, const std::string& where) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(where + ": not valid JSON (" + e.what() + ")");
  }
  MulanConfig c;
  FieldReader r(j, where, "");
  std::string format;
  r.get("format", format, true);
  if (format != "mulan") throw Error(where + ": field 'format' must be \"mulan\", got \"" + format + "\"");
  r.get("format_version", c.format_version, true);
  r.get("embed_dim", c.embed_dim, true);
  r.get("tau_init", c.tau_init, false);
  r.get("quantization", c.quantization, false);
  nlohmann::json text, audio;
  r.get("text", text, false);
  r.get("audio", audio, false);
  r.refuse_unknown();
  if (!audio.is_null()) c.audio = parse_audio(audio, where);
  if (!text.is_null()) c.text = parse_bert(text, where);
  c.validate(where);
  return c;
}

MulanConfig load_config(const std::string& path) {
  return parse_config(read_file(path, kMaxConfigBytes, "a model config"), "'" + path + "'");
}

void save_config(const std::string& path, const MulanConfig& config) {
  config.validate("'" + path + "'");
  write_file_atomic(path, nlohmann::json(config).dump(2) + "\n");
}

}  // namespace mulan
