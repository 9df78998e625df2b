#include "synth/render_pool.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace mulan::synth {

void render_in_parallel(int n, int jobs, const std::string& soundfont, int sample_rate,
                        const std::function<void(Renderer&, int)>& item, const std::function<void(int, int)>& progress) {
  std::atomic<int> next{0}, done{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  std::mutex mu;
  std::condition_variable cv;
  const auto worker = [&] {
    try {
      RenderOptions ro;
      ro.sample_rate = sample_rate;
      Renderer renderer(soundfont, ro);
      for (int i = next++; i < n && !failed; i = next++) {
        item(renderer, i);
        ++done;
        cv.notify_one();
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(mu);
      if (!error) error = std::current_exception();
      failed = true;
      cv.notify_one();
    }
  };
  std::vector<std::thread> threads;
  for (int j = 0; j < jobs; ++j) threads.emplace_back(worker);
  {
    std::unique_lock<std::mutex> lock(mu);
    while (done < n && !failed) {
      cv.wait_for(lock, std::chrono::milliseconds(200));
      if (progress) progress(done, n);
    }
  }
  for (auto& t : threads) t.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace mulan::synth
