#include "data/spectrogram_cache.h"

#include <torch/torch.h>

#include "data/shards.h"

namespace mulan::data {

SpectrogramCache::SpectrogramCache(const audio::FrontendConfig& frontend, int64_t max_bytes)
    : frontend_(frontend), max_bytes_(max_bytes) {}

at::Tensor SpectrogramCache::get(int64_t key, const std::string& path) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = entries_.find(key);
    if (it != entries_.end()) {
      order_.splice(order_.begin(), order_, it->second.pos);
      ++hits_;
      return it->second.spec;
    }
    ++misses_;
  }
  // Decode outside the lock: other threads go on with other recordings meanwhile.
  std::vector<float> pcm = load_audio(path);
  const auto frame = static_cast<std::size_t>(frontend_.config().frame_length());
  if (pcm.size() < frame) pcm.resize(frame, 0.0f);
  at::Tensor wave = torch::from_blob(pcm.data(), {static_cast<int64_t>(pcm.size())}, torch::kFloat32);
  at::Tensor spec;
  {
    torch::NoGradGuard no_grad;
    spec = frontend_(wave).contiguous();
  }
  const int64_t bytes = spec.numel() * static_cast<int64_t>(sizeof(float));
  std::lock_guard<std::mutex> lock(mutex_);
  if (bytes <= max_bytes_ && !entries_.count(key)) {
    while (bytes_ + bytes > max_bytes_ && !order_.empty()) {
      auto victim = entries_.find(order_.back());
      bytes_ -= victim->second.spec.numel() * static_cast<int64_t>(sizeof(float));
      entries_.erase(victim);
      order_.pop_back();
    }
    order_.push_front(key);
    entries_[key] = Entry{spec, order_.begin()};
    bytes_ += bytes;
  }
  return spec;
}

int64_t SpectrogramCache::hits() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return hits_;
}

int64_t SpectrogramCache::misses() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return misses_;
}

}  // namespace mulan::data
