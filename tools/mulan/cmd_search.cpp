// mulan search --model DIR --data MANIFEST [--split S] [--top K] QUERY...: text-to-music search
// over the recordings of a manifest (audio embeddings through the evaluation cache).
#include <torch/torch.h>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli_common.h"
#include "commands.h"
#include "mulan/context.h"
#include "eval/embedding_cache.h"
#include "eval/protocol_common.h"
#include "mulan/error.h"

namespace mulan::cli {

namespace {
struct SearchArgs {
  eval::ModelOptions model;
  std::string data, split;
  CacheArgs cache;
  bool json = false;
  int64_t top = 3;
  std::vector<std::string> queries;
};

void run_search(SearchArgs a) {
  a.model.cache_dir = a.cache.resolve();
  eval::EvalOutput scratch;
  const data::Manifest m = eval::read_eval_manifest(a.data, a.split, scratch);
  std::vector<std::string> skipped = scratch.problems;
  const eval::LoadedModel model = eval::load_model(a.model, /*need_text=*/true, /*need_audio=*/true);
  const eval::EmbeddedRows audio = eval::embed_rows(model, a.model, eval::pointers(m.rows));
  for (const Failure& f : audio.failed) skipped.push_back(f.text());
  print_skipped(skipped);
  if (audio.rows.empty()) throw Error(file_error(a.data, "no recording could be embedded"));
  const at::Tensor text = eval::embed_text_list(model, a.model, a.queries);
  for (size_t q = 0; q < a.queries.size(); ++q) {
    // Best first; equal scores keep manifest order.
    const std::vector<Hit> top = top_k(text[static_cast<int64_t>(q)], audio.embeddings, a.top);
    nlohmann::json hits = nlohmann::json::array();
    if (!a.json) std::cout << "\"" << a.queries[q] << "\"\n";
    for (int64_t i = 0; i < static_cast<int64_t>(top.size()); ++i) {
      const data::Recording& r = *audio.rows[static_cast<size_t>(top[static_cast<size_t>(i)].index)];
      const double s = top[static_cast<size_t>(i)].score;
      hits.push_back({{"id", r.id}, {"audio", r.audio}, {"score", s}, {"tags", r.tags}});
      if (!a.json) {
        std::string tags;
        for (const auto& t : r.tags) tags += (tags.empty() ? "" : ", ") + t;
        char buf[64];
        std::snprintf(buf, sizeof buf, "  %lld. %.3f  ", static_cast<long long>(i + 1), s);
        std::cout << buf << r.id << (tags.empty() ? "" : "  [" + tags + "]") << "\n";
      }
    }
    if (a.json) std::cout << nlohmann::json({{"query", a.queries[q]}, {"results", hits}}).dump() << "\n";
  }
  if (!audio.failed.empty() || !scratch.problems.empty()) throw Error("some recordings were left out (listed above)");
}
}  // namespace

void register_search(CLI::App& app) {
  auto* cmd = app.add_subcommand("search",
                                 "Text-to-music search: rank the recordings of a manifest by the cosine of their audio "
                                 "embedding and each query's text embedding; print the top K with their tags");
  auto a = std::make_shared<SearchArgs>();
  add_model_option(cmd, a->model.dir);
  cmd->add_option("--data", a->data, "Manifest of the recordings to search")->required();
  cmd->add_option("--split", a->split, "Only recordings of this split (default: all)");
  cmd->add_option("--top", a->top, "Results per query")->capture_default_str()->check(positive_number());
  add_cache_options(cmd, a->cache);
  add_device_option(cmd, a->model.device);
  cmd->add_flag("--json", a->json, "One JSON line per query instead of text");
  cmd->add_option("QUERY", a->queries, "Texts to search for")->required();
  cmd->callback([a] { run_search(*a); });
}

}  // namespace mulan::cli
