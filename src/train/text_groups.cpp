#include "train/text_groups.h"

#include <torch/torch.h>

#include <algorithm>
#include <limits>
#include <numeric>

#include "model/mulan_model.h"
#include "mulan/error.h"
#include "mulan/tokenizer.h"

namespace mulan::train {

std::vector<size_t> length_groups(const std::vector<int64_t>& sorted_lengths, int max_groups, int64_t overhead) {
  const size_t n = sorted_lengths.size();
  if (n == 0) return {};
  if (max_groups < 1) throw Error("length_groups: max_groups must be >= 1");
  const auto groups = std::min(static_cast<size_t>(max_groups), n);
  constexpr int64_t kInf = std::numeric_limits<int64_t>::max() / 4;
  // best[g][j]: the least cost of the first j lengths in g runs; from[g][j]: where the last run starts.
  std::vector<std::vector<int64_t>> best(groups + 1, std::vector<int64_t>(n + 1, kInf));
  std::vector<std::vector<size_t>> from(groups + 1, std::vector<size_t>(n + 1, 0));
  best[0][0] = 0;
  for (size_t g = 1; g <= groups; ++g) {
    for (size_t j = 1; j <= n; ++j) {
      for (size_t i = g - 1; i < j; ++i) {
        if (best[g - 1][i] == kInf) continue;
        const int64_t cost = best[g - 1][i] + static_cast<int64_t>(j - i) * sorted_lengths[j - 1] + overhead;
        if (cost < best[g][j]) best[g][j] = cost, from[g][j] = i;
      }
    }
  }
  size_t g_best = 1;
  for (size_t g = 2; g <= groups; ++g)
    if (best[g][n] < best[g_best][n]) g_best = g;
  std::vector<size_t> ends;
  for (size_t g = g_best, j = n; g > 0; j = from[g][j], --g) ends.push_back(j);
  std::reverse(ends.begin(), ends.end());
  return ends;
}

at::Tensor text_forward_grouped(model::TextTowerImpl& tower, const text::Tokenizer& tokenizer,
                                const std::vector<std::string>& texts, c10::Device device, int max_groups) {
  const size_t n = texts.size();
  if (n == 0) throw Error("text_forward_grouped: no texts");
  std::vector<std::vector<int64_t>> ids(n);
  for (size_t i = 0; i < n; ++i) ids[i] = tokenizer.encode(texts[i]);
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ids[a].size() < ids[b].size(); });
  std::vector<int64_t> lengths(n);
  for (size_t k = 0; k < n; ++k) lengths[k] = static_cast<int64_t>(ids[order[k]].size());
  // A pass's fixed work (launches, the projection) is counted as one more row of the longest text.
  const std::vector<size_t> ends = length_groups(lengths, max_groups, /*overhead=*/lengths.back());

  std::vector<at::Tensor> parts;
  size_t start = 0;
  for (size_t end : ends) {
    const auto rows = static_cast<int64_t>(end - start), width = lengths[end - 1];
    std::vector<int64_t> id(static_cast<size_t>(rows * width), tokenizer.pad_id()), mask(id.size(), 0);
    for (int64_t r = 0; r < rows; ++r) {
      const std::vector<int64_t>& v = ids[order[start + static_cast<size_t>(r)]];
      const auto row = static_cast<size_t>(r * width);
      std::copy(v.begin(), v.end(), id.begin() + static_cast<std::ptrdiff_t>(row));
      std::fill_n(mask.begin() + static_cast<std::ptrdiff_t>(row), v.size(), 1);
    }
    const auto as_tensor = [&](const std::vector<int64_t>& x) {
      return torch::tensor(x, torch::kInt64).view({rows, width}).to(device);
    };
    parts.push_back(tower.forward(as_tensor(id), as_tensor(mask)));  // [rows, d]
    start = end;
  }
  // Back to the caller's order: row order[k] of the output is row k of the sorted passes.
  std::vector<int64_t> inverse(n);
  for (size_t k = 0; k < n; ++k) inverse[order[k]] = static_cast<int64_t>(k);
  const at::Tensor sorted = parts.size() == 1 ? parts[0] : torch::cat(parts);
  return sorted.index_select(0, torch::tensor(inverse, torch::kInt64).to(sorted.device()));
}

}  // namespace mulan::train
