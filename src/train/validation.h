// Validation during training: fixed pairs (one a recording: its middle window and a text drawn
// once by the source ratio from the run's seed), the loss over them in batches, and
// text-to-audio retrieval inside the set (each text's target is its own recording).
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <map>
#include <string>
#include <vector>

#include "mulan/manifest.h"
#include "mulan/frontend.h"
#include "train/loss.h"

namespace mulan::text {
class Tokenizer;
}
namespace mulan::model {
struct MulanModelImpl;
struct AudioTowerImpl;
}

namespace mulan::train {

// The middle window of each recording ([K, F, T] for the K readable ones, padded when short),
// the indices of those K, and "FILE:LINE: reason" for the unreadable ones.
struct MiddleWindows {
  at::Tensor windows;
  std::vector<int64_t> kept;
  std::vector<Failure> bad;  // recordings that could not be read (where: "FILE:LINE")
};
MiddleWindows middle_windows(const std::vector<data::Recording>& recordings, const audio::FrontendConfig& frontend,
                             int64_t window_frames);

// The tagger head's logits of windows [N, F, T], `batch` windows per pass on device, without
// gradients -> [N, classes] float32 on the CPU. The caller sets the tower's mode.
at::Tensor tag_logits_in_batches(model::AudioTowerImpl& tower, const at::Tensor& windows, int64_t batch, c10::Device device);

struct ValidationSet {
  at::Tensor windows;              // [N, F, T]
  std::vector<std::string> texts;  // N
  std::vector<Failure> bad;        // recordings that could not be read (where: "FILE:LINE")
};

ValidationSet make_validation_set(const std::vector<data::Recording>& recordings,
                                  const std::map<std::string, double>& source_ratio, uint64_t seed,
                                  const audio::FrontendConfig& frontend, int64_t window_frames);

struct ValidationResult {
  double loss = 0;        // mean contrastive loss over batches of `batch` pairs
  double chance = 0;      // the loss of an uninformed model at that batch size
  double r_at_10 = 0;     // fraction of texts whose recording ranks in the top 10
  double map = 0;         // mean average precision (one target: mean of 1 / rank)
  double median_rank = 0;
  int64_t pairs = 0;
};

// Ranks as src/metrics/metrics.h defines them (descending score, ties broken by recording order).
ValidationResult run_validation(model::MulanModelImpl& net, const text::Tokenizer& tokenizer, const ValidationSet& set,
                                int64_t batch, LossKind loss, double tau_min, c10::Device device);

}  // namespace mulan::train
