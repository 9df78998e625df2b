// SpecAugment (Park et al., 2019): frequency and time masks on training spectrograms.
#pragma once

#include <ATen/core/Tensor.h>

#include "mulan/random.h"

namespace mulan::audio {

struct SpecAugmentConfig {
  int freq_masks = 2;    // frequency masks per example
  int freq_width = 8;    // widest frequency mask, mel bins (spec: 8 for F = 64, 16 for F = 128)
  int time_masks = 2;    // time masks per example
  int time_width = 100;  // widest time mask, frames

  // The spec's defaults for a front end with n_mels channels.
  static SpecAugmentConfig for_mels(int n_mels);
  void validate() const;  // throws mulan::Error naming the field
};

// spec: [F, T] or [B, F, T], changed in place. Each example gets its own masks: a width drawn
// uniformly in [0, max width], a start uniformly where the mask fits (as torchaudio's
// FrequencyMasking and TimeMasking). Masked cells take the example's mean value, so a mask
// hides information without adding an out-of-range value. Runs on the tensor's device.
void spec_augment_(at::Tensor& spec, const SpecAugmentConfig& config, Rng& rng);

}  // namespace mulan::audio
