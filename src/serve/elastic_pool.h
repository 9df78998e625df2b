// The HTTP server's worker threads: `core` of them to start with, one more whenever a connection
// arrives and none is idle, up to `max`; past that, connections wait in order. A fixed pool
// would let a few hundred idle keep-alive or slow clients hold every worker until their read
// timeout while /healthz waits behind them; here each gets a thread (parked in poll, cheap) and
// the model's own queue (TextBatcher) bounds the expensive work.
#pragma once

#include <httplib.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace mulan::serve {

class ElasticPool : public httplib::TaskQueue {
 public:
  ElasticPool(std::size_t core, std::size_t max) : max_(max) {
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < core; ++i) spawn();
  }
  ~ElasticPool() override = default;

  void enqueue(std::function<void()> fn) override {
    {
      std::lock_guard lock(mutex_);
      jobs_.push_back(std::move(fn));
      if (idle_ < jobs_.size() && threads_.size() < max_) spawn();
    }
    cv_.notify_one();
  }

  // Runs every queued job, then joins the threads (in-flight requests finish).
  void shutdown() override {
    {
      std::lock_guard lock(mutex_);
      shutdown_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }

 private:
  void spawn() {  // with mutex_ held
    ++idle_;
    threads_.emplace_back([this] {
      for (;;) {
        std::function<void()> job;
        {
          std::unique_lock lock(mutex_);
          cv_.wait(lock, [&] { return shutdown_ || !jobs_.empty(); });
          if (jobs_.empty()) return;
          job = std::move(jobs_.front());
          jobs_.pop_front();
          --idle_;
        }
        job();
        std::lock_guard lock(mutex_);
        ++idle_;
      }
    });
  }

  std::size_t max_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> threads_;
  std::size_t idle_ = 0;
  bool shutdown_ = false;
};

}  // namespace mulan::serve
