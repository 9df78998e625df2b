#include "mine/texts.h"

#include <set>

#include "mulan/text_mining.h"

namespace mulan::mine {

namespace {

std::string trim(const std::string& s) {
  const char* ws = " \t\r\n\f\v";
  const std::size_t a = s.find_first_not_of(ws);
  if (a == std::string::npos) return "";
  return s.substr(a, s.find_last_not_of(ws) - a + 1);
}

// Appends t unless empty or seen.
void add(std::vector<std::string>& out, std::set<std::string>& seen, const std::string& t) {
  if (!t.empty() && seen.insert(t).second) out.push_back(t);
}

int64_t tokens(const std::vector<std::string>& texts) {
  int64_t n = 0;
  for (const auto& t : texts) n += text::count_tokens(t);
  return n;
}

}  // namespace

RowTexts extract_texts(const CrawlRow& row, const text::SfRules* sf_rules) {
  RowTexts t;
  std::set<std::string> seen_raw, seen_lf, seen_pl;
  std::vector<std::string> sf_in = {row.title};
  sf_in.insert(sf_in.end(), row.tags.begin(), row.tags.end());
  for (const std::string& s : sf_in) {
    const std::string raw = trim(s);
    if (raw.empty() || !seen_raw.insert(raw).second) continue;
    t.sf_raw.push_back(raw);
    if (!sf_rules) {
      t.sf.push_back(raw);
      continue;
    }
    if (raw.size() > text::kSfMaxBytes) continue;  // not a title or a tag: nothing the rules can judge
    // Texts that clean up to the same words stay two texts: the filter's count says what it
    // dropped, nothing else.
    const text::SfResult r = sf_rules->apply(raw);
    if (r.kept && !trim(r.text).empty()) t.sf.push_back(trim(r.text));
  }
  std::vector<std::string> lf_in = {row.description};
  lf_in.insert(lf_in.end(), row.comments.begin(), row.comments.end());
  for (const std::string& s : lf_in) {
    if (s.empty()) continue;
    for (const std::string& sentence : text::split_sentences(s)) add(t.lf_raw, seen_lf, trim(sentence));
  }
  t.lf = t.lf_raw;
  for (const std::string& p : row.playlists) add(t.pl, seen_pl, trim(p));
  t.sf_raw_tokens = tokens(t.sf_raw);
  t.sf_tokens = tokens(t.sf);
  t.lf_raw_tokens = t.lf_tokens = tokens(t.lf_raw);
  t.pl_tokens = tokens(t.pl);
  return t;
}

}  // namespace mulan::mine
