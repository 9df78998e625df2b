// Progress of a long build, one line at a time: files done of all, failures, the rate and an ETA,
// at most once a second (and at the end).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "util/time_text.h"

namespace mulan::library {

class Progress {
 public:
  Progress(std::function<void(const std::string&)> sink, int64_t total);
  void add_audio(double seconds) { audio_s_ += seconds; }
  void done(int64_t files, int64_t failed);

 private:
  std::function<void(const std::string&)> sink_;
  int64_t total_;
  double audio_s_ = 0;
  std::chrono::steady_clock::time_point start_, last_;
};

using util::format_duration;  // util/time_text.h

}  // namespace mulan::library
