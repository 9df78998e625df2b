#include "library/progress.h"

#include <cmath>
#include <cstdio>

namespace mulan::library {


Progress::Progress(std::function<void(const std::string&)> sink, int64_t total)
    : sink_(std::move(sink)), total_(total), start_(std::chrono::steady_clock::now()), last_(start_) {}

void Progress::done(int64_t files, int64_t failed) {
  if (!sink_) return;
  const auto now = std::chrono::steady_clock::now();
  if (files < total_ && now - last_ < std::chrono::seconds(1)) return;
  last_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(files) / elapsed : 0;
  char buf[256];
  std::snprintf(buf, sizeof buf, "index: %lld/%lld files embedded%s, %.1f files/s, %.0fx real time, %s %s",
                static_cast<long long>(files), static_cast<long long>(total_),
                failed > 0 ? (", " + std::to_string(failed) + " failed").c_str() : "", rate,
                elapsed > 0 ? audio_s_ / elapsed : 0.0, files < total_ ? "ETA" : "took",
                format_duration(files < total_ ? (rate > 0 ? static_cast<double>(total_ - files) / rate : 0) : elapsed).c_str());
  sink_(buf);
}

}  // namespace mulan::library
