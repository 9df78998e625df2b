// mulan search --model DIR --data MANIFEST [--split S] [--top K] QUERY...: text-to-music search
// over the recordings of a manifest (audio embeddings through the evaluation cache).
#include <torch/torch.h>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli_common.h"
#include "commands.h"
#include "mulan/error.h"
#include "mulan/eval.h"

namespace mulan::cli {

namespace {
struct SearchArgs {
  eval::ModelOptions model;
  eval::SearchOptions search;
  CacheArgs cache;
  bool json = false;
  std::vector<std::string> queries;
};

void run_search(SearchArgs a) {
  a.model.cache_dir = a.cache.resolve();
  const eval::SearchOutput out = eval::search_manifest(a.model, a.search, a.queries);
  print_skipped(out.problems);
  if (out.searched == 0) throw Error(file_error(a.search.manifest, "no recording could be embedded"));
  for (size_t q = 0; q < a.queries.size(); ++q) {
    nlohmann::json hits = nlohmann::json::array();
    if (!a.json) std::cout << "\"" << a.queries[q] << "\"\n";
    for (size_t i = 0; i < out.results[q].size(); ++i) {
      const eval::SearchHit& h = out.results[q][i];
      hits.push_back({{"id", h.id}, {"audio", h.audio}, {"score", h.score}, {"tags", h.tags}});
      if (!a.json) {
        std::string tags;
        for (const auto& t : h.tags) tags += (tags.empty() ? "" : ", ") + t;
        char buf[64];
        std::snprintf(buf, sizeof buf, "  %zu. %.3f  ", i + 1, h.score);
        std::cout << buf << h.id << (tags.empty() ? "" : "  [" + tags + "]") << "\n";
      }
    }
    if (a.json) std::cout << nlohmann::json({{"query", a.queries[q]}, {"results", hits}}).dump() << "\n";
  }
  if (!out.problems.empty()) throw Error("some recordings were left out (listed above)");
}
}  // namespace

void register_search(CLI::App& app) {
  auto* cmd = app.add_subcommand("search",
                                 "Text-to-music search: rank the recordings of a manifest by the cosine of their audio "
                                 "embedding and each query's text embedding; print the top K with their tags");
  auto a = std::make_shared<SearchArgs>();
  add_model_option(cmd, a->model.dir);
  cmd->add_option("--data", a->search.manifest, "Manifest of the recordings to search")->required();
  cmd->add_option("--split", a->search.split, "Only recordings of this split (default: all)");
  cmd->add_option("--top", a->search.top, "Results per query")->capture_default_str()->check(positive_number());
  add_cache_options(cmd, a->cache);
  add_device_option(cmd, a->model.device);
  cmd->add_flag("--json", a->json, "One JSON line per query instead of text");
  cmd->add_option("QUERY", a->queries, "Texts to search for")->required();
  cmd->callback([a] { run_search(*a); });
}

}  // namespace mulan::cli
