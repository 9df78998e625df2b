#include "data/pair_sampler.h"

#include "mulan/error.h"
#include "mulan/random.h"

namespace mulan::data {

PairSampler::PairSampler(const std::vector<Recording>& recordings, const std::map<std::string, double>& ratio,
                         uint64_t seed, bool need_texts, int64_t pairs_per_step)
    : ratio_(ratio), seed_(seed) {
  for (const Recording& r : recordings) {
    bool usable = false;
    for (const auto& [source, texts] : r.texts) {
      auto w = ratio_.find(source);
      if (w != ratio_.end() && w->second > 0 && !texts.empty()) usable = true;
    }
    if (usable || !need_texts) {
      recordings_.push_back(r);
    } else {
      unusable_.push_back({r.where, FailureKind::empty, "no texts of a source with a positive weight in source_ratio"});
    }
  }
  if (recordings_.empty()) {
    throw Error(need_texts ? "no usable training pairs: no recording has a text of a source in source_ratio" : "no recordings");
  }
  if (pairs_per_step < 1) throw Error("pairs per step must be >= 1");
  if (size() < pairs_per_step) {
    throw Error("a step takes " + std::to_string(pairs_per_step) + " pairs (batch x processes) but there are only " +
                std::to_string(size()) + " usable training recordings: one would be drawn twice in a step, a positive and a " +
                "negative of itself (lower the batch)");
  }
  epoch_pairs_ = size() / pairs_per_step * pairs_per_step;
}

std::shared_ptr<const std::vector<int64_t>> PairSampler::permutation(int64_t epoch) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = perms_.find(epoch);
  if (it != perms_.end()) return it->second;
  std::vector<int64_t> p(recordings_.size());
  for (std::size_t i = 0; i < p.size(); ++i) p[i] = static_cast<int64_t>(i);
  Rng rng(mix_seed(seed_, 0x5045524dULL + static_cast<uint64_t>(epoch)));
  shuffle(rng, p);
  // Keep a few epochs: pairs of neighbouring epochs are in flight at once (shared pointers
  // keep an evicted one alive for whoever still reads it).
  while (perms_.size() >= 8) perms_.erase(perms_.begin());
  auto shared = std::make_shared<const std::vector<int64_t>>(std::move(p));
  perms_.emplace(epoch, shared);
  return shared;
}

int64_t PairSampler::recording_at(int64_t global_index, int64_t offset) const {
  const int64_t n = size();
  const int64_t epoch = global_index / epoch_pairs_, pos = global_index % epoch_pairs_;
  return (*permutation(epoch))[(pos + offset) % n];
}

PairSpec PairSampler::pair_for(int64_t recording, uint64_t seed) const {
  const Recording& r = recordings_[recording];
  PairSpec p;
  p.recording = recording;
  p.seed = seed;
  Rng rng(mix_seed(seed, 0x54455854ULL));
  double total = 0;
  for (const auto& [source, texts] : r.texts) {
    auto w = ratio_.find(source);
    if (w != ratio_.end() && w->second > 0) total += w->second;
  }
  if (total <= 0) return p;  // no text (need_texts false): source ""
  double x = rng.uniform() * total;
  for (const auto& [source, texts] : r.texts) {  // std::map: sources in a fixed order
    auto w = ratio_.find(source);
    if (w == ratio_.end() || w->second <= 0) continue;
    p.source = source;
    if (x < w->second) break;
    x -= w->second;
  }
  p.text = rng.uniform_int(0, static_cast<int64_t>(r.texts.at(p.source).size()) - 1);
  return p;
}

PairSpec PairSampler::pair(int64_t global_index) const {
  if (global_index < 0) throw Error("pair index must be >= 0");
  return pair_for(recording_at(global_index, 0), mix_seed(seed_, static_cast<uint64_t>(global_index)));
}

}  // namespace mulan::data
