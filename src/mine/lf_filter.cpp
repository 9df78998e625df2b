#include "mulan/lf_filter.h"

#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <span>

#include "metrics/metrics.h"
#include "model/mulan_model.h"
#include "mulan/atomic_file.h"
#include "mulan/model.h"
#include "mulan/model_hash.h"
#include "mulan/random.h"
#include "mulan/safetensors.h"
#include "mulan/tokenizer.h"
#include "util/read_file.h"
#include "util/time_text.h"

namespace mulan::mine {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Labelled {
  std::string text;
  bool music = false;
};

std::vector<Labelled> read_sentences(const std::string& path, std::vector<Failure>& bad) {
  if (!fs::exists(path)) throw FileNotFound(file_error(path, "no such sentences file"));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(file_error(path, "cannot open"));
  std::vector<Labelled> out;
  int64_t n = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    const std::string where = path + ":" + std::to_string(n);
    try {
      const json row = json::parse(line);
      if (!row.is_object()) throw Error("a row must be a JSON object");
      auto t = row.find("text");
      auto m = row.find("music");
      if (t == row.end() || !t->is_string() || t->get<std::string>().empty()) throw Error("field 'text' must be a non-empty string");
      if (m == row.end() || !m->is_boolean()) throw Error("field 'music' must be true or false");
      out.push_back({t->get<std::string>(), m->get<bool>()});
    } catch (const json::exception& e) {
      bad.push_back({where, FailureKind::malformed, std::string("invalid JSON (") + e.what() + ")"});
    } catch (const Error& e) {
      bad.push_back({where, FailureKind::malformed, e.what()});
    }
  }
  if (in.bad()) throw Error(file_error(path, "read error"));
  return out;
}

std::pair<at::Tensor, at::Tensor> encode(const text::Tokenizer& tok, const std::vector<std::string>& texts) {
  const text::BatchEncoding b = tok.encode_batch(texts);
  const at::Tensor ids = torch::tensor(b.ids, torch::kInt64).view({b.batch, b.length});
  const at::Tensor mask = torch::tensor(b.attention_mask, torch::kInt64).view({b.batch, b.length});
  return {ids, mask};
}

at::Tensor head_logits(model::MulanModelImpl& net, torch::nn::Linear& head, const at::Tensor& ids, const at::Tensor& mask) {
  return head(net.text->bert(ids, mask).select(1, 0)).squeeze(1);
}

// Probabilities of sentences, batched by length (results in input order).
std::vector<float> score(model::MulanModelImpl& net, torch::nn::Linear& head, const text::Tokenizer& tok,
                         const std::vector<std::string>& texts) {
  std::vector<std::vector<int64_t>> enc;
  enc.reserve(texts.size());
  for (const auto& t : texts) enc.push_back(tok.encode(t));
  std::vector<int64_t> order(texts.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return enc[a].size() < enc[b].size(); });
  std::vector<float> out(texts.size());
  constexpr std::size_t kBatch = 64;
  for (std::size_t s = 0; s < order.size(); s += kBatch) {
    std::vector<std::vector<int64_t>> rows;
    const std::size_t e = std::min(order.size(), s + kBatch);
    for (std::size_t k = s; k < e; ++k) rows.push_back(enc[static_cast<std::size_t>(order[k])]);
    const text::BatchEncoding b = tok.pad_batch(rows);
    const at::Tensor ids = torch::tensor(b.ids, torch::kInt64).view({b.batch, b.length});
    const at::Tensor mask = torch::tensor(b.attention_mask, torch::kInt64).view({b.batch, b.length});
    const at::Tensor p = torch::sigmoid(head_logits(net, head, ids, mask)).to(torch::kFloat32).contiguous();
    const float* pp = p.data_ptr<float>();
    for (std::size_t k = s; k < e; ++k) out[static_cast<std::size_t>(order[k])] = pp[k - s];
  }
  return out;
}

}  // namespace

void LfTrainOptions::validate() const {
  if (model_dir.empty()) throw OptionError("model_dir", "is required");
  if (data.empty()) throw OptionError("data", "is required");
  if (out_dir.empty()) throw OptionError("out_dir", "is required");
  if (!(val_fraction > 0 && val_fraction < 1)) throw OptionError("val_fraction", "must be in (0, 1)");
  if (steps < 1) throw OptionError("steps", "must be at least 1");
  if (batch < 2 || batch > 4096) throw OptionError("batch", "must be in 2..4096");
  if (!(lr > 0 && lr < 1)) throw OptionError("lr", "must be in (0, 1)");
  if (!(weight_decay >= 0)) throw OptionError("weight_decay", "must be >= 0");
  if (!(threshold > 0 && threshold < 1)) throw OptionError("threshold", "must be in (0, 1)");
}

