// A frozen audio trunk's features, computed once per window. In `mulan train` with the audio
// trunk at rate 0 (no gradients, evaluation mode) and no SpecAugment, a window gives the same
// pooled trunk output at every step; the trunk's forward pass, most of a step's cost, then runs
// once per window instead of once per step, and only the projection (learnt or held) runs at
// every step.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <utility>

#include "data/pair_loader.h"
#include "model/audio_tower.h"
#include "mulan/train_config.h"

namespace mulan::train {

// True when the audio trunk neither learns nor sees augmented input: its output depends on the
// window alone.
bool audio_trunk_fixed(const TrainConfig& c);

class AudioMemo {
 public:
  // A recording that allows more first frames than this is cut somewhere new nearly every time:
  // its windows run through the trunk with their batch at every step, not kept.
  static constexpr int64_t kMaxPositions = 16;

  // Keeps at most max_bytes of trunk outputs (mulan train gives it cache_mb); past that, new
  // windows run through the trunk with their batch at every step.
  explicit AudioMemo(int64_t max_bytes) : max_bytes_(max_bytes) {}

  // The batch's audio embeddings, [B, D] on device: the projection (with autograd when it
  // learns) of the trunk's pooled output. A window met before (same recording, same first frame)
  // reuses its trunk output; a new one goes through the trunk alone, a batch of 1, so that its
  // value does not depend on the batch it first came in and a resumed run uses exactly the
  // numbers an uninterrupted one would.
  torch::Tensor embed(model::AudioTowerImpl& tower, const data::PairBatch& batch, c10::Device device);

  int64_t embedded() const { return embedded_; }

 private:
  torch::Tensor trunk_outputs(model::AudioTowerImpl& tower, const data::PairBatch& batch, c10::Device device);  // [B, pooled]
  std::map<std::pair<int64_t, int64_t>, torch::Tensor> memo_;  // (recording, first frame) -> [pooled]
  int64_t max_bytes_, bytes_ = 0;
  int64_t embedded_ = 0;  // windows run through the trunk alone and kept
};

}  // namespace mulan::train
