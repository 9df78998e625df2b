#include "mulan/train_tagger.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <span>

#include "mulan/manifest.h"
#include "data/pair_loader.h"
#include "metrics/metrics.h"
#include "model/mulan_model.h"
#include "mulan/error.h"
#include "mulan/model.h"
#include "train/train_loop.h"
#include "train/validation.h"

namespace mulan::train {
namespace {

std::map<std::string, int64_t> read_labels(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(file_error(path, "cannot open labels file"));
  std::map<std::string, int64_t> index;
  int64_t n = 0;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    ++n;
    if (line.empty()) throw Error(path + ":" + std::to_string(n) + ": empty label");
    if (!index.emplace(line, n - 1).second) throw Error(path + ":" + std::to_string(n) + ": label '" + line + "' repeats");
  }
  return index;
}

// Recordings with at least one known label; the rest are counted.
std::vector<data::Recording> labelled(const std::vector<data::Recording>& rows, const std::string& source,
                                      const std::map<std::string, int64_t>& labels, std::vector<std::string>& notes) {
  std::vector<data::Recording> out;
  int64_t none = 0, unknown = 0;
  for (const data::Recording& r : rows) {
    int64_t known = 0;
    for (const std::string& l : r.labels) {
      if (labels.count(l)) ++known;
      else ++unknown;
    }
    if (known) out.push_back(r);
    else ++none;
  }
  if (none) notes.push_back(std::to_string(none) + " recordings of " + source + " have no label of the labels file: skipped");
  if (unknown) notes.push_back(std::to_string(unknown) + " labels in " + source + " are not in the labels file: ignored");
  return out;
}

torch::Tensor targets(const std::vector<data::Recording>& recs, const std::vector<int64_t>& which,
                      const std::map<std::string, int64_t>& labels) {
  torch::Tensor y = torch::zeros({static_cast<int64_t>(which.size()), static_cast<int64_t>(labels.size())});
  auto acc = y.accessor<float, 2>();
  for (size_t i = 0; i < which.size(); ++i) {
    for (const std::string& l : recs[which[i]].labels) {
      if (auto it = labels.find(l); it != labels.end()) acc[i][it->second] = 1.0f;
    }
  }
  return y;
}

// A resumed run learns what it started learning: its run.json names the --learn labels.
void check_resumed_learn(const TrainRun& run, const std::vector<std::string>& learn) {
  const std::filesystem::path path = std::filesystem::path(run.out_dir) / "run.json";
  if (!run.resume || !std::filesystem::exists(path)) return;
  std::ifstream in(path);
  const nlohmann::json info = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (info.is_discarded() || !info.is_object()) return;
  const std::vector<std::string> was = info.contains("learn") ? info["learn"].get<std::vector<std::string>>() : std::vector<std::string>{};
  if (was != learn) {
    auto list = [](const std::vector<std::string>& v) { return v.empty() ? std::string("every label") : nlohmann::json(v).dump(); };
    throw Error(file_error(path.string(), "the run learns " + list(was) + ", not " + list(learn) + ": resume it with the same --learn"));
  }
}

}  // namespace

