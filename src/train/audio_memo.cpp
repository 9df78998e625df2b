#include "train/audio_memo.h"

#include <vector>

#include "mulan/error.h"

namespace mulan::train {

bool audio_trunk_fixed(const TrainConfig& c) { return c.trunk_lr == 0 && !c.spec_augment; }

torch::Tensor AudioMemo::embed(model::AudioTowerImpl& tower, const data::PairBatch& batch, c10::Device device) {
  torch::Tensor pooled;
  {
    torch::NoGradGuard no_grad;
    pooled = trunk_outputs(tower, batch, device);
  }
  return tower.project(pooled);
}

torch::Tensor AudioMemo::trunk_outputs(model::AudioTowerImpl& tower, const data::PairBatch& batch, c10::Device device) {
  const auto n = static_cast<std::size_t>(batch.windows.size(0));
  if (batch.recordings.size() != n || batch.crop_starts.size() != n || batch.crop_positions.size() != n) {
    throw Error("audio memo: the batch does not say where each window was cut");
  }
  std::vector<torch::Tensor> rows(n);
  std::vector<int64_t> fresh;  // windows of long recordings, or past the memory: run together, not kept
  for (std::size_t i = 0; i < n; ++i) {
    const std::pair<int64_t, int64_t> key{batch.recordings[i], batch.crop_starts[i]};
    if (auto it = memo_.find(key); it != memo_.end()) {
      rows[i] = it->second;
      continue;
    }
    if (batch.crop_positions[i] > kMaxPositions || bytes_ >= max_bytes_) {
      fresh.push_back(static_cast<int64_t>(i));
      continue;
    }
    rows[i] = tower.pooled(batch.windows[static_cast<int64_t>(i)].unsqueeze(0).to(device))[0].clone();
    bytes_ += rows[i].numel() * static_cast<int64_t>(rows[i].element_size());
    memo_.emplace(key, rows[i]);
    ++embedded_;
  }
  if (!fresh.empty()) {
    const torch::Tensor index = torch::tensor(fresh, torch::kInt64);
    const torch::Tensor e = tower.pooled(batch.windows.index_select(0, index).to(device));
    for (std::size_t j = 0; j < fresh.size(); ++j) rows[static_cast<std::size_t>(fresh[j])] = e[static_cast<int64_t>(j)];
  }
  return torch::stack(rows);
}

}  // namespace mulan::train
