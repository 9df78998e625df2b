// mulan eval tagging|probe|retrieval|triplets: the paper's four evaluation protocols
// (include/mulan/eval.h); `mulan eval report` is registered on the same group elsewhere.
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli_common.h"
#include "commands.h"
#include "mulan/audio_embed.h"
#include "mulan/eval.h"
#include "mulan/eval.h"
#include "mulan/error.h"
#include "mulan/atomic_file.h"

namespace mulan::cli {

namespace {

struct CommonArgs {
  eval::ModelOptions model;
  CacheArgs cache;
  std::string out;
};

const char* kMetricsHelp =
    "Metrics: ROC-AUC and PR-AUC (average precision) exactly as sklearn's roc_auc_score and "
    "average_precision_score (ties share one threshold); a tag or query without a positive or without a negative "
    "is excluded and counted. R@K = the fraction of a query's targets in its top K, candidates ranked by descending "
    "cosine, ties broken by manifest order; median rank = median over queries of the first target's 1-based rank.\n";
const char* kAudioHelp =
    "Audio embeddings are cached in --cache DIR (default $MULAN_CACHE, else $XDG_CACHE_HOME/mulan, else "
    "~/.cache/mulan), keyed by model hash, absolute path, size and mtime. A recording that cannot be embedded or a "
    "bad manifest row is reported, left out, counted (n_failed, n_bad_rows), and the exit code is 1 after the "
    "results are written.\n";
const char* kOutputHelp =
    "Output: a Markdown table on stdout; --out FILE writes the result JSON (with the model's directory, name and "
    "SHA-256, the data, the date and the mulan version) atomically; --out - prints the JSON instead of the table, "
    "which then goes to stderr.";

void add_common(CLI::App* cmd, CommonArgs& a, bool audio) {
  add_model_option(cmd, a.model.dir);
  cmd->add_option("--model-name", a.model.name, "The model's name in the results (default: the directory's name)");
  cmd->add_option("--out", a.out, "Write the result JSON here (atomically); - prints it on stdout");
  add_device_option(cmd, a.model.device);
  cmd->add_option("--text-batch", a.model.text_batch, "Texts per forward pass")
      ->capture_default_str()
      ->check(positive_number());
  if (audio) {
    add_cache_options(cmd, a.cache);
    cmd->add_option("--batch", a.model.batch_windows, "Audio windows per forward pass")
        ->capture_default_str()
        ->check(positive_number());
    add_threads_option(cmd, a.model.decode_threads);
  }
  cmd->footer(std::string(audio ? kMetricsHelp : "") + (audio ? kAudioHelp : "") + kOutputHelp);
}

eval::ModelOptions resolve(const CommonArgs& a) {
  eval::ModelOptions m = a.model;
  m.mulan_version = MULAN_VERSION;
  m.cache_dir = a.cache.resolve();
  return m;
}

// Prints the table, writes the JSON, reports what was left out; exit 1 if anything was.
void finish(const eval::EvalOutput& out, const std::string& out_path) {
  const std::string json = out.result.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  print_skipped(out.problems);
  if (out_path == "-") {
    std::cerr << out.table;
    std::cout << json;
  } else {
    std::cout << out.table;
    if (!out_path.empty()) {
      write_file_atomic(out_path, json);
      std::cerr << "eval: wrote " << out_path << "\n";
    }
  }
  std::cout.flush();
  if (!out.problems.empty()) {
    throw Error(std::to_string(out.problems.size()) +
                " recordings or manifest rows were left out of the evaluation "
                "(listed above; n_failed and n_bad_rows in the JSON)");
  }
}

void register_tagging(CLI::App& eval) {
  auto* cmd = eval.add_subcommand(
      "tagging",
      "Zero-shot tagging: score(recording, tag) = cosine of the audio embedding and the text embedding of "
      "the prompt with the tag in place of {}; macro ROC-AUC and PR-AUC over the tags of TAGS.txt");
  auto a = std::make_shared<CommonArgs>();
  auto o = std::make_shared<eval::TaggingOptions>();
  add_common(cmd, *a, true);
  cmd->add_option("--data", o->manifest, "Manifest (JSON lines) of the recordings and their tags")->required();
  cmd->add_option("--tags", o->tags_file, "The tags to evaluate, one a line; manifest tags not listed are ignored")
      ->required();
  cmd->add_option("--split", o->split, "Only rows with this split (default: all rows)");
  cmd->add_option("--prompt", o->prompt, "Text template; every {} becomes the tag")->capture_default_str();
  cmd->add_option("--field", o->field, "Manifest field with a recording's tags: tags or labels")->capture_default_str();
  cmd->add_option("--dataset", o->dataset, "Data set name in the results (default: the manifest's folder name)");
  cmd->add_flag("--per-tag", o->per_tag, "Per-tag ROC-AUC, PR-AUC and positives (JSON \"tags\" and table rows)");
  cmd->callback([a, o] { finish(eval::run_tagging(resolve(*a), *o), a->out); });
}

void register_probe(CLI::App& eval) {
  auto* cmd = eval.add_subcommand(
      "probe",
      "Linear probe: a logistic regression per tag on the frozen audio embeddings (full-batch L-BFGS, "
      "deterministic), minimising mean BCE + l2/2 |w|^2 (sklearn's C = 1/(l2 N)); l2 is chosen from a grid "
      "by validation macro ROC-AUC (--val, else the train rows with split \"val\", else a seeded hold-out "
      "of train), then the probe is refitted; test macro ROC-AUC and mAP");
  auto a = std::make_shared<CommonArgs>();
  auto o = std::make_shared<eval::ProbeOptions>();
  add_common(cmd, *a, true);
  cmd->add_option("--train", o->train, "Training manifest")->required();
  cmd->add_option("--test", o->test, "Test manifest")->required();
  cmd->add_option("--val", o->val, "Validation manifest");
  cmd->add_option("--train-split", o->train_split,
                  "Training rows of this split only (default: rows whose split is not test, nor val without --val)");
  cmd->add_option("--test-split", o->test_split, "Test rows of this split only (default: all)");
  cmd->add_option("--tags", o->tags_file, "The tags to probe, one a line (default: every tag of the training rows)");
  cmd->add_option("--field", o->field, "Manifest field with a recording's tags: tags or labels")->capture_default_str();
  cmd->add_option("--l2", o->l2_grid, "Candidate L2 strengths")->capture_default_str()->delimiter(',');
  cmd->add_option("--holdout", o->holdout, "Fraction of train held out when there is no validation data")
      ->capture_default_str();
  cmd->add_option("--seed", o->seed, "Seed of the hold-out")->capture_default_str();
  cmd->add_option("--dataset", o->dataset, "Data set name in the results (default: the test manifest's folder name)");
  cmd->add_flag("--per-tag", o->per_tag, "Per-tag test ROC-AUC and AP");
  cmd->callback([a, o] { finish(eval::run_probe(resolve(*a), *o), a->out); });
}

void register_retrieval(CLI::App& eval) {
  auto* cmd =
      eval.add_subcommand("retrieval",
                          "Text-to-music retrieval: each query's text ranks every recording of the manifest by cosine; "
                          "ROC-AUC and AP per query, averaged (as the paper), R@1, R@5, R@10 and the median rank");
  auto a = std::make_shared<CommonArgs>();
  auto o = std::make_shared<eval::RetrievalOptions>();
  add_common(cmd, *a, true);
  cmd->add_option("--data", o->manifest, "Manifest of the candidate recordings")->required();
  cmd->add_option("--queries", o->queries,
                  "Queries, JSON lines {\"id\", \"text\", \"targets\": [recording ids]}; "
                  "targets not among the evaluated recordings are dropped and counted")
      ->required();
  cmd->add_option("--split", o->split, "Only candidates with this split (default: all rows)");
  cmd->add_option("--dataset", o->dataset, "Data set name in the results (default: the manifest's folder name)");
  cmd->add_flag("--per-query", o->per_query, "Each query's metrics in the JSON (\"queries\")");
  cmd->callback([a, o] { finish(eval::run_retrieval(resolve(*a), *o), a->out); });
}

void register_triplets(CLI::App& eval) {
  auto* cmd =
      eval.add_subcommand("triplets",
                          "Text triplet accuracy: a triplet is correct when cos(anchor, pos) > cos(anchor, neg); a tie "
                          "counts as wrong (n_ties in the JSON)");
  auto a = std::make_shared<CommonArgs>();
  auto o = std::make_shared<eval::TripletOptions>();
  add_common(cmd, *a, false);
  cmd->add_option("--triplets", o->triplets,
                  "CSV (RFC 4180: quoted fields may hold commas, \"\" and newlines) with "
                  "a header naming anchor, pos and neg")
      ->required();
  cmd->add_option("--dataset", o->dataset, "Data set name in the results (default: the CSV's folder name)");
  cmd->callback([a, o] { finish(eval::run_triplets(resolve(*a), *o), a->out); });
}

}  // namespace

void register_eval(CLI::App& app) {
  CLI::App* eval = eval_command(app);  // the group, shared with register_eval_report
  register_tagging(*eval);
  register_probe(*eval);
  register_retrieval(*eval);
  register_triplets(*eval);
}

}  // namespace mulan::cli