TaggerSummary pretrain_tagger(const TaggerRun& tr) {
  const TrainRun& run = tr.base;
  // Data parallel when started by torchrun & co. (WORLD_SIZE > 1): each process's loss is the
  // mean BCE over its own batch, the global loss the mean of theirs.
  TrainLoop loop(run, "mulan pretrain-tagger", "pre-training", LossScope::process);
  const TrainConfig& c = loop.config();
  if (c.audio_proj != "learn") {
    throw Error("the train config's field 'audio_proj' is a setting of mulan train: pretrain-tagger never trains the projection");
  }
  const c10::Device device = loop.device();
  Model model = Model::load(run.model_dir, device);
  if (!model.has_audio()) throw Error(run.model_dir + ": the model has no audio tower");
  const AudioConfig& ac = *model.config().audio;
  const auto labels = read_labels(tr.labels);
  if (ac.tagger_classes != static_cast<int>(labels.size())) {
    throw Error(tr.labels + ": " + std::to_string(labels.size()) + " labels, but " + run.model_dir + " has audio.tagger_classes = " +
                std::to_string(ac.tagger_classes) + " (a model made with tagger_classes > 0 has a tagger head)");
  }
  // The columns of the loss: every label, or those of --learn.
  std::vector<int64_t> columns;
  for (const std::string& l : tr.learn) {
    const auto it = labels.find(l);
    if (it == labels.end()) throw Error(file_error(tr.labels, "has no label '" + l + "' (asked to learn it)"));
    if (std::find(columns.begin(), columns.end(), it->second) != columns.end()) throw Error("--learn names label '" + l + "' twice");
    columns.push_back(it->second);
  }
  check_resumed_learn(run, tr.learn);
  const torch::Tensor loss_columns = torch::tensor(columns, torch::kInt64).to(device);
  model::MulanModelImpl& net = training_modules(model);

  data::ManifestOptions read_options;
  read_options.max_bad_fraction = c.max_bad_fraction;
  RunData data = read_run_data(run, read_options);
  std::vector<std::string>& notes = data.notes;
  const std::vector<data::Recording> train_rows = labelled(data.train, run.data, labels, notes);
  const std::vector<data::Recording> val_rows = labelled(data.val, run.val.empty() ? run.data : run.val, labels, notes);
  if (train_rows.size() < 2) throw Error(file_error(run.data, "fewer than 2 training recordings with labels"));
  auto sampler = std::make_shared<data::PairSampler>(train_rows, c.source_ratio, c.seed, /*need_texts=*/false, loop.pairs_per_step());

  // Only the audio tower learns here.
  for (auto& p : net.named_parameters()) {
    if (!p.key().starts_with("audio.") || p.key().starts_with("audio.proj.")) p.value().set_requires_grad(false);
  }
  // Validation: the middle window of each recording, every label scored.
  torch::Tensor val_windows, val_targets;
  if (!val_rows.empty()) {
    MiddleWindows mw = middle_windows(val_rows, ac.frontend_config(), ac.window_frames);
    for (const Failure& b : mw.bad) notes.push_back("unreadable validation recording " + b.where + ": " + b.reason);
    if (!mw.kept.empty()) {
      val_windows = mw.windows;
      val_targets = targets(val_rows, mw.kept, labels);
    }
  }
  nlohmann::json info = {{"task", "pretrain-tagger"}, {"model", run.model_dir}, {"data", run.data}, {"labels", tr.labels}};
  if (!tr.learn.empty()) {
    info["learn"] = tr.learn;
    notes.push_back("learning " + std::to_string(columns.size()) + " of the " + std::to_string(labels.size()) + " labels");
  }
  loop.start(model, info, notes);
  data::PairLoader loader(sampler, loader_options(c, ac, loop.env().rank, loop.env().world), loop.first_step());

  std::vector<std::string> label_names(labels.size());  // column -> label
  for (const auto& [label, column] : labels) label_names[static_cast<size_t>(column)] = label;
  TaggerSummary summary;
  StepHooks hooks;
  hooks.loss = [&](const data::PairBatch& batch, int64_t) {
    torch::Tensor logits = net.audio->tag_logits(batch.windows.to(device));
    torch::Tensor y = targets(sampler->recordings(), batch.recordings, labels).to(device);
    if (!columns.empty()) {
      logits = logits.index_select(1, loss_columns);
      y = y.index_select(1, loss_columns);
    }
    return torch::binary_cross_entropy_with_logits(logits, y);
  };
  if (val_windows.defined()) {
    hooks.validate = [&](int64_t step) {
      net.eval();
      torch::NoGradGuard no_grad;
      const torch::Tensor z = tag_logits_in_batches(*net.audio, val_windows, c.val_batch, device);
      summary.val_loss = torch::binary_cross_entropy_with_logits(z, val_targets).item<double>();
      const torch::Tensor zd = z.to(torch::kFloat64).contiguous();
      const torch::Tensor yd = val_targets.to(torch::kUInt8).contiguous();
      const int64_t n = z.size(0), k = z.size(1);
      const std::span<const double> scores(zd.data_ptr<double>(), n * k);
      const std::span<const uint8_t> truth(yd.data_ptr<uint8_t>(), n * k);
      const eval::MacroResult auc = eval::macro_roc_auc(scores, truth, n, k);
      const eval::MacroResult ap = eval::macro_average_precision(scores, truth, n, k);
      summary.val_roc_auc = auc.mean;
      summary.val_map = ap.mean;
      summary.val_roc_auc_per_label.clear();
      for (size_t column = 0; column < label_names.size(); ++column) {
        if (const auto& v = auc.per_column[column]) summary.val_roc_auc_per_label.emplace_back(label_names[column], *v);
      }
      loop.log().write({{"split", "val"}, {"step", step}, {"loss", summary.val_loss}, {"macro_roc_auc", auc.mean}, {"macro_map", ap.mean},
                        {"labels_used", auc.used}, {"labels_excluded", auc.excluded}});
      char buf[160];
      std::snprintf(buf, sizeof buf, "validation at step %lld: BCE %.4f  macro ROC-AUC %.3f  mAP %.3f  (%d labels)",
                    static_cast<long long>(step), summary.val_loss, auc.mean, ap.mean, auc.used);
      loop.log().note(buf);
    };
  }
  const LoopResult r = loop.run(loader, hooks);
  summary.step = r.step;
  summary.last_loss = r.last_loss;
  summary.pairs_per_s = r.pairs_per_s;
  return summary;
}

}  // namespace mulan::train
