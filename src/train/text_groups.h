// The text tower over a batch of texts of mixed lengths, in a few forward passes of texts of
// similar length rather than one padded to the longest. A batch holding one long description
// (LF) and many short titles or tags (SF, PL, ASET) otherwise spends most of the tower's time
// on padding. Every row of the tower is independent of the others (LayerNorm per token, no
// batch statistics), so the result equals one padded pass up to float rounding, gradients
// included.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <string>
#include <vector>

namespace mulan::text {
class Tokenizer;
}
namespace mulan::model {
struct TextTowerImpl;
}

namespace mulan::train {

// The split of lengths sorted ascending into at most max_groups contiguous runs that pads
// least: each run costs its size times its longest member plus `overhead` tokens per pass.
// Returns the end index of each run (the last one is lengths.size()).
std::vector<size_t> length_groups(const std::vector<int64_t>& sorted_lengths, int max_groups, int64_t overhead);

// texts -> [N, d], row i the embedding of texts[i]; at most max_groups passes (1: one padded pass).
at::Tensor text_forward_grouped(model::TextTowerImpl& tower, const text::Tokenizer& tokenizer,
                                const std::vector<std::string>& texts, c10::Device device, int max_groups = 4);

}  // namespace mulan::train
