// `mulan pretrain-tagger`: AudioSet-style pre-training of the audio tower (spec 1.2): the
// trunk and the tagger head ("audio.tagger.") learn a multi-label classifier, a sigmoid and a
// binary cross-entropy per class, from the manifest's "labels". The contrastive stage then
// starts from RUN_DIR/model (its tagger head is ignored there).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "mulan/train.h"

namespace mulan::train {

struct TaggerRun {
  TrainRun base;           // model, data, val, out, resume, stop_at, device, progress, config
  std::string labels;      // LABELS.txt: one label a line; line i is class i (audio.tagger_classes lines)
  // When not empty, only these labels (each a line of `labels`) enter the loss; the others'
  // head rows get no gradient. A curriculum: a hard label learnt alone first, then a second run
  // from this one's model on every label (issue 18). Validation still scores every label.
  std::vector<std::string> learn;
};

struct TaggerSummary {
  int64_t step = 0;
  double last_loss = 0;
  double val_loss = -1;     // mean BCE per class and example
  double val_roc_auc = -1;  // macro over labels with positives and negatives
  double val_map = -1;      // macro average precision
  // ROC-AUC of each label on the validation split, in the labels file's order; labels with no
  // positive or no negative there are left out.
  std::vector<std::pair<std::string, double>> val_roc_auc_per_label;
  double pairs_per_s = 0;     // recordings per second (all processes) over this start
};

TaggerSummary pretrain_tagger(const TaggerRun& run);

}  // namespace mulan::train
