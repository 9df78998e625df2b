#include "train/trainer.h"

#include <ATen/autocast_mode.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <sstream>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "mulan/manifest.h"
#include "data/pair_loader.h"
#include "data/shards.h"
#include "model/mulan_model.h"
#include "mulan/error.h"
#include "mulan/model.h"
#include "mulan/tokenizer.h"
#include "train/checkpoint.h"
#include "train/distributed.h"
#include "train/loss.h"
#include "train/optimizer.h"
#include "train/run_log.h"
#include "train/text_groups.h"
#include "train/validation.h"
#include "mulan/atomic_file.h"

namespace mulan::train {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Mixed precision on CUDA (bfloat16, so no loss scaling is needed); nothing on the CPU.
struct Autocast {
  explicit Autocast(bool on) : on_(on) {
    if (on_) {
      at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
      at::autocast::set_enabled(true);
    }
  }
  ~Autocast() {
    if (on_) {
      at::autocast::set_enabled(false);
      at::autocast::clear_cache();
    }
  }
  bool on_;
};

}  // namespace

data::PairLoaderOptions loader_options(const TrainConfig& c, const AudioConfig& ac, int64_t rank, int64_t world) {
  data::PairLoaderOptions lo;
  lo.batch = c.batch;
  lo.rank = rank;
  lo.world = world;
  lo.workers = c.workers;
  lo.prefetch_batches = c.prefetch_batches;
  lo.window_frames = ac.window_frames;
  lo.frontend = audio::FrontendConfig::named(ac.frontend);
  lo.spec_augment = c.spec_augment;
  lo.spec_augment_config = c.spec_augment_config(ac.n_mels);
  lo.cache_bytes = c.cache_mb << 20;
  lo.max_bad_fraction = c.max_bad_fraction;
  return lo;
}

namespace {
// "field: saved X, given Y" for each field where the two configs differ.
std::string config_differences(const TrainConfig& saved, const TrainConfig& given) {
  const nlohmann::json a = saved, b = given;
  std::string out;
  for (auto it = b.begin(); it != b.end(); ++it) {
    const nlohmann::json& old = a.contains(it.key()) ? a.at(it.key()) : nlohmann::json();
    const bool same = old == *it || (old.is_number() && it->is_number() && old.get<double>() == it->get<double>());
    if (!same) out += (out.empty() ? "" : "; ") + it.key() + ": saved " + old.dump() + ", given " + it->dump();
  }
  return out;
}
}  // namespace

ResolvedRun resolve_run(const TrainRun& run) {
  const fs::path dir(run.out_dir);
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) throw Error(file_error(run.out_dir, "is not a directory: the run directory must be one"));
  const fs::path legacy = dir / kLegacyCheckpointFile;
  if (fs::exists(fs::symlink_status(legacy, ec))) {
    throw Error(file_error(legacy.string(), "is a checkpoint of an earlier mulan (a pickled LibTorch archive, which can run code when "
                                            "read): it is never loaded; start the run again in another directory"));
  }
  remove_checkpoint_temporaries(run.out_dir);  // a run killed while writing a checkpoint leaves its temporary file
  const bool has_checkpoint = !list_checkpoints(run.out_dir).empty();
  const std::string saved_path = (dir / "train.json").string();
  if (!run.resume) {
    if (has_checkpoint) {
      throw UsageError(run.out_dir + " already holds a run (a checkpoint): add --resume to continue it, or choose another --out");
    }
    run.config.validate();
    return {run.config, false};
  }
  if (!fs::exists(saved_path)) {
    if (has_checkpoint) throw Error(file_error(saved_path, "is missing beside the run's checkpoints: the run directory is damaged"));
    run.config.validate();  // nothing started yet: this is the first start
    return {run.config, false};
  }
  const TrainConfig saved = load_train_config(saved_path);
  if (run.config_given) {
    const std::string diff = config_differences(saved, run.config);
    if (!diff.empty()) {
      throw UsageError("--resume: the flags or --config differ from " + saved_path + " (" + diff +
                       "); give the run's own settings, or none");
    }
  }
  return {saved, has_checkpoint};
}

std::vector<int64_t> injected_nonfinite_steps() {
  std::vector<int64_t> out;
  const char* v = std::getenv("MULAN_TEST_NONFINITE_STEPS");
  if (!v) return out;
  std::stringstream ss(v);
  for (std::string item; std::getline(ss, item, ',');) {
    try {
      out.push_back(std::stoll(item));
    } catch (const std::exception&) {
      throw Error("environment: MULAN_TEST_NONFINITE_STEPS must list step numbers separated by commas, not '" + std::string(v) + "'");
    }
  }
  return out;
}

