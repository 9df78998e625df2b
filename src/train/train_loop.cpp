#include "train/train_loop.h"

#include <ATen/autocast_mode.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <sstream>

#include "data/shards.h"
#include "model/mulan_model.h"
#include "mulan/error.h"
#include "mulan/model.h"
#include "mulan/atomic_file.h"

namespace mulan::train {
namespace fs = std::filesystem;

data::PairLoaderOptions loader_options(const TrainConfig& c, const AudioConfig& ac, int64_t rank, int64_t world) {
  data::PairLoaderOptions lo;
  lo.batch = c.batch;
  lo.rank = rank;
  lo.world = world;
  lo.workers = c.workers;
  lo.prefetch_batches = c.prefetch_batches;
  lo.window_frames = ac.window_frames;
  lo.frontend = ac.frontend_config();
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
      throw OptionError("out_dir", "'" + run.out_dir + "' already holds a run (a checkpoint): continue it, or choose another folder");
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
      throw OptionError("resume", ": the settings differ from " + saved_path + " (" + diff +
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

model::MulanModelImpl& training_modules(Model& model) { return model::modules_of(model); }

namespace {

using LoopClock = std::chrono::steady_clock;

double seconds_from(LoopClock::time_point t) { return std::chrono::duration<double>(LoopClock::now() - t).count(); }

// Mixed precision on CUDA (bfloat16, so no loss scaling is needed). LibTorch 1.13's CPU autocast
// is not used: on the CPU amp does nothing (train_config.h).
struct CudaAutocast {
  explicit CudaAutocast(bool on) : on_(on) {
    if (on_) {
      at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
      at::autocast::set_enabled(true);
    }
  }
  ~CudaAutocast() {
    if (on_) {
      at::autocast::set_enabled(false);
      at::autocast::clear_cache();
    }
  }
  CudaAutocast(const CudaAutocast&) = delete;
  CudaAutocast& operator=(const CudaAutocast&) = delete;
  bool on_;
};

c10::Device training_device(const std::string& device, const DistEnv& env) {
  return parse_device(device == "cuda" && env.world > 1 ? "cuda:" + std::to_string(env.local_rank) : device);
}

}  // namespace

TrainLoop::TrainLoop(const TrainRun& run, std::string command, std::string what, LossScope scope)
    : run_(run), command_(std::move(command)), what_(std::move(what)), scope_(scope), env_(dist_env_from_environment()),
      device_(training_device(run.device, env_)) {
  // Before anything is written: an int8 model is for inference only (Model::set_training).
  const fs::path model_config = fs::path(run.model_dir) / "config.json";
  if (fs::is_regular_file(model_config) && load_config(model_config.string()).quantization == "int8") {
    throw UsageError(file_error(run.model_dir, "is an int8 model (made by mulan quantize), for inference only: " +
                                                   command_ + " needs the float model it was made from"));
  }
  const ResolvedRun resolved = resolve_run(run);
  config_ = resolved.config;
  from_checkpoint_ = resolved.from_checkpoint;
  if (env_.world > 1) dist_ = std::make_unique<Distributed>(env_, device_);
}

TrainLoop::~TrainLoop() = default;

std::string TrainLoop::last_checkpoint() const {
  const auto all = list_checkpoints(run_.out_dir);
  return all.empty() ? std::string("(none written yet)") : all.front();
}

void TrainLoop::start(Model& model, const nlohmann::json& run_info, const std::vector<std::string>& notes_in) {
  const fs::path dir(run_.out_dir);
  model_ = &model;
  net_ = &training_modules(model);
  opt_ = make_optimizer(*net_, config_);
  std::vector<std::string> notes = notes_in;
  meta_ = CheckpointMeta{};
  meta_.seed = config_.seed;
  meta_.batch = config_.batch;
  meta_.world = env_.world;
  if (from_checkpoint_) {
    const ResumePoint saved = load_latest_checkpoint(run_.out_dir, *net_, *opt_.adamw);
    for (const std::string& s : saved.skipped) notes.push_back("skipped a checkpoint that does not load: " + s);
    // These fix which pairs each step holds: with others the run would not continue its data order.
    std::string differ;
    auto check = [&](const char* field, auto was, auto now) {
      if (was != now) differ += (differ.empty() ? "" : ", ") + std::string(field) + " " + std::to_string(was) + " (now " + std::to_string(now) + ")";
    };
    check("seed", saved.meta.seed, meta_.seed);
    check("batch", saved.meta.batch, meta_.batch);
    check("processes", saved.meta.world, meta_.world);
    if (!differ.empty()) {
      throw Error(file_error(saved.path, "was written by a run with " + differ + ": resume it with the settings of " +
                                             (dir / "train.json").string() + " and the same number of processes (WORLD_SIZE)"));
    }
    meta_ = saved.meta;
    notes.push_back("resuming from " + saved.path + " (step " + std::to_string(meta_.step) + ")");
  } else if (root()) {
    fs::create_directories(dir);
    write_file_atomic((dir / "train.json").string(), nlohmann::json(config_).dump(2) + "\n");
    write_file_atomic((dir / "run.json").string(), run_info.dump(2) + "\n");
  }
  log_ = std::make_unique<RunLog>(root() ? (dir / "metrics.jsonl").string() : "", from_checkpoint_ ? meta_.step : -1, run_.progress && root());
  for (const std::string& n : notes) log_->note(command_ + ": " + n);
  if (dist_) log_->note(command_ + ": data parallel over " + dist_->backend() + ", " + std::to_string(env_.world) + " processes");
}

void TrainLoop::checkpoint(int64_t step) {
  meta_.step = step;
  if (root()) save_checkpoint(run_.out_dir, config_.keep_checkpoints, *net_, *opt_.adamw, meta_);
}

LoopResult TrainLoop::run(data::PairLoader& loader, const StepHooks& hooks) {
  if (!net_) throw Error("TrainLoop::run: start() was not called");
  const TrainConfig& c = config_;
  model::MulanModelImpl& net = *net_;
  const int64_t end = run_.stop_at > 0 ? std::min(run_.stop_at, c.steps) : c.steps;
  const double world = static_cast<double>(env_.world);
  const bool amp = c.amp && device_.is_cuda();
  const std::vector<int64_t> injected = injected_nonfinite_steps();
  std::vector<torch::Tensor> params;
  for (auto& g : opt_.adamw->param_groups()) {
    for (auto& p : g.params()) params.push_back(p);
  }
  if (dist_) {  // everyone starts from rank 0's model (they should have loaded the same anyway)
    std::vector<torch::Tensor> state;
    for (auto& p : net.parameters()) state.push_back(p);
    for (auto& b : net.buffers()) state.push_back(b);
    dist_->broadcast(state);
  }
  enter_training_mode(net, c);  // a frozen trunk stays in evaluation mode

  LoopResult result;
  const auto run_start = LoopClock::now();
  auto interval_start = run_start;
  double interval_wait = 0, interval_loss = 0;
  int64_t interval_steps = 0, interval_finite = 0, in_row = 0, steps_this_run = 0;
  size_t bad_reported = 0;
  for (int64_t step = meta_.step; step < end; ++step) {
    const double wait_before = loader.wait_seconds();
    const data::PairBatch batch = loader.next();
    interval_wait += loader.wait_seconds() - wait_before;
    const std::size_t bad_count = loader.bad_count();
    // The messages are copied only when a new unreadable recording turned up, not every step.
    const auto bad = bad_reported < bad_count ? loader.bad_recordings() : std::vector<Failure>();
    for (; bad_reported < bad_count; ++bad_reported) {
      if (bad_reported < 3) log_->note(command_ + ": skipped unreadable recording " + bad[bad_reported].where + ": " + bad[bad_reported].reason);
      else if (bad_reported == 3) log_->note(command_ + ": more unreadable recordings are skipped (counted in metrics.jsonl as bad_recordings)");
    }
    // Dropout draws from torch's generator: seed it per step so a resumed run draws the same.
    torch::manual_seed(data::mix_seed(c.seed, static_cast<uint64_t>(step)));
    torch::Tensor loss;
    {
      CudaAutocast autocast(amp);
      loss = hooks.loss(batch, step);
    }
    const bool inject = std::find(injected.begin(), injected.end(), step + 1) != injected.end();  // a test's fault
    double loss_value = inject ? NAN : loss.item<double>();
    // The loss of the global batch, the same on every process; a NaN on any makes it NaN on all.
    if (dist_ && scope_ == LossScope::process) loss_value = dist_->sum(loss_value) / world;
    bool finite = std::isfinite(loss_value);
    if (dist_) finite = !dist_->any(!finite);  // backward (and its all-reduce) on all processes or none
    opt_.adamw->zero_grad();
    if (finite) {
      (dist_ && scope_ == LossScope::process ? loss / world : loss).backward();
      if (dist_) {
        for (const torch::Tensor& p : hooks.whole_gradient) {
          if (p.grad().defined()) p.mutable_grad().div_(world);
        }
        dist_->sum_gradients(params);
      }
      // The global gradient norm (clipped to grad_clip; no clipping with 0), the same on every
      // process after the sum: a non-finite one skips the step like a non-finite loss.
      const double max_norm = c.grad_clip > 0 ? c.grad_clip : std::numeric_limits<double>::infinity();
      finite = std::isfinite(torch::nn::utils::clip_grad_norm_(params, max_norm));
    }
    const double lr = opt_.set_lr(step, c);
    if (finite) {
      opt_.adamw->step();
      in_row = 0;
    } else {
      opt_.adamw->zero_grad();
      ++meta_.skipped_steps;
      if (++in_row >= c.max_nonfinite_steps) {
        log_->end_progress();
        throw Error(what_ + " stopped at step " + std::to_string(step + 1) + ": " + std::to_string(in_row) +
                    " non-finite losses or gradients in a row (lower lr or check the data); the last good checkpoint is " +
                    last_checkpoint());
      }
    }
    ++steps_this_run;
    ++interval_steps;
    if (finite) {  // loss_mean is the mean of the interval's finite steps only
      interval_loss += loss_value;
      ++interval_finite;
    }
    result.last_loss = loss_value;
    const int64_t done = step + 1;
    const std::optional<double> tau = hooks.tau ? std::optional<double>(hooks.tau()) : std::nullopt;
    const double elapsed = seconds_from(interval_start);
    const double pairs_per_s = static_cast<double>(interval_steps * pairs_per_step()) / std::max(elapsed, 1e-9);
    const double data_wait = interval_wait / std::max(elapsed, 1e-9);
    const double per_step = seconds_from(run_start) / static_cast<double>(steps_this_run);
    log_->progress(done, c.steps, loss_value, tau, lr, pairs_per_s, data_wait, per_step * static_cast<double>(end - done));
    if (done % c.log_every == 0 || done == end) {
      nlohmann::json row = {{"step", done},
                            {"loss", loss_value},
                            {"loss_mean", interval_finite ? interval_loss / static_cast<double>(interval_finite) : NAN},
                            {"lr", lr},
                            {"pairs_per_s", pairs_per_s},
                            {"data_wait", data_wait},
                            {"skipped_steps", meta_.skipped_steps},
                            {"bad_recordings", bad_count},
                            {"elapsed_s", seconds_from(run_start)}};
      if (hooks.columns) hooks.columns(row);
      log_->write(row);
      interval_start = LoopClock::now();
      interval_wait = interval_loss = 0;
      interval_steps = interval_finite = 0;
    }
    const bool last = done == end;
    if (done == c.steps && in_row > 0) {  // the weights the last steps left are neither validated nor written
      log_->end_progress();
      throw Error(what_ + " ended with " + std::to_string(in_row) + " non-finite losses or gradients in a row (lower lr or check the " +
                  "data): no model is written; the last good checkpoint is " + last_checkpoint());
    }
    if (hooks.validate && root() && ((c.val_every > 0 && done % c.val_every == 0) || (last && end == c.steps))) {
      hooks.validate(done);
      enter_training_mode(net, c);
    }
    const bool checkpointed = (c.checkpoint_every > 0 && done % c.checkpoint_every == 0) || last;
    if (checkpointed) checkpoint(done);
    // A signal (SIGTERM from a scheduler, SIGINT): every process stops after this same step.
    bool stop = run_.stop_signal && run_.stop_signal->load() != 0;
    if (dist_ && run_.stop_signal) stop = dist_->any(stop);
    if (stop && !last) {
      if (!checkpointed) checkpoint(done);
      log_->end_progress();
      const int sig = run_.stop_signal->load() != 0 ? run_.stop_signal->load() : SIGTERM;  // SIGTERM: another process's signal
      throw Interrupted(sig, what_ + " stopped by a signal after step " + std::to_string(done) + " with its checkpoint (" +
                                 last_checkpoint() + "): resume the run to continue it");
    }
  }
  log_->end_progress();
  result.step = std::max(meta_.step, end);
  result.skipped_steps = meta_.skipped_steps;
  const double total = seconds_from(run_start);
  result.pairs_per_s = static_cast<double>(steps_this_run * pairs_per_step()) / std::max(total, 1e-9);
  result.data_wait = loader.wait_seconds() / std::max(total, 1e-9);
  result.finished = end == c.steps;
  if (result.finished && root()) model_->save((fs::path(run_.out_dir) / "model").string(), (fs::path(run_.model_dir) / "vocab.txt").string());
  return result;
}

}  // namespace mulan::train
