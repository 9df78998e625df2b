// Cutting a recording's spectrogram into model windows (docs/mulan-spec.md 1.1).
//
// Inference is deterministic: consecutive windows from frame 0; when the recording is longer
// than one window and does not divide evenly, the last window is aligned to the end (it
// overlaps the one before); a recording shorter than one window is padded. Training takes one
// random window per recording, drawn from a seeded Rng.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "mulan/random.h"

namespace mulan::audio {

// Start frames of the inference windows of a spectrogram of n_frames frames.
std::vector<int64_t> inference_window_starts(int64_t n_frames, int64_t window_frames);

// spec: [F, T] -> [K, F, window_frames], one slice per start; frames past the end of the
// spectrogram take pad_value (the front end's silence value).
at::Tensor cut_windows(const at::Tensor& spec, const std::vector<int64_t>& starts,
                       int64_t window_frames, float pad_value);

// The training crop: a uniformly drawn start in [0, max(0, n_frames - window_frames)].
int64_t random_window_start(int64_t n_frames, int64_t window_frames, Rng& rng);

// spec: [F, T] -> [F, window_frames]: a random window, padded when the recording is short.
at::Tensor random_crop(const at::Tensor& spec, int64_t window_frames, float pad_value, Rng& rng);

}  // namespace mulan::audio
