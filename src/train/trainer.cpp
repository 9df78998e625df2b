#include "mulan/train.h"

#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>

#include "data/pair_loader.h"
#include "model/mulan_model.h"
#include "train/audio_memo.h"
#include "mulan/error.h"
#include "mulan/model.h"
#include "mulan/tokenizer.h"
#include "train/distributed.h"
#include "train/loss.h"
#include "train/text_groups.h"
#include "train/train_loop.h"
#include "train/validation.h"

namespace mulan::train {
namespace {

// audio_proj "tagger" / "tagger-standardized": the projection becomes the tagger head, its rows
// padded with zero rows, so that the audio embedding is the tagger's L2-normalised logits;
// make_optimizer holds it there.
void set_audio_proj_to_tagger(model::AudioTowerImpl& tower, const std::string& model_dir, const std::string& value) {
  const std::string field = "train config field 'audio_proj' \"" + value + "\"";
  if (!tower.tagger) {
    throw Error(file_error(model_dir, "has no tagger head (audio.tagger_classes = 0), which the " + field +
                                          " needs: train from a model of mulan pretrain-tagger"));
  }
  if (tower.tagger_norm) {
    throw Error(file_error(model_dir, "reads its tagger head through a LayerNorm (audio.tagger_norm), which a linear projection "
                                      "cannot hold: the " + field + " needs a plain linear head"));
  }
  const int64_t classes = tower.tagger->weight.size(0), dim = tower.proj->weight.size(0);
  if (classes > dim) {
    throw Error(file_error(model_dir, "has " + std::to_string(classes) + " tagger classes, more than the " + std::to_string(dim) +
                                          " embedding dimensions the " + field + " can hold"));
  }
  torch::NoGradGuard no_grad;
  tower.proj->weight.zero_();
  tower.proj->weight.slice(0, 0, classes).copy_(tower.tagger->weight);
  if (tower.proj->bias.defined()) {
    tower.proj->bias.zero_();
    if (tower.tagger->bias.defined()) tower.proj->bias.slice(0, 0, classes).copy_(tower.tagger->bias);
  }
}

// "tagger-standardized": then row k becomes (logit_k - mean_k) / sd_k, the mean and the
// (population) standard deviation of logit k over the middle windows of the training
// recordings (at most kStandardizeRecordings of them, evenly spaced), the trunk in evaluation
// mode. Raw logits share a large common part (every absent tag's logit is far below 0), so
// their normalised vectors point nearly the same way and a tag that varies little (the mode)
// hardly moves them; standardised, every tag moves the embedding alike (docs/results.md).
// A logit that does not vary over those windows (sd < 1e-6) gets a zero row. Returns the
// number of windows.
constexpr size_t kStandardizeRecordings = 4096;
int64_t standardize_audio_proj(model::AudioTowerImpl& tower, const std::vector<data::Recording>& train, const AudioConfig& ac,
                               int64_t batch, c10::Device device) {
  if (!tower.proj->bias.defined()) {
    throw Error("the train config field 'audio_proj' \"tagger-standardized\" needs an audio projection with a bias");
  }
  const size_t stride = (train.size() + kStandardizeRecordings - 1) / kStandardizeRecordings;
  std::vector<data::Recording> chosen;
  for (size_t i = 0; i < train.size(); i += stride) chosen.push_back(train[i]);
  const bool was_training = tower.is_training();
  tower.eval();
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> logits;
  constexpr size_t kChunk = 256;  // recordings whose windows are held at once
  for (size_t s = 0; s < chosen.size(); s += kChunk) {
    const std::vector<data::Recording> part(chosen.begin() + static_cast<std::ptrdiff_t>(s),
                                            chosen.begin() + static_cast<std::ptrdiff_t>(std::min(s + kChunk, chosen.size())));
    const MiddleWindows mw = middle_windows(part, ac.frontend_config(), ac.window_frames);
    if (mw.windows.defined()) logits.push_back(tag_logits_in_batches(tower, mw.windows, batch, device).to(torch::kFloat64));
  }
  tower.train(was_training);
  const torch::Tensor all = logits.empty() ? torch::Tensor() : torch::cat(logits);  // [N, classes]
  if (!all.defined() || all.size(0) < 2) {
    throw Error("the train config field 'audio_proj' \"tagger-standardized\" needs at least 2 readable training recordings");
  }
  const torch::Tensor mean = all.mean(0), sd = all.std(0, /*unbiased=*/false);
  const torch::Tensor scale = torch::where(sd < 1e-6, torch::zeros_like(sd), 1.0 / sd);
  const int64_t classes = all.size(1);
  auto rows = tower.proj->weight.slice(0, 0, classes);
  rows.copy_((rows.to(torch::kFloat64) * scale.unsqueeze(1)).to(rows.options()));
  auto bias = tower.proj->bias.slice(0, 0, classes);
  bias.copy_(((bias.to(torch::kFloat64) - mean) * scale).to(bias.options()));
  return all.size(0);
}

}  // namespace

TrainSummary train(const TrainRun& run) {
  // Data parallel when started by torchrun & co. (WORLD_SIZE > 1): every process gathers every
  // process's embeddings and computes the same loss of the global batch (distributed.h).
  TrainLoop loop(run, "mulan train", "training", LossScope::global);
  const TrainConfig& c = loop.config();
  const c10::Device device = loop.device();
  Model model = Model::load(run.model_dir, device);
  if (!model.has_audio() || !model.has_text()) throw Error(run.model_dir + ": training needs a model with both towers");
  model::MulanModelImpl& net = training_modules(model);
  const text::Tokenizer tokenizer = load_tokenizer(run.model_dir, model);
  const AudioConfig& ac = *model.config().audio;
  const LossKind kind = loss_kind_from_string(c.loss);
  // A resumed run's checkpoint then restores the same rows.
  if (c.audio_proj != "learn") set_audio_proj_to_tagger(*net.audio, run.model_dir, c.audio_proj);

  data::ManifestOptions read_options;
  read_options.require_texts = true;
  read_options.texts_field = c.text_variant == "raw" ? "texts_raw" : "texts";
  read_options.max_bad_fraction = c.max_bad_fraction;
  RunData data = read_run_data(run, read_options);
  if (data.train.size() < 2) throw Error(file_error(run.data, "fewer than 2 training recordings with texts (split \"train\" or none)"));
  auto sampler = std::make_shared<data::PairSampler>(data.train, c.source_ratio, c.seed, /*need_texts=*/true, loop.pairs_per_step());
  if (!sampler->unusable().empty()) {
    data.notes.push_back(std::to_string(sampler->unusable().size()) + " training recordings have no text of a source in source_ratio, first: " +
                         sampler->unusable().front().where);
  }
  if (c.audio_proj == "tagger-standardized" && !loop.resuming()) {  // else the checkpoint holds the rows
    const int64_t n = standardize_audio_proj(*net.audio, data.train, ac, c.val_batch, device);
    data.notes.push_back("the audio projection is the tagger head, each logit standardised over the middle windows of " +
                         std::to_string(n) + " training recordings");
  }
  std::unique_ptr<ValidationSet> val;
  if (!data.val.empty()) {
    val = std::make_unique<ValidationSet>(
        make_validation_set(data.val, c.source_ratio, c.seed, ac.frontend_config(), ac.window_frames));
    if (!val->bad.empty()) data.notes.push_back(std::to_string(val->bad.size()) + " validation recordings unreadable, first: " + val->bad.front().where + ": " + val->bad.front().reason);
  }

  // A frozen trunk without SpecAugment runs once per window (MULAN_TEST_NO_AUDIO_MEMO: every
  // step, for the test that compares the two).
  std::unique_ptr<AudioMemo> memo;
  if (audio_trunk_fixed(c) && !std::getenv("MULAN_TEST_NO_AUDIO_MEMO")) {
    memo = std::make_unique<AudioMemo>(c.cache_mb << 20);
    data.notes.push_back("the audio trunk is fixed (trunk_lr 0, no SpecAugment): it runs once per training window, the projection every step");
  }

  loop.start(model, {{"model", run.model_dir}, {"data", run.data}, {"val", run.val}, {"device", run.device}}, data.notes);
  data::PairLoader loader(sampler, loader_options(c, ac, loop.env().rank, loop.env().world), loop.first_step());

  TrainSummary summary;
  StepHooks hooks;
  hooks.loss = [&](const data::PairBatch& batch, int64_t) {
    torch::Tensor a = memo ? memo->embed(*net.audio, batch, device) : net.audio->forward(batch.windows.to(device));
    torch::Tensor t = text_forward_grouped(*net.text, tokenizer, batch.texts, device);
    if (Distributed* dist = loop.distributed()) {  // the loss of the global batch
      a = dist->gather_rows(a);
      t = dist->gather_rows(t);
    }
    return contrastive_loss(a, t, temperature(net.log_tau, c.tau_min), kind);
  };
  // The temperature enters every process's (identical) global loss directly, not through its
  // own rows: each process holds its whole gradient.
  hooks.whole_gradient = {net.log_tau};
  auto tau = [&] { return temperature(net.log_tau.detach().cpu(), c.tau_min).item<double>(); };
  hooks.tau = tau;
  hooks.columns = [&](nlohmann::json& row) {
    row["tau"] = tau();
    if (memo) row["audio_windows_embedded"] = memo->embedded();  // trunk passes; stops growing once every window is known
  };
  if (val) {
    hooks.validate = [&](int64_t step) {
      const ValidationResult v = run_validation(net, tokenizer, *val, c.val_batch, kind, c.tau_min, device);
      summary.val_loss = v.loss;
      summary.val_chance = v.chance;
      summary.val_r_at_10 = v.r_at_10;
      summary.val_map = v.map;
      loop.log().write({{"split", "val"}, {"step", step}, {"loss", v.loss}, {"chance_loss", v.chance}, {"r_at_10", v.r_at_10},
                        {"map", v.map}, {"median_rank", v.median_rank}, {"pairs", v.pairs}});
      char buf[160];
      std::snprintf(buf, sizeof buf, "validation at step %lld: loss %.4f (chance %.4f)  R@10 %.3f  mAP %.3f  (%lld pairs)",
                    static_cast<long long>(step), v.loss, v.chance, v.r_at_10, v.map, static_cast<long long>(v.pairs));
      loop.log().note(buf);
    };
  }
  const LoopResult r = loop.run(loader, hooks);
  summary.step = r.step;
  summary.last_loss = r.last_loss;
  summary.skipped_steps = r.skipped_steps;
  summary.pairs_per_s = r.pairs_per_s;
  summary.data_wait = r.data_wait;
  return summary;
}

}  // namespace mulan::train
