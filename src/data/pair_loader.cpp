#include "data/pair_loader.h"

#include <torch/torch.h>

#include <chrono>

#include "mulan/error.h"
#include "mulan/random.h"
#include "mulan/windows.h"

namespace mulan::data {

PairLoader::PairLoader(std::shared_ptr<const PairSampler> sampler, const PairLoaderOptions& options, int64_t first_step)
    : sampler_(std::move(sampler)),
      options_(options),
      cache_(options.frontend, options.cache_bytes),
      pad_value_(cache_.frontend().silence_value()),
      next_step_(first_step),
      next_sample_(first_step * options.batch) {
  if (options_.batch < 1) throw Error("loader: batch must be >= 1");
  if (options_.world < 1 || options_.rank < 0 || options_.rank >= options_.world) throw Error("loader: rank must be in [0, world)");
  if (options_.workers < 1) throw Error("loader: workers must be >= 1");
  if (options_.prefetch_batches < 1) throw Error("loader: prefetch_batches must be >= 1");
  // The workers run one intra-op thread each (see work()). ATen keeps that count in a global as
  // well as per thread, and a thread that has not run a parallel op yet takes the global on its
  // first one: so the caller's count is restored once every worker has set its own, or the
  // training thread would run single-threaded next to idle cores.
  const int caller_threads = at::get_num_threads();
  for (int i = 0; i < options_.workers; ++i) threads_.emplace_back([this] { work(); });
  {
    std::unique_lock<std::mutex> lock(mutex_);
    done_cv_.wait(lock, [&] { return started_ == options_.workers; });
  }
  at::set_num_threads(caller_threads);
}

PairLoader::~PairLoader() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  work_cv_.notify_all();
  for (std::thread& t : threads_) t.join();
}

bool PairLoader::is_bad(int64_t recording) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return bad_.count(recording) > 0;
}

std::size_t PairLoader::bad_count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return bad_messages_.size();
}

std::vector<Failure> PairLoader::bad_recordings() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return bad_messages_;
}

void PairLoader::make_pair(int64_t step, int64_t slot, Pending& out) {
  const int64_t b = options_.batch;
  const int64_t global = (step * options_.world + options_.rank) * b + slot;
  const PairSpec first = sampler_->pair(global);
  const int64_t n = sampler_->size();
  for (int64_t offset = 0; offset < n; ++offset) {
    const int64_t rec = offset == 0 ? first.recording : sampler_->recording_at(global, offset);
    if (is_bad(rec)) continue;
    const PairSpec spec = offset == 0 ? first : sampler_->pair_for(rec, first.seed);
    const Recording& r = sampler_->recordings()[rec];
    at::Tensor full;
    try {
      full = cache_.get(rec, r.audio);
    } catch (const Error& e) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (bad_.insert(rec).second) bad_messages_.push_back({r.where, FailureKind::unreadable, e.what()});
      if (static_cast<double>(bad_.size()) > options_.max_bad_fraction * static_cast<double>(n)) {
        throw Error("too many unreadable recordings (" + std::to_string(bad_.size()) + " of " + std::to_string(n) +
                    "; max_bad_fraction " + std::to_string(options_.max_bad_fraction) + "), first: " + bad_messages_.front().where + ": " + bad_messages_.front().reason);
      }
      continue;
    }
    Rng rng(mix_seed(spec.seed, 0x43524f50ULL));
    // audio::random_crop, with its start kept.
    const int64_t frames = full.size(1), positions = std::max<int64_t>(1, frames - options_.window_frames + 1);
    const int64_t start = audio::random_window_start(frames, options_.window_frames, rng);
    at::Tensor window = audio::cut_windows(full, {start}, options_.window_frames, pad_value_)[0].clone();
    if (options_.spec_augment) audio::spec_augment_(window, options_.spec_augment_config, rng);
    std::lock_guard<std::mutex> lock(mutex_);
    out.windows[slot] = window;
    out.texts[slot] = spec.source.empty() ? std::string() : r.texts.at(spec.source)[spec.text];
    out.sources[slot] = spec.source;
    out.recordings[slot] = rec;
    out.crop_starts[slot] = start;
    out.crop_positions[slot] = positions;
    return;
  }
  throw Error("no readable recording left in the training data");
}

void PairLoader::work() {
  torch::NoGradGuard no_grad;
  // One intra-op thread per worker (as PyTorch's DataLoader workers): otherwise every worker
  // runs its own OpenMP team next to the model's on the same cores, and all of them spin.
  // get_num_threads() first settles this thread's count from the global, so that the
  // set_num_threads(1) after it stays this thread's count when the constructor restores the
  // global.
  at::get_num_threads();
  at::set_num_threads(1);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++started_;
  }
  done_cv_.notify_all();
  const int64_t b = options_.batch;
  for (;;) {
    int64_t step, slot;
    Pending* target;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      work_cv_.wait(lock, [&] { return stop_ || next_sample_ / b < next_step_ + options_.prefetch_batches; });
      if (stop_) return;
      step = next_sample_ / b;
      slot = next_sample_ % b;
      ++next_sample_;
      Pending& p = pending_[step];  // std::map: the reference stays valid until next() erases it
      if (p.remaining == 0 && p.windows.empty()) {
        p.windows.resize(b);
        p.texts.resize(b);
        p.sources.resize(b);
        p.recordings.resize(b);
        p.crop_starts.resize(b);
        p.crop_positions.resize(b);
        p.remaining = b;
      }
      target = &p;
    }
    try {
      make_pair(step, slot, *target);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!error_) error_ = std::current_exception();
      stop_ = true;
      done_cv_.notify_all();
      work_cv_.notify_all();
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      --target->remaining;
    }
    done_cv_.notify_all();
  }
}

PairBatch PairLoader::next() {
  const auto t0 = std::chrono::steady_clock::now();
  Pending p;
  PairBatch out;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    done_cv_.wait(lock, [&] {
      if (error_) return true;
      auto it = pending_.find(next_step_);
      return it != pending_.end() && !it->second.windows.empty() && it->second.remaining == 0;
    });
    if (error_) std::rethrow_exception(error_);
    auto it = pending_.find(next_step_);
    p = std::move(it->second);
    pending_.erase(it);
    out.step = next_step_++;
  }
  work_cv_.notify_all();
  wait_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  out.windows = torch::stack(p.windows);
  out.texts = std::move(p.texts);
  out.recordings = std::move(p.recordings);
  out.sources = std::move(p.sources);
  out.crop_starts = std::move(p.crop_starts);
  out.crop_positions = std::move(p.crop_positions);
  return out;
}

}  // namespace mulan::data
