// mulan search --model DIR --data MANIFEST [--split S] [--top K] QUERY...: text-to-music search
// over the recordings of a manifest (audio embeddings through the evaluation cache).
#include <torch/torch.h>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli_common.h"
#include "commands.h"
#include "eval/embedding_cache.h"
#include "eval/protocol_common.h"
#include "mulan/error.h"

namespace mulan::cli {

namespace {
struct SearchArgs {
  eval::ModelOptions model;
  std::string data, split, cache;
  bool no_cache = false, json = false;
  int64_t top = 3;
  std::vector<std::string> queries;
};

void run_search(SearchArgs a) {
  a.model.cache_dir = a.no_cache ? "" : a.cache.empty() ? eval::default_cache_dir() : a.cache;
  eval::EvalOutput scratch;
  const data::Manifest m = eval::read_eval_manifest(a.data, a.split, scratch);
  std::vector<std::string> skipped = scratch.problems;
  const eval::LoadedModel model = eval::load_model(a.model, /*need_text=*/true, /*need_audio=*/true);
  const eval::EmbeddedRows audio = eval::embed_rows(model, a.model, eval::pointers(m.rows));
  for (const auto& [path, why] : audio.failed) skipped.push_back(path + ": " + why);
  print_skipped(skipped);
  if (audio.rows.empty()) throw Error(file_error(a.data, "no recording could be embedded"));
  const at::Tensor text = eval::embed_text_list(model, a.model, a.queries);
  const at::Tensor scores = torch::matmul(text, audio.embeddings.t());  // [Q, N] cosines
  const int64_t k = std::min<int64_t>(a.top, static_cast<int64_t>(audio.rows.size()));
  for (size_t q = 0; q < a.queries.size(); ++q) {
    // Stable: equal scores keep manifest order.
    const at::Tensor order = std::get<1>(scores[static_cast<int64_t>(q)].sort(/*stable=*/true, /*dim=*/0, /*descending=*/true));
    nlohmann::json hits = nlohmann::json::array();
    if (!a.json) std::cout << "\"" << a.queries[q] << "\"\n";
    for (int64_t i = 0; i < k; ++i) {
      const int64_t j = order[i].item<int64_t>();
      const data::Recording& r = *audio.rows[static_cast<size_t>(j)];
      const double s = scores[static_cast<int64_t>(q)][j].item<double>();
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
  cmd->add_option("--model", a->model.dir, "Model directory")->required();
  cmd->add_option("--data", a->data, "Manifest of the recordings to search")->required();
  cmd->add_option("--split", a->split, "Only recordings of this split (default: all)");
  cmd->add_option("--top", a->top, "Results per query")->capture_default_str()->check(positive_number());
  cmd->add_option("--cache", a->cache, "Embedding cache folder (default: $MULAN_CACHE, $XDG_CACHE_HOME/mulan or ~/.cache/mulan)");
  cmd->add_flag("--no-cache", a->no_cache, "Neither read nor write the embedding cache");
  cmd->add_option("--device", a->model.device, "cpu, cuda or cuda:N")->capture_default_str()->check(device_validator());
  cmd->add_flag("--json", a->json, "One JSON line per query instead of text");
  cmd->add_option("QUERY", a->queries, "Texts to search for")->required();
  cmd->callback([a] { run_search(*a); });
}

}  // namespace mulan::cli