LfTrainSummary train_lf_filter(const LfTrainOptions& o) {
  o.validate();
  auto say = [&](const std::string& s) {
    if (o.progress) o.progress(s);
  };
  LfTrainSummary summary;
  const std::vector<Labelled> rows = read_sentences(o.data, summary.bad);
  summary.bad_rows = static_cast<int64_t>(summary.bad.size());
  // A stratified split: each label's rows shuffled from the seed, the first val_fraction held out.
  std::vector<int64_t> train_idx, val_idx;
  for (bool label : {false, true}) {
    std::vector<int64_t> idx;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      if (rows[i].music == label) idx.push_back(static_cast<int64_t>(i));
    }
    Rng rng(derive_seed(o.seed, label, 0x1F5B11));
    shuffle(rng, idx);
    const auto nval = static_cast<std::size_t>(std::llround(o.val_fraction * static_cast<double>(idx.size())));
    if (idx.size() < 2 || nval == 0 || nval == idx.size()) {
      throw Error(file_error(o.data, "needs at least 2 sentences of each label (music true and false), and enough for "
                                         "a held-out split: has " + std::to_string(idx.size()) + " labelled " +
                                         (label ? "true" : "false")));
    }
    val_idx.insert(val_idx.end(), idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(nval));
    train_idx.insert(train_idx.end(), idx.begin() + static_cast<std::ptrdiff_t>(nval), idx.end());
  }
  summary.train = static_cast<int64_t>(train_idx.size());
  summary.val = static_cast<int64_t>(val_idx.size());

  Model model = Model::load(o.model_dir);
  if (!model.has_text()) throw Error(file_error(o.model_dir, "has no text tower to fine-tune"));
  const text::Tokenizer tok = load_tokenizer(o.model_dir, model);
  const int hidden = model.config().text->hidden_size;
  model::MulanModelImpl& net = model::modules_of(model);
  // Dropout draws from torch's global generator: seeded here, so the same seed gives the same filter.
  torch::manual_seed(derive_seed(o.seed, 0, 0x1F5B12));
  torch::nn::Linear head(hidden, 1);
  {
    torch::NoGradGuard g;
    head->weight.zero_();
    head->bias.zero_();
  }
  std::vector<at::Tensor> params = net.text->bert->parameters();
  params.push_back(head->weight);
  params.push_back(head->bias);
  std::vector<at::Tensor> decay, no_decay;
  for (auto& kv : net.text->bert->named_parameters()) {
    (kv.value().dim() >= 2 ? decay : no_decay).push_back(kv.value());
  }
  decay.push_back(head->weight);
  no_decay.push_back(head->bias);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay, std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(o.lr).weight_decay(o.weight_decay)));
  groups.emplace_back(no_decay, std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(o.lr).weight_decay(0)));
  torch::optim::AdamW opt(std::move(groups));

  model.set_training(true);
  head->train();
  Rng rng(derive_seed(o.seed, 0, 0x1F5B13));
  std::vector<int64_t> epoch = train_idx;
  std::size_t at = epoch.size();
  const int64_t warmup = std::max<int64_t>(1, o.steps / 10);
  int64_t right = 0, seen = 0;
  for (int64_t step = 0; step < o.steps; ++step) {
    std::vector<std::string> texts;
    std::vector<float> y;
    for (int64_t b = 0; b < o.batch; ++b) {
      if (at == epoch.size()) shuffle(rng, epoch), at = 0;
      const Labelled& r = rows[static_cast<std::size_t>(epoch[at++])];
      texts.push_back(r.text);
      y.push_back(r.music ? 1.0f : 0.0f);
    }
    const double f = step < warmup ? static_cast<double>(step + 1) / static_cast<double>(warmup)
                                    : std::max(0.0, static_cast<double>(o.steps - step) / static_cast<double>(o.steps - warmup + 1));
    for (auto& g : opt.param_groups()) static_cast<torch::optim::AdamWOptions&>(g.options()).lr(o.lr * f);
    const auto [ids, mask] = encode(tok, texts);
    const at::Tensor target = torch::tensor(y);
    const at::Tensor logits = head_logits(net, head, ids, mask);
    const at::Tensor loss = torch::binary_cross_entropy_with_logits(logits, target);
    opt.zero_grad();
    loss.backward();
    torch::nn::utils::clip_grad_norm_(params, 1.0);
    opt.step();
    if (step >= o.steps - 20) {  // training accuracy over the last steps
      right += ((logits.detach() >= 0).to(torch::kFloat32) == target).sum().item<int64_t>();
      seen += o.batch;
    }
    if (o.progress && ((step + 1) % 50 == 0 || step + 1 == o.steps)) {
      say("train-lf-filter: step " + std::to_string(step + 1) + "/" + std::to_string(o.steps) + "  loss " +
          std::to_string(loss.item<double>()));
    }
  }
  summary.train_accuracy = seen ? static_cast<double>(right) / static_cast<double>(seen) : 0;
  model.set_training(false);
  head->eval();

  // Held-out metrics.
  std::vector<std::string> vt;
  std::vector<uint8_t> vy;
  for (int64_t i : val_idx) {
    vt.push_back(rows[static_cast<std::size_t>(i)].text);
    vy.push_back(rows[static_cast<std::size_t>(i)].music);
  }
  std::vector<float> vp;
  {
    c10::InferenceMode guard;
    vp = score(net, head, tok, vt);
  }
  std::vector<double> vs(vp.begin(), vp.end());
  int64_t ok = 0;
  for (std::size_t i = 0; i < vp.size(); ++i) ok += (vp[i] >= o.threshold) == (vy[i] != 0);
  summary.val_accuracy = static_cast<double>(ok) / static_cast<double>(vp.size());
  summary.val_roc_auc = eval::roc_auc(vs, vy).value_or(0.0);

  // The filter directory: the tuned text tower alone, the head, and what it measured.
  MulanConfig text_only;
  text_only.embed_dim = model.config().embed_dim;
  text_only.tau_init = model.config().tau_init;
  text_only.text = model.config().text;
  Model out = Model::init(text_only, 0);
  TensorMap tensors = out.state();
  const TensorMap trained = model.state();
  for (auto& [name, t] : tensors) t = trained.at(name);
  out.load_state(tensors, o.model_dir);
  fs::create_directories(o.out_dir);
  out.save(o.out_dir, (fs::path(o.model_dir) / "vocab.txt").string());
  write_safetensors((fs::path(o.out_dir) / "lf_head.safetensors").string(),
                    {{"weight", head->weight.detach().clone()}, {"bias", head->bias.detach().clone()}}, {{"format", "mulan-lf-head"}});
  const json info = {{"threshold", o.threshold},
                     {"heldout", {{"sentences", summary.val}, {"accuracy", summary.val_accuracy}, {"roc_auc", summary.val_roc_auc}}},
                     {"train", {{"sentences", summary.train}, {"accuracy_last_steps", summary.train_accuracy}}},
                     {"recipe",
                      {{"model", o.model_dir}, {"model_sha256", model_hash(o.model_dir)}, {"data", o.data},
                       {"val_fraction", o.val_fraction}, {"steps", o.steps}, {"batch", o.batch}, {"lr", o.lr},
                       {"weight_decay", o.weight_decay}, {"seed", o.seed}}},
                     {"made", util::utc_now_iso8601()}};
  write_file_atomic((fs::path(o.out_dir) / "lf-filter.json").string(), info.dump(2) + "\n");
  return summary;
}

