// The texts of one crawl row, by source (spec 3): SF = the title and each tag, LF = the
// sentences of the description and of each comment, PL = the playlists' titles. Each source
// unfiltered ("raw") and filtered: SF by the rule filter; LF by the LF filter, which runs
// later, in batches (so here lf == lf_raw).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mine/crawl.h"

namespace mulan::text {
class SfRules;
}

namespace mulan::mine {

struct RowTexts {
  std::vector<std::string> sf_raw, sf, lf_raw, lf, pl;
  int64_t sf_raw_tokens = 0, sf_tokens = 0, lf_raw_tokens = 0, lf_tokens = 0, pl_tokens = 0;
  bool empty_raw() const { return sf_raw.empty() && lf_raw.empty() && pl.empty(); }
};

// sf_rules null: no SF filter (sf = sf_raw). Texts are trimmed, empty ones dropped, repeats
// within a source dropped.
RowTexts extract_texts(const CrawlRow& row, const text::SfRules* sf_rules);

}  // namespace mulan::mine
