// Text-to-music search over the recordings of a manifest (mulan/eval.h).
#include <torch/torch.h>

#include "eval/protocol_common.h"
#include "mulan/context.h"
#include "mulan/error.h"
#include "mulan/eval.h"

namespace mulan::eval {

SearchOutput search_manifest(const ModelOptions& model_options, const SearchOptions& options,
                             const std::vector<std::string>& queries) {
  if (options.top < 1) throw UsageError("search: top must be >= 1, not " + std::to_string(options.top));
  SearchOutput out;
  EvalOutput scratch;
  const data::Manifest m = read_eval_manifest(options.manifest, options.split, scratch);
  out.problems = scratch.problems;
  const LoadedModel model = load_model(model_options, /*need_text=*/true, /*need_audio=*/true);
  const EmbeddedRows audio = embed_rows(model, model_options, pointers(m.rows));
  out.problems.insert(out.problems.end(), audio.failed.begin(), audio.failed.end());
  out.searched = static_cast<int64_t>(audio.rows.size());
  if (audio.rows.empty()) return out;  // the caller reports the problems, then that nothing was searched
  const at::Tensor text = embed_text_list(model, model_options, queries);
  for (size_t q = 0; q < queries.size(); ++q) {
    std::vector<SearchHit> hits;
    for (const Hit& h : top_k(text[static_cast<int64_t>(q)], audio.embeddings, options.top)) {  // ties: manifest order
      const data::Recording& r = *audio.rows[static_cast<size_t>(h.index)];
      hits.push_back({r.id, r.audio, h.score, r.tags});
    }
    out.results.push_back(std::move(hits));
  }
  return out;
}

}  // namespace mulan::eval