RunData read_run_data(const TrainRun& run, const data::ManifestOptions& options) {
  RunData d;
  const data::Manifest m = data::read_data(run.data, options);
  if (!m.bad.empty()) d.notes.push_back(m.bad_summary());
  for (const data::Recording& r : m.rows) {
    if (r.split.empty() || r.split == "train") d.train.push_back(r);
    if (run.val.empty() && r.split == "val") d.val.push_back(r);
  }
  if (!run.val.empty()) {
    const data::Manifest v = data::read_data(run.val, options);
    if (!v.bad.empty()) d.notes.push_back(v.bad_summary());
    d.val = v.rows;
  }
  return d;
}

TrainSummary train(const TrainRun& run) {
  const fs::path dir(run.out_dir);
  const ResolvedRun resolved = resolve_run(run);
  const TrainConfig& c = resolved.config;
  auto last_checkpoint = [&] {
    const auto all = list_checkpoints(run.out_dir);
    return all.empty() ? std::string("(none written yet)") : all.front();
  };
  // Data parallel when started by torchrun & co. (WORLD_SIZE > 1): rank 0 writes the run.
  const DistEnv env = dist_env_from_environment();
  const bool root = env.rank == 0;
  const c10::Device device(run.device == "cuda" && env.world > 1 ? "cuda:" + std::to_string(env.local_rank) : run.device);
  std::unique_ptr<Distributed> dist;
  if (env.world > 1) dist = std::make_unique<Distributed>(env, device);
  Model model = Model::load(run.model_dir, device);
  if (!model.has_audio() || !model.has_text()) throw Error(run.model_dir + ": training needs a model with both towers");
  auto& net = dynamic_cast<model::MulanModelImpl&>(model.module());
  const text::Tokenizer tokenizer = load_tokenizer(run.model_dir, model);
  const AudioConfig& ac = *model.config().audio;
  const LossKind kind = loss_kind_from_string(c.loss);

  data::ManifestOptions read_options;
  read_options.require_texts = true;
  read_options.max_bad_fraction = c.max_bad_fraction;
  RunData data = read_run_data(run, read_options);
  if (data.train.size() < 2) throw Error(file_error(run.data, "fewer than 2 training recordings with texts (split \"train\" or none)"));
  auto sampler = std::make_shared<data::PairSampler>(data.train, c.source_ratio, c.seed, /*need_texts=*/true, c.batch * env.world);
  if (!sampler->unusable().empty()) {
    data.notes.push_back(std::to_string(sampler->unusable().size()) + " training recordings have no text of a source in source_ratio, first: " +
                         sampler->unusable().front().where);
  }
  std::unique_ptr<ValidationSet> val;
  if (!data.val.empty()) {
    val = std::make_unique<ValidationSet>(
        make_validation_set(data.val, c.source_ratio, c.seed, audio::FrontendConfig::named(ac.frontend), ac.window_frames));
    if (!val->bad.empty()) data.notes.push_back(std::to_string(val->bad.size()) + " validation recordings unreadable, first: " + val->bad.front());
  }

  Optimizer opt = make_optimizer(net, c);
  CheckpointMeta meta;
  meta.seed = c.seed;
  meta.batch = c.batch;
  meta.world = env.world;
  if (resolved.from_checkpoint) {
    const ResumePoint saved = load_latest_checkpoint(run.out_dir, net, *opt.adamw);
    for (const std::string& s : saved.skipped) data.notes.push_back("skipped a checkpoint that does not load: " + s);
    if (saved.meta.seed != meta.seed || saved.meta.batch != meta.batch || saved.meta.world != meta.world) {
      throw Error(file_error(saved.path, "was written by a run with another seed, batch or number of processes (" +
                                             std::to_string(saved.meta.world) + ") than " + (dir / "train.json").string() + " and this one (" +
                                             std::to_string(meta.world) + ")"));
    }
    meta = saved.meta;
    data.notes.push_back("resuming from " + saved.path + " (step " + std::to_string(meta.step) + ")");
  } else if (root) {
    fs::create_directories(dir);
    write_file_atomic((dir / "train.json").string(), nlohmann::json(c).dump(2) + "\n");
    const nlohmann::json info = {{"model", run.model_dir}, {"data", run.data}, {"val", run.val}, {"device", run.device}};
    write_file_atomic((dir / "run.json").string(), info.dump(2) + "\n");
  }
  const int64_t end = run.stop_at > 0 ? std::min(run.stop_at, c.steps) : c.steps;
  RunLog log(root ? (dir / "metrics.jsonl").string() : "", resolved.from_checkpoint ? meta.step : -1, run.progress && root);
  for (const std::string& n : data.notes) log.note("mulan train: " + n);
  if (dist) log.note("mulan train: data parallel over " + dist->backend() + ", " + std::to_string(env.world) + " processes");

  const data::PairLoaderOptions lo = loader_options(c, ac, env.rank, env.world);
  data::PairLoader loader(sampler, lo, meta.step);

  TrainSummary summary;
  const auto run_start = Clock::now();
  auto interval_start = run_start;
  double interval_wait = 0, interval_loss = 0;
  int64_t interval_steps = 0, in_row = 0, steps_this_run = 0;
  size_t bad_reported = 0;
  std::vector<torch::Tensor> params;
  for (auto& g : opt.adamw->param_groups()) for (auto& p : g.params()) params.push_back(p);
  const bool amp = c.amp && device.is_cuda();
  if (dist) {  // everyone starts from rank 0's model (they should have loaded the same anyway)
    std::vector<torch::Tensor> state;
    for (auto& p : net.parameters()) state.push_back(p);
    for (auto& b : net.buffers()) state.push_back(b);
    dist->broadcast(state);
  }
  enter_training_mode(net, c);  // a frozen trunk stays in evaluation mode

  auto validate_now = [&](int64_t step) {
    if (!val || !root) return;
    const ValidationResult v = run_validation(net, tokenizer, *val, c.val_batch, kind, c.tau_min, device);
    enter_training_mode(net, c);
    summary.val_loss = v.loss;
    summary.val_chance = v.chance;
    summary.val_r_at_10 = v.r_at_10;
    summary.val_map = v.map;
    log.write({{"split", "val"}, {"step", step}, {"loss", v.loss}, {"chance_loss", v.chance}, {"r_at_10", v.r_at_10},
               {"map", v.map}, {"median_rank", v.median_rank}, {"pairs", v.pairs}});
    char buf[160];
    std::snprintf(buf, sizeof buf, "validation at step %lld: loss %.4f (chance %.4f)  R@10 %.3f  mAP %.3f  (%lld pairs)",
                  static_cast<long long>(step), v.loss, v.chance, v.r_at_10, v.map, static_cast<long long>(v.pairs));
    log.note(buf);
  };
  auto checkpoint_now = [&](int64_t step) {
    meta.step = step;
    if (root) save_checkpoint(run.out_dir, c.keep_checkpoints, net, *opt.adamw, meta);
  };

  const std::vector<int64_t> injected = injected_nonfinite_steps();
  int64_t interval_finite = 0;
  for (int64_t step = meta.step; step < end; ++step) {
    const double wait_before = loader.wait_seconds();
    data::PairBatch batch = loader.next();
    interval_wait += loader.wait_seconds() - wait_before;
    const std::size_t bad_count = loader.bad_count();
    // The messages are copied only when a new unreadable recording turned up, not every step.
    const auto bad = bad_reported < bad_count ? loader.bad_recordings() : std::vector<std::string>();
    for (; bad_reported < bad_count; ++bad_reported) {
      if (bad_reported < 3) log.note("mulan train: skipped unreadable recording " + bad[bad_reported]);
      else if (bad_reported == 3) log.note("mulan train: more unreadable recordings are skipped (counted in metrics.jsonl as bad_recordings)");
    }
    // Dropout draws from torch's generator: seed it per step so a resumed run draws the same.
    torch::manual_seed(data::mix_seed(c.seed, static_cast<uint64_t>(step)));
    torch::Tensor loss;
    {
      Autocast autocast(amp);
      torch::Tensor a = net.audio->forward(batch.windows.to(device));
      torch::Tensor t = text_forward_grouped(*net.text, tokenizer, batch.texts, device);
      if (dist) {  // the loss of the global batch (see distributed.h)
        a = dist->gather_rows(a);
        t = dist->gather_rows(t);
      }
      loss = contrastive_loss(a, t, temperature(net.log_tau, c.tau_min), kind);
    }
    const bool inject = std::find(injected.begin(), injected.end(), step + 1) != injected.end();  // a test's fault
    const double loss_value = inject ? NAN : loss.item<double>();
    bool finite = std::isfinite(loss_value);
    opt.adamw->zero_grad();
    if (finite) {
      loss.backward();
      if (dist) {
        // The temperature enters every process's (identical) global loss directly, not through
        // its own rows: each process holds the whole gradient, so it must not be summed.
        if (net.log_tau.grad().defined()) net.log_tau.mutable_grad().div_(static_cast<double>(env.world));
        dist->sum_gradients(params);
      }
      // The global gradient norm (clipped to grad_clip; no clipping with 0): a non-finite one
      // skips the step like a non-finite loss.
      const double max_norm = c.grad_clip > 0 ? c.grad_clip : std::numeric_limits<double>::infinity();
      const double norm = torch::nn::utils::clip_grad_norm_(params, max_norm);
      finite = std::isfinite(norm);
    }
    const double lr = opt.set_lr(step, c);
    if (finite) {
      opt.adamw->step();
      in_row = 0;
    } else {
      opt.adamw->zero_grad();
      ++meta.skipped_steps;
      if (++in_row >= c.max_nonfinite_steps) {
        log.end_progress();
        throw Error("training stopped at step " + std::to_string(step + 1) + ": " + std::to_string(in_row) +
                    " non-finite losses or gradients in a row (lower lr or check the data); the last good checkpoint is " +
                    last_checkpoint());
      }
    }
    ++steps_this_run;
    ++interval_steps;
    if (finite) {
      interval_loss += loss_value;
      ++interval_finite;
    }
    summary.last_loss = loss_value;
    const int64_t done = step + 1;
    const double tau = temperature(net.log_tau.detach().cpu(), c.tau_min).item<double>();
    const double elapsed = seconds_since(interval_start);
    const double pairs_per_s = static_cast<double>(interval_steps * c.batch * env.world) / std::max(elapsed, 1e-9);
    const double per_step = seconds_since(run_start) / static_cast<double>(steps_this_run);
    log.progress(done, c.steps, loss_value, tau, lr, pairs_per_s, interval_wait / std::max(elapsed, 1e-9),
                 per_step * static_cast<double>(end - done));
    if (done % c.log_every == 0 || done == end) {
      // The mean over the interval's finite losses (skipped steps count in skipped_steps only).
      log.write({{"step", done}, {"loss", loss_value}, {"loss_mean", interval_finite ? interval_loss / static_cast<double>(interval_finite) : NAN},
                 {"tau", tau}, {"lr", lr}, {"pairs_per_s", pairs_per_s}, {"data_wait", interval_wait / std::max(elapsed, 1e-9)},
                 {"skipped_steps", meta.skipped_steps}, {"bad_recordings", bad_count}, {"elapsed_s", seconds_since(run_start)}});
      interval_start = Clock::now();
      interval_wait = interval_loss = 0;
      interval_steps = interval_finite = 0;
    }
    const bool last = done == end;
    if (done == c.steps && in_row > 0) {  // the weights the last steps left are neither validated nor written
      log.end_progress();
      throw Error("training ended with " + std::to_string(in_row) + " non-finite losses or gradients in a row (lower lr or check the " +
                  "data): no model is written; the last good checkpoint is " + last_checkpoint());
    }
    if ((c.val_every > 0 && done % c.val_every == 0) || (last && end == c.steps)) validate_now(done);
    const bool checkpointed = (c.checkpoint_every > 0 && done % c.checkpoint_every == 0) || last;
    if (checkpointed) checkpoint_now(done);
    // A signal (SIGTERM from a scheduler, SIGINT): every process stops after this same step.
    bool stop = run.stop_signal && run.stop_signal->load() != 0;
    if (dist && run.stop_signal) stop = dist->any(stop);
    if (stop && !last) {
      if (!checkpointed) checkpoint_now(done);
      log.end_progress();
      const int sig = run.stop_signal->load() != 0 ? run.stop_signal->load() : SIGTERM;  // SIGTERM: another process's signal
      throw Interrupted(sig, "training stopped by a signal after step " + std::to_string(done) + " with its checkpoint (" +
                                 last_checkpoint() + "): run the same command with --resume to continue");
    }
  }
  log.end_progress();
  summary.step = std::max(meta.step, end);
  summary.skipped_steps = meta.skipped_steps;
  const double total = seconds_since(run_start);
  summary.pairs_per_s = static_cast<double>(steps_this_run * c.batch * env.world) / std::max(total, 1e-9);
  summary.data_wait = loader.wait_seconds() / std::max(total, 1e-9);
  if (end == c.steps && root) model.save((dir / "model").string(), (fs::path(run.model_dir) / "vocab.txt").string());
  return summary;
}

}  // namespace mulan::train
