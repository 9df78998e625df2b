#include "train/run_log.h"

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "mulan/error.h"
#include "mulan/atomic_file.h"

namespace mulan::train {

RunLog::RunLog(const std::string& path, int64_t resume_step, bool progress) : path_(path), progress_(progress) {
  if (path.empty()) return;  // a process that does not report (data-parallel ranks but 0)
  if (resume_step >= 0 && std::filesystem::exists(path)) {
    std::ifstream in(path);
    std::string kept, line;
    while (std::getline(in, line)) {
      try {
        const nlohmann::json row = nlohmann::json::parse(line);
        if (row.value("step", int64_t{0}) > resume_step) continue;
      } catch (const nlohmann::json::exception&) {
        continue;  // a line cut by a crash
      }
      kept += line + "\n";
    }
    write_file_atomic(path, kept);
  }
  out_.open(path, resume_step >= 0 ? std::ios::app : std::ios::trunc);
  if (!out_) throw Error(file_error(path, "cannot open for writing"));
}

void RunLog::write(const nlohmann::json& row) {
  if (path_.empty()) return;
  out_ << row.dump() << "\n";
  out_.flush();
  if (!out_) throw Error(file_error(path_, "write failed"));
}


void RunLog::progress(int64_t step, int64_t steps, double loss, std::optional<double> tau, double lr, double pairs_per_s,
                      double data_wait, double eta_s) {
  if (!progress_) return;
  char tau_part[32] = "";
  if (tau) std::snprintf(tau_part, sizeof tau_part, "  tau %.4f", *tau);
  char buf[256];
  std::snprintf(buf, sizeof buf, "\rstep %lld/%lld  loss %.4f%s  lr %.2e  %.1f pairs/s  data-wait %.0f%%  ETA %s ",
                static_cast<long long>(step), static_cast<long long>(steps), loss, tau_part, lr, pairs_per_s, 100.0 * data_wait,
                format_duration(eta_s).c_str());
  std::cerr << buf << std::flush;
  line_open_ = true;
}

void RunLog::end_progress() {
  if (line_open_) std::cerr << "\n";
  line_open_ = false;
}

void RunLog::note(const std::string& line) {
  end_progress();
  std::cerr << line << "\n";
}

}  // namespace mulan::train
