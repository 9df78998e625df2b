// Reading a crawl manifest (docs/mining.md), one row at a time: the file is streamed, so memory
// does not grow with the crawl. A bad row is reported, never thrown; only a crawl that cannot
// be opened or read throws.
#pragma once

#include <cstdint>
#include <fstream>
#include <optional>
#include <unordered_set>
#include <string>
#include <vector>

#include "mulan/error.h"
#include "mulan/mine.h"

namespace mulan::mine {

struct CrawlRow {
  std::string id;
  std::string audio;  // resolved against the crawl's folder
  std::string title, description;
  std::vector<std::string> tags, comments, playlists;
  int64_t line = 0;        // 1-based line of the crawl
  int64_t index = 0;       // 0-based data row (blank lines do not count): what shards split by
  std::string where;       // "crawl.jsonl:LINE"
  std::vector<std::string> capped;  // "description cut to 16384 bytes", "comments: 10000 -> 500", ...
  int64_t invalid_utf8 = 0;          // texts dropped because the line was not valid UTF-8
};

// What next() found: a row, or a bad one with why.
struct CrawlItem {
  std::optional<CrawlRow> row;
  std::optional<Failure> bad;
  int64_t line = 0, index = 0;
};

class CrawlReader {
 public:
  CrawlReader(const std::string& path, const CrawlLimits& limits);
  // The next data line (blank lines are skipped); false at the end of the file.
  bool next(CrawlItem& item);
  const std::string& path() const { return path_; }

 private:
  std::string path_, base_;
  CrawlLimits limits_;
  std::ifstream in_;
  int64_t line_ = 0, index_ = 0;
  // A 64-bit hash of every id seen: a repeated id is malformed (the first one wins). 8 bytes a
  // row, the only state that grows with the crawl.
  std::unordered_set<uint64_t> ids_;
};

// A line -> a row; throws Error(reason) for a malformed one. Exposed for the tests.
CrawlRow parse_crawl_row(std::string line, const std::string& base, const CrawlLimits& limits);

}  // namespace mulan::mine