struct LfFilter::Impl {
  std::string dir;
  Model model;
  text::Tokenizer tok;
  torch::nn::Linear head{nullptr};
  double threshold = 0.5;
};

LfFilter::LfFilter(const std::string& dir) {
  const fs::path info_path = fs::path(dir) / "lf-filter.json", head_path = fs::path(dir) / "lf_head.safetensors";
  if (!fs::exists(info_path)) throw FileNotFound(file_error(info_path.string(), "no such file: not an LF filter directory (mulan mine train-lf-filter makes one)"));
  json info;
  try {
    info = json::parse(read_file(info_path.string(), 1 << 20, "lf-filter.json"));
  } catch (const json::exception& e) {
    throw Error(file_error(info_path.string(), std::string("invalid JSON (") + e.what() + ")"));
  }
  auto th = info.find("threshold");
  if (!info.is_object() || th == info.end() || !th->is_number() || !(th->get<double>() > 0 && th->get<double>() < 1)) {
    throw Error(file_error(info_path.string(), "field 'threshold' must be a number in (0, 1)"));
  }
  Model model = Model::load(dir);
  if (!model.has_text()) throw Error(file_error(dir, "has no text tower"));
  text::Tokenizer tok = load_tokenizer(dir, model);
  const int hidden = model.config().text->hidden_size;
  const TensorMap h = read_safetensors(head_path.string()).tensors;
  auto get = [&](const char* name, std::vector<int64_t> shape) {
    auto it = h.find(name);
    if (it == h.end()) throw Error(file_error(head_path.string(), std::string("no tensor '") + name + "'"));
    if (it->second.sizes().vec() != shape || it->second.scalar_type() != at::kFloat) {
      throw Error(file_error(head_path.string(), std::string("tensor '") + name + "' must be float32 of shape [" +
                                                     std::to_string(shape[0]) + (shape.size() > 1 ? ", " + std::to_string(shape[1]) : "") + "]"));
    }
    return it->second;
  };
  if (h.size() != 2) throw Error(file_error(head_path.string(), "must hold exactly 'weight' and 'bias'"));
  torch::nn::Linear head(hidden, 1);
  {
    torch::NoGradGuard g;
    head->weight.copy_(get("weight", {1, hidden}));
    head->bias.copy_(get("bias", {1}));
  }
  head->eval();
  impl_ = std::make_unique<Impl>(Impl{dir, std::move(model), std::move(tok), head, th->get<double>()});
}

LfFilter::~LfFilter() = default;
LfFilter::LfFilter(LfFilter&&) noexcept = default;
LfFilter& LfFilter::operator=(LfFilter&&) noexcept = default;
double LfFilter::threshold() const { return impl_->threshold; }
const std::string& LfFilter::dir() const { return impl_->dir; }

std::vector<float> LfFilter::probabilities(const std::vector<std::string>& sentences) const {
  c10::InferenceMode guard;
  return score(model::modules_of(impl_->model), impl_->head, impl_->tok, sentences);
}

}  // namespace mulan::mine
