// mulan report RUN_DIR [--out report.html] [--eval RESULT.json ...]: one self-contained HTML page
// of a training run (src/train/run_report.h); prints the page's path.
#include <filesystem>
#include <iostream>

#include "commands.h"
#include "mulan/train_report.h"
#include "mulan/atomic_file.h"

namespace mulan::cli {

void register_report(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "report", "Write one HTML page of a training run (mulan train or pretrain-tagger): its metrics.jsonl over the steps as "
                "charts (loss, validation metrics, temperature, learning rate, throughput, data wait), its settings and, with "
                "--eval, evaluation results with per-tag ROC-AUC. Self-contained: it opens offline. Prints the page's path");
  auto run_dir = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto evals = std::make_shared<std::vector<std::string>>();
  cmd->add_option("RUN_DIR", *run_dir, "The run directory (--out of mulan train or pretrain-tagger)")->required();
  cmd->add_option("--out", *out, "The page to write (default RUN_DIR/report.html)");
  cmd->add_option("--eval", *evals,
                  "Result JSON files of mulan eval to show (tagging with --per-tag: a per-tag ROC-AUC chart); repeat the flag "
                  "or list several after it");
  cmd->callback([run_dir, out, evals] {
    const std::string page = train::make_run_report({*run_dir, *evals});
    const std::string path = out->empty() ? (std::filesystem::path(*run_dir) / "report.html").string() : *out;
    write_file_atomic(path, page);
    std::cout << path << "\n";
  });
}

}  // namespace mulan::cli
