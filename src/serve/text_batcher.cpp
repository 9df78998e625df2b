#include "serve/text_batcher.h"

#include <ATen/ATen.h>

#include "mulan/context.h"

namespace mulan::serve {

TextBatcher::TextBatcher(std::shared_ptr<const Context> ctx, int max_batch, int max_queue)
    : ctx_(std::move(ctx)), max_batch_(max_batch), max_queue_(max_queue), worker_([this] { run(); }) {}

TextBatcher::~TextBatcher() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  worker_.join();
}

int TextBatcher::depth() const {
  std::lock_guard lock(mutex_);
  return static_cast<int>(queue_.size());
}

int64_t TextBatcher::passes() const {
  std::lock_guard lock(mutex_);
  return passes_;
}

std::vector<std::vector<float>> TextBatcher::embed(std::vector<std::string> texts) {
  auto job = std::make_unique<Job>();
  job->texts = std::move(texts);
  auto result = job->done.get_future();
  {
    std::lock_guard lock(mutex_);
    if (static_cast<int>(queue_.size()) >= max_queue_) throw Busy("server busy: too many queries waiting");
    queue_.push_back(std::move(job));
  }
  cv_.notify_one();
  return result.get();
}

void TextBatcher::run() {
  for (;;) {
    std::vector<std::unique_ptr<Job>> jobs;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      std::size_t texts = 0;
      while (!queue_.empty() && (jobs.empty() || texts + queue_.front()->texts.size() <= static_cast<std::size_t>(max_batch_))) {
        texts += queue_.front()->texts.size();
        jobs.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      ++passes_;
    }
    std::vector<std::string> all;
    for (const auto& j : jobs) all.insert(all.end(), j->texts.begin(), j->texts.end());
    try {
      const at::Tensor e = ctx_->embed_texts(all, max_batch_).contiguous();
      const int64_t d = e.size(1);
      const float* p = e.data_ptr<float>();
      std::size_t row = 0;
      for (auto& j : jobs) {
        std::vector<std::vector<float>> rows;
        for (std::size_t i = 0; i < j->texts.size(); ++i, ++row) rows.emplace_back(p + row * d, p + (row + 1) * d);
        j->done.set_value(std::move(rows));
      }
    } catch (...) {
      for (auto& j : jobs) j->done.set_exception(std::current_exception());
    }
  }
}

}  // namespace mulan::serve
