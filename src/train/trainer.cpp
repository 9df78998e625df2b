#include "mulan/train.h"

#include <torch/torch.h>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "data/pair_loader.h"
#include "model/mulan_model.h"
#include "mulan/error.h"
#include "mulan/model.h"
#include "mulan/tokenizer.h"
#include "train/distributed.h"
#include "train/loss.h"
#include "train/text_groups.h"
#include "train/train_loop.h"
#include "train/validation.h"

namespace mulan::train {

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
  std::unique_ptr<ValidationSet> val;
  if (!data.val.empty()) {
    val = std::make_unique<ValidationSet>(
        make_validation_set(data.val, c.source_ratio, c.seed, ac.frontend_config(), ac.window_frames));
    if (!val->bad.empty()) data.notes.push_back(std::to_string(val->bad.size()) + " validation recordings unreadable, first: " + val->bad.front().where + ": " + val->bad.front().reason);
  }

  loop.start(model, {{"model", run.model_dir}, {"data", run.data}, {"val", run.val}, {"device", run.device}}, data.notes);
  data::PairLoader loader(sampler, loader_options(c, ac, loop.env().rank, loop.env().world), loop.first_step());

  TrainSummary summary;
  StepHooks hooks;
  hooks.loss = [&](const data::PairBatch& batch, int64_t) {
    torch::Tensor a = net.audio->forward(batch.windows.to(device));
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
  hooks.columns = [&](nlohmann::json& row) { row["tau"] = tau(); };
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
