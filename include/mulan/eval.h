// The paper's four evaluation protocols (docs/mulan-spec.md 4), as `mulan eval` runs them.
// Each returns the result JSON (provenance included: protocol, model dir/name/hash, dataset,
// data, date, mulan_version) and a Markdown table; the metrics are those of the metrics component (src/metrics).
//
// - tagging (zero-shot): score(recording, tag) = cos(audio embedding, text embedding of the
//   prompt with the tag in place of every "{}"); macro ROC-AUC and PR-AUC over the tags of
//   TAGS.txt (a recording's positives: its manifest "tags", or "labels" with field = labels;
//   names matched exactly; manifest tags not in TAGS.txt are ignored).
// - probe: a logistic regression per tag on the frozen audio embeddings (probe.h in src/eval), its L2
//   strength chosen on validation data, then refitted; test macro ROC-AUC and mAP.
// - retrieval: each query's text against every (embedded) recording of the manifest; ROC-AUC,
//   AP, R@1/5/10 per query averaged, and the median rank of the first target.
// - triplets: text triplet accuracy, cos(anchor, pos) > cos(anchor, neg); ties are wrong.
//
// Audio embeddings go through the embedding cache (src/eval/embedding_cache.h). A recording that
// cannot be embedded, or a manifest row that is bad, is left out, reported in `problems` and
// counted in the JSON ("n_failed", "n_bad_rows"); the CLI exits 1 after writing the results.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mulan/error.h"
#include "mulan/params.h"

namespace mulan::eval {

struct ProbeFitOptions {
  int64_t max_iter = 1000;          // L-BFGS iterations at most
  double tolerance_grad = 1e-9;     // stop when every gradient entry is below this
  double tolerance_change = 1e-20;  // stop when the loss or the step changes less than this (stalled)
};

// The probe's default grid of L2 strengths: 10^-7 ... 10^0, one per decade.
std::vector<double> default_l2_grid();

// The embedding cache folder when none is given: $MULAN_CACHE, else $XDG_CACHE_HOME/mulan, else
// $HOME/.cache/mulan; "" when none of them is set.
std::string default_cache_dir();

// What every protocol needs: the model and how to run it.
struct ModelOptions {
  std::string dir;             // model directory
  std::string name;            // name in the results; "" = the directory's base name
  std::string cache_dir;       // embedding cache folder; "" = no cache
  std::string device = "cpu";  // where the model runs: cpu, cuda or cuda:N
  int batch_windows = kDefaultAudioBatchWindows;  // audio windows per forward pass
  int decode_threads = kDefaultDecodeThreads;     // audio files decoded ahead in parallel
  int64_t text_batch = kDefaultTextBatch;         // texts per forward pass
  std::string mulan_version;   // recorded in the JSON
};

struct EvalOutput {
  nlohmann::json result;              // the result JSON
  std::string table;                  // Markdown
  std::vector<Failure> problems;      // each recording that failed and each bad row
};

struct TaggingOptions {
  std::string manifest;        // manifest.jsonl
  std::string tags_file;       // TAGS.txt: one tag a line
  std::string split;           // evaluate rows of this split only; "" = all rows
  std::string prompt = "{}";   // text template; must contain "{}"
  std::string field = "tags";  // the manifest field holding a recording's tags: "tags" | "labels"
  std::string dataset;         // name in the results; "" = the manifest's folder name
  bool per_tag = false;        // a "tags" object and per-tag table rows
};
EvalOutput run_tagging(const ModelOptions& model, const TaggingOptions& options);

struct ProbeOptions {
  std::string train, test;  // manifests
  std::string val;          // validation manifest; "" = the train manifest's split=="val" rows, or a hold-out
  std::string
      train_split;  // train rows of this split only ("" = rows whose split is not "test", nor "val" without --val)
  std::string test_split;                           // keep only test rows of this split ("" = all)
  std::string tags_file;                            // TAGS.txt; "" = every tag of the training rows
  std::string field = "tags";                       // "tags" | "labels"
  std::string dataset;                              // "" = the test manifest's folder name
  std::vector<double> l2_grid = default_l2_grid();  // candidate L2 strengths
  double holdout = 0.1;                             // fraction of train held out when there is no validation data
  uint64_t seed = 0;                                // the hold-out's shuffle
  bool per_tag = false;
  ProbeFitOptions fit;  // L-BFGS settings
};
EvalOutput run_probe(const ModelOptions& model, const ProbeOptions& options);

struct RetrievalOptions {
  std::string manifest;    // the candidates
  std::string queries;     // queries.jsonl: {"id", "text", "targets": [recording ids]}
  std::string split;       // candidates of this split only; "" = all
  std::string dataset;     // "" = the manifest's folder name
  bool per_query = false;  // a "queries" array in the JSON
};
EvalOutput run_retrieval(const ModelOptions& model, const RetrievalOptions& options);

struct TripletOptions {
  std::string triplets;  // CSV with header anchor,pos,neg
  std::string dataset;   // "" = the CSV's folder name
};
EvalOutput run_triplets(const ModelOptions& model, const TripletOptions& options);

// TAGS.txt: one tag a line, surrounding blanks trimmed, empty lines skipped; a duplicate tag
// or an empty file is an error naming FILE:LINE (or FILE).
std::vector<std::string> read_tag_list(const std::string& path);

// expand_prompt (a prompt with the tag in place of "{}") is in mulan/context.h.

struct Triplet {
  std::string anchor, pos, neg;
  int64_t line = 0;  // 1-based line where the record starts
};
// RFC 4180 CSV: a header naming the columns anchor, pos and neg (in any order, other columns
// ignored), then one record a line; fields may be quoted ("a, b", "say ""hi"""), a quoted field
// may span lines; CRLF or LF. A malformed record (unterminated quote, text after a closing
// quote, a field count unlike the header's, an empty anchor/pos/neg) is an error naming
// FILE:LINE.
std::vector<Triplet> read_triplets_csv(const std::string& path);

// Text-to-music search over the recordings of a manifest: each query's text embedding against
// every recording's audio embedding (through the cache), the top recordings by cosine.
struct SearchOptions {
  std::string manifest;  // manifest.jsonl of the recordings to search
  std::string split;     // only recordings of this split; "" = all
  int64_t top = 3;       // results per query (>= 1)
};
struct SearchHit {
  std::string id, audio;
  double score = 0;  // cosine
  std::vector<std::string> tags;
};
struct SearchOutput {
  std::vector<std::vector<SearchHit>> results;  // per query, best first; equal scores in manifest order
  std::vector<Failure> problems;                // bad rows and recordings that could not be embedded
  int64_t searched = 0;                         // recordings embedded and searched (0: results are empty)
};
SearchOutput search_manifest(const ModelOptions& model, const SearchOptions& options, const std::vector<std::string>& queries);

}  // namespace mulan::eval
