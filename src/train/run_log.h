// What a run reports: RUN_DIR/metrics.jsonl (one JSON object per logged step, flushed line by
// line) and, on a terminal, a progress line rewritten in place.
#pragma once

#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "util/time_text.h"

namespace mulan::train {

class RunLog {
 public:
  // Opens RUN_DIR/metrics.jsonl for appending. resume_step >= 0 first drops the rows of steps
  // after it (they belong to work the checkpoint does not hold); < 0 starts a new file. An
  // empty path writes nothing (data-parallel processes other than rank 0).
  RunLog(const std::string& path, int64_t resume_step, bool progress);
  void write(const nlohmann::json& row);
  // "step 120/1000  loss 2.345  tau 0.068  lr 2.1e-04  58.2 pairs/s  data-wait 3%  ETA 3m12s"
  // (no tau part for a run without a temperature, the tagger's)
  void progress(int64_t step, int64_t steps, double loss, std::optional<double> tau, double lr, double pairs_per_s,
                double data_wait, double eta_s);
  void end_progress();  // ends the progress line (before other output)
  // Prints a line on stderr (after ending the progress line).
  void note(const std::string& line);

 private:
  std::string path_;
  std::ofstream out_;
  bool progress_;
  bool line_open_ = false;
};

using util::format_duration;  // "3m12s", "1h05m", "42s" (util/time_text.h)

}  // namespace mulan::train
