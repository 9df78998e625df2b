// The LF filter of mining (spec 3; docs/mining.md): a text tower fine-tuned with a binary head
// on sentences labelled as about the music or not. `mulan mine train-lf-filter` makes one;
// `mulan mine --lf-filter DIR` keeps the LF sentences it scores at or above its threshold.
//
// An LF filter directory: a text-only model directory (config.json, model.safetensors,
// vocab.txt) with the fine-tuned tower, lf_head.safetensors ("weight" [1, hidden], "bias" [1]:
// a logit from BERT's [CLS] vector) and lf-filter.json (threshold, held-out metrics, recipe).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mulan/error.h"

namespace mulan::mine {

struct LfTrainOptions {
  std::string model_dir;      // a model directory with a text tower (e.g. a Hugging Face BERT imported)
  std::string data;           // sentences: JSON Lines of {"text": ..., "music": true|false}
  std::string out_dir;        // the LF filter directory (created)
  double val_fraction = 0.2;  // held out, drawn from the seed, stratified by label
  int64_t steps = 300;
  int64_t batch = 32;
  double lr = 3e-4;           // AdamW peak rate (linear warm-up over the first 10%, then linear decay)
  double weight_decay = 0.01;
  uint64_t seed = 0;
  double threshold = 0.5;     // written into lf-filter.json: what mine keeps by default
  std::function<void(const std::string&)> progress;
  void validate() const;
};

struct LfTrainSummary {
  int64_t train = 0, val = 0, bad_rows = 0;
  double train_accuracy = 0;
  double val_accuracy = 0;  // at the threshold
  double val_roc_auc = 0;
  std::vector<Failure> bad;  // rows skipped, named FILE:LINE
};

LfTrainSummary train_lf_filter(const LfTrainOptions& options);

class LfFilter {
 public:
  explicit LfFilter(const std::string& dir);  // throws naming the directory and the file
  ~LfFilter();
  LfFilter(LfFilter&&) noexcept;
  LfFilter& operator=(LfFilter&&) noexcept;
  // The probability that each sentence is about the music, in input order.
  std::vector<float> probabilities(const std::vector<std::string>& sentences) const;
  double threshold() const;
  const std::string& dir() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mulan::mine
