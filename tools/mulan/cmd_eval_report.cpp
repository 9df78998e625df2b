// mulan eval report RUN.json... [--out TABLE.md]: the paper-shaped tables of a set of results.
#include <iostream>

#include "commands.h"
#include "mulan/eval_report.h"
#include "mulan/atomic_file.h"

namespace mulan::cli {

CLI::App* eval_command(CLI::App& app) {
  const auto found = app.get_subcommands([](const CLI::App* s) { return s->get_name() == "eval"; });
  if (!found.empty()) return found.front();
  auto* cmd = app.add_subcommand("eval", "Evaluate models as the paper does, and tabulate the results");
  cmd->require_subcommand(1);
  return cmd;
}

void register_eval_report(CLI::App& app) {
  auto* cmd = eval_command(app)->add_subcommand(
      "report", "Markdown tables shaped like the paper's from result files of 'mulan eval tagging|probe|retrieval|"
                "triplets': one table per protocol, rows = models, columns = data sets (MTAT-50, MTAT-188, Gen-25, "
                "Mu-141, then the rest alphabetically); of duplicates the newest date wins. Printed to stdout");
  auto files = std::make_shared<std::vector<std::string>>();
  auto out = std::make_shared<std::string>();
  cmd->add_option("RUN", *files, "Result JSON files")->required();
  cmd->add_option("--out", *out, "Also write the tables to this Markdown file");
  cmd->callback([files, out] {
    std::vector<eval::RunResult> runs;
    for (const std::string& f : *files) runs.push_back(eval::read_run(f));
    const eval::Report report = eval::make_report(runs);
    if (!out->empty()) write_file_atomic(*out, report.markdown);
    std::cout << report.markdown;
  });
}

}  // namespace mulan::cli
