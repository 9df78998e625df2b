// The model's hyperparameters: config.json of a model directory (docs/model-format.md).
// Plain structs with defaults; every field is validated in one place and named in errors.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

namespace mulan::audio {

enum class FrontendKind {
  kResnet,  // torch.stft + mel filters + log(x + log_offset); a frame is n_fft samples
  kAst,     // Kaldi fbank as torchaudio.compliance.kaldi.fbank, then AST's normalisation
};
enum class WindowShape {
  kHannPeriodic,   // "hann_periodic": torch.hann_window(periodic=True), as torch.stft users pass it
  kHannSymmetric,  // "hann_symmetric": Kaldi's "hanning" window
};
enum class MelFilters {
  kHtk,    // "htk": torchaudio.functional.melscale_fbanks(mel_scale="htk", norm=None)
  kKaldi,  // "kaldi": torchaudio.compliance.kaldi.get_mel_banks (no VTLN, zero Nyquist row)
};

// Every number of a front end (docs/mulan-spec.md 1.1): the kind picks the algorithm, the
// fields are its numbers. resnet() and ast() give the spec's values; a model directory stores
// them in config.json as audio.frontend_params (docs/model-format.md). The front end itself is
// mulan/frontend.h.
struct FrontendConfig {
  FrontendKind kind = FrontendKind::kResnet;
  int sample_rate = 16000;   // input rate, Hz; decoders resample to it
  int n_fft = 512;           // FFT size; the window is zero-padded to it
  int win_length = 400;      // analysis window, samples (25 ms)
  int hop_length = 160;      // frame shift, samples (10 ms)
  WindowShape window = WindowShape::kHannPeriodic;  // ast: kHannSymmetric
  int n_mels = 64;           // F, mel channels (ast: 128)
  MelFilters mel_filters = MelFilters::kHtk;         // ast: kKaldi
  double f_min = 125.0;      // lowest mel filter edge, Hz (ast: 20)
  double f_max = 7500.0;     // highest mel filter edge, Hz (ast: 8000)
  double log_offset = 1e-6;  // log(mel + log_offset) (ast: 0)
  double log_floor = 0.0;    // log(max(mel, log_floor)) (ast: FLT_EPSILON, as kaldi.fbank)
  double preemphasis = 0.0;  // ast only: x[i] -= preemphasis * x[i-1] within each frame (0.97)
  bool remove_dc = false;    // ast only: subtract each frame's mean before pre-emphasis (true)
  double norm_mean = 0.0;    // output = (log_mel - norm_mean) / (2 * norm_std) ...
  double norm_std = 0.5;     // ... (AST's normalisation; 0 and 0.5 leave values unchanged;
                             // ast: the public checkpoint's AudioSet statistics -4.2677393, 4.5689974)

  static FrontendConfig resnet();  // spec 1.1, ResNet-50 front end (F = 64)
  static FrontendConfig ast();     // spec 1.1, AST front end (F = 128)
  static FrontendConfig named(const std::string& name);  // "resnet" | "ast": one of the two above

  // Throws mulan::Error "<where>: field '<prefix><name>' ..." naming the offending field.
  void validate(const std::string& where = "front end config", const std::string& prefix = "") const;
  // Samples covered by one frame: n_fft (resnet, as torch.stft) or win_length (ast, as Kaldi).
  int frame_length() const;
};

}  // namespace mulan::audio

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
  // ResNet ("resnet50"): bottleneck blocks per stage and the first stage's width.
  std::vector<int> resnet_layers = {3, 4, 6, 3};
  int resnet_width = 64;          // stage widths w, 2w, 4w, 8w; outputs 4x that
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
