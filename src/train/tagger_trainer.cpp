#include "train/tagger_trainer.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "mulan/manifest.h"
#include "data/pair_loader.h"
#include "data/shards.h"
#include "metrics/metrics.h"
#include "model/mulan_model.h"
#include "mulan/error.h"
#include "mulan/model.h"
#include "train/checkpoint.h"
#include "train/optimizer.h"
#include "train/run_log.h"
#include "train/validation.h"
#include "mulan/atomic_file.h"

namespace mulan::train {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

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

}  // namespace

TaggerSummary pretrain_tagger(const TaggerRun& tr) {
  const TrainRun& run = tr.base;
  const fs::path dir(run.out_dir);
  const ResolvedRun resolved = resolve_run(run);
  const TrainConfig& c = resolved.config;
  auto last_checkpoint = [&] {
    const auto all = list_checkpoints(run.out_dir);
    return all.empty() ? std::string("(none yet)") : all.front();
  };
  const c10::Device device(run.device);
  Model model = Model::load(run.model_dir, device);
  if (!model.has_audio()) throw Error(run.model_dir + ": the model has no audio tower");
  const AudioConfig& ac = *model.config().audio;
  const auto labels = read_labels(tr.labels);
  if (ac.tagger_classes != static_cast<int>(labels.size())) {
    throw Error(tr.labels + ": " + std::to_string(labels.size()) + " labels, but " + run.model_dir + " has audio.tagger_classes = " +
                std::to_string(ac.tagger_classes) + " (mulan init --tagger-classes N makes a model with a tagger head)");
  }
  auto& net = dynamic_cast<model::MulanModelImpl&>(model.module());

  data::ManifestOptions opt;
  opt.max_bad_fraction = c.max_bad_fraction;
  RunData data = read_run_data(run, opt);
  std::vector<std::string>& notes = data.notes;
  const std::vector<data::Recording> train_rows = labelled(data.train, run.data, labels, notes);
  const std::vector<data::Recording> val_rows = labelled(data.val, run.val.empty() ? run.data : run.val, labels, notes);
  if (train_rows.size() < 2) throw Error(file_error(run.data, "fewer than 2 training recordings with labels"));
  auto sampler = std::make_shared<data::PairSampler>(train_rows, c.source_ratio, c.seed, /*need_texts=*/false, c.batch);

  // Only the audio tower learns here.
  for (auto& p : net.named_parameters()) {
    if (!p.key().starts_with("audio.") || p.key().starts_with("audio.proj.")) p.value().set_requires_grad(false);
  }
  Optimizer opt_ = make_optimizer(net, c);
  CheckpointMeta meta;
  meta.seed = c.seed;
  meta.batch = c.batch;
  if (resolved.from_checkpoint) {
    const ResumePoint saved = load_latest_checkpoint(run.out_dir, net, *opt_.adamw);
    for (const std::string& s : saved.skipped) notes.push_back("skipped a checkpoint that does not load: " + s);
    if (saved.meta.seed != meta.seed || saved.meta.batch != meta.batch) throw Error(file_error(saved.path, "was written with another seed or batch"));
    meta = saved.meta;
    notes.push_back("resuming from " + saved.path + " (step " + std::to_string(meta.step) + ")");
  } else {
    fs::create_directories(dir);
    write_file_atomic((dir / "train.json").string(), nlohmann::json(c).dump(2) + "\n");
    write_file_atomic((dir / "run.json").string(),
                      nlohmann::json({{"task", "pretrain-tagger"}, {"model", run.model_dir}, {"data", run.data}, {"labels", tr.labels}}).dump(2) + "\n");
  }
  // Validation: the middle window of each recording, every label scored.
  torch::Tensor val_windows, val_targets;
  if (!val_rows.empty()) {
    MiddleWindows mw = middle_windows(val_rows, audio::FrontendConfig::named(ac.frontend), ac.window_frames);
    for (const std::string& b : mw.bad) notes.push_back("unreadable validation recording " + b);
    if (!mw.kept.empty()) {
      val_windows = mw.windows;
      val_targets = targets(val_rows, mw.kept, labels);
    }
  }
  RunLog log((dir / "metrics.jsonl").string(), resolved.from_checkpoint ? meta.step : -1, run.progress);
  for (const std::string& n : notes) log.note("mulan pretrain-tagger: " + n);

  const data::PairLoaderOptions lo = loader_options(c, ac);
  data::PairLoader loader(sampler, lo, meta.step);

  std::vector<std::string> label_names(labels.size());  // column -> label
  for (const auto& [label, column] : labels) label_names[static_cast<size_t>(column)] = label;
  TaggerSummary summary;
  auto validate_now = [&](int64_t step) {
    if (!val_windows.defined()) return;
    net.eval();
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> logits;
    for (int64_t s = 0; s < val_windows.size(0); s += c.val_batch) {
      logits.push_back(net.audio->tag_logits(val_windows.slice(0, s, s + c.val_batch).to(device)).cpu());
    }
    const torch::Tensor z = torch::cat(logits);
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
    log.write({{"split", "val"}, {"step", step}, {"loss", summary.val_loss}, {"macro_roc_auc", auc.mean}, {"macro_map", ap.mean},
               {"labels_used", auc.used}, {"labels_excluded", auc.excluded}});
    char buf[160];
    std::snprintf(buf, sizeof buf, "validation at step %lld: BCE %.4f  macro ROC-AUC %.3f  mAP %.3f  (%d labels)",
                  static_cast<long long>(step), summary.val_loss, auc.mean, ap.mean, auc.used);
    log.note(buf);
    enter_training_mode(net, c);
  };

  std::vector<torch::Tensor> params;
  for (auto& g : opt_.adamw->param_groups()) for (auto& p : g.params()) params.push_back(p);
  const int64_t end = run.stop_at > 0 ? std::min(run.stop_at, c.steps) : c.steps;
  const auto start = Clock::now();
  int64_t in_row = 0, done_here = 0;
  enter_training_mode(net, c);  // a frozen trunk (trunk_lr 0: a linear probe) stays in evaluation mode
  const std::vector<int64_t> injected = injected_nonfinite_steps();
  for (int64_t step = meta.step; step < end; ++step) {
    const data::PairBatch batch = loader.next();
    torch::manual_seed(data::mix_seed(c.seed, static_cast<uint64_t>(step)));
    const torch::Tensor logits = net.audio->tag_logits(batch.windows.to(device));
    const torch::Tensor loss = torch::binary_cross_entropy_with_logits(logits, targets(sampler->recordings(), batch.recordings, labels).to(device));
    const bool inject = std::find(injected.begin(), injected.end(), step + 1) != injected.end();  // a test's fault
    const double value = inject ? NAN : loss.item<double>();
    bool finite = std::isfinite(value);
    opt_.adamw->zero_grad();
    if (finite) {
      loss.backward();
      finite = std::isfinite(torch::nn::utils::clip_grad_norm_(params, c.grad_clip > 0 ? c.grad_clip : INFINITY));
    }
    const double lr = opt_.set_lr(step, c);
    if (finite) {
      opt_.adamw->step();
      in_row = 0;
    } else {
      ++meta.skipped_steps;
      if (++in_row >= c.max_nonfinite_steps) {
        throw Error("pre-training stopped at step " + std::to_string(step + 1) + ": " + std::to_string(in_row) +
                    " non-finite losses in a row; the last good checkpoint is " + last_checkpoint());
      }
    }
    ++done_here;
    summary.last_loss = value;
    const int64_t done = step + 1;
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    summary.pairs_per_s = static_cast<double>(done_here * c.batch) / std::max(elapsed, 1e-9);
    log.progress(done, c.steps, value, 0, lr, summary.pairs_per_s, loader.wait_seconds() / std::max(elapsed, 1e-9),
                 elapsed / static_cast<double>(done_here) * static_cast<double>(end - done));
    if (done % c.log_every == 0 || done == end) {
      log.write({{"step", done}, {"loss", value}, {"lr", lr}, {"pairs_per_s", summary.pairs_per_s},
                 {"data_wait", loader.wait_seconds() / std::max(elapsed, 1e-9)}, {"skipped_steps", meta.skipped_steps}});
    }
    if (done == c.steps && in_row > 0) {  // the weights the last steps left are neither validated nor written
      log.end_progress();
      throw Error("pre-training ended with " + std::to_string(in_row) + " non-finite losses in a row (lower lr or check the data): " +
                  "no model is written; the last good checkpoint is " + last_checkpoint());
    }
    if ((c.val_every > 0 && done % c.val_every == 0) || (done == end && end == c.steps)) validate_now(done);
    const bool checkpointed = (c.checkpoint_every > 0 && done % c.checkpoint_every == 0) || done == end;
    const bool stop = run.stop_signal && run.stop_signal->load() != 0 && done != end;
    if (checkpointed || stop) {
      meta.step = done;
      save_checkpoint(run.out_dir, c.keep_checkpoints, net, *opt_.adamw, meta);
    }
    if (stop) {  // a signal (SIGTERM from a scheduler, SIGINT): stop after this step
      log.end_progress();
      throw Interrupted(run.stop_signal->load(), "pre-training stopped by a signal after step " + std::to_string(done) +
                                                     " with its checkpoint (" + last_checkpoint() +
                                                     "): run the same command with --resume to continue");
    }
  }
  log.end_progress();
  summary.step = std::max(meta.step, end);
  if (end == c.steps) model.save((dir / "model").string(), (fs::path(run.model_dir) / "vocab.txt").string());
  return summary;
}

}  // namespace mulan::train
