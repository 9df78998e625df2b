// Text queries from many request threads, embedded together: one worker thread takes every
// queued query (up to max_batch texts) into one forward pass. No artificial wait: while the
// model runs, the next batch gathers by itself, so a lone query costs one pass and a burst
// shares them. A bounded queue: over max_queue waiting queries, embed() throws Busy (HTTP 503).
#pragma once

#include <condition_variable>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "mulan/error.h"

namespace mulan {
class Context;
}

namespace mulan::serve {

class Busy : public Error {
 public:
  using Error::Error;
};

class TextBatcher {
 public:
  TextBatcher(std::shared_ptr<const Context> ctx, int max_batch, int max_queue);
  ~TextBatcher();  // finishes the queued queries, then stops
  TextBatcher(const TextBatcher&) = delete;
  TextBatcher& operator=(const TextBatcher&) = delete;

  // One unit-length row of embed_dim floats per text, in order. Throws Busy, or what the model threw.
  std::vector<std::vector<float>> embed(std::vector<std::string> texts);
  int depth() const;       // queries waiting
  int64_t passes() const;  // forward passes run so far

 private:
  struct Job {
    std::vector<std::string> texts;
    std::promise<std::vector<std::vector<float>>> done;
  };
  void run();

  std::shared_ptr<const Context> ctx_;
  int max_batch_, max_queue_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Job>> queue_;
  bool stopping_ = false;
  int64_t passes_ = 0;
  std::thread worker_;
};

}  // namespace mulan::serve
