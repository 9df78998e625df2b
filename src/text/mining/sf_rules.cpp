// SfRules (text_mining.h): the SF rule filter. The rules file's format and the order in which
// the rules apply are documented at the top of data/mining/sf-rules.txt.
#include <unicode/regex.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf16.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <sstream>
#include <unordered_map>
#include <string>
#include <utility>
#include <vector>

#include "mulan/error.h"
#include "mulan/text_mining.h"
#include "text/mining/icu_text.h"
#include "text/unicode.h"

namespace mulan::text {

namespace sf_rules_data {
extern const char* const kBuiltinRules;  // sf_rules_data.cpp, generated from data/mining/sf-rules.txt
}

namespace sf_rules {

using Span = std::pair<int32_t, int32_t>;  // [start, limit) in UTF-16 units

struct Phrase {
  std::string text;   // as written in the file
  std::string where;  // FILE:LINE
  std::u16string folded;  // the text case-folded, to find duplicates
};

struct RegexRule {
  std::string source, where;
  std::shared_ptr<const icu::RegexPattern> pattern;
};

struct StripChar {
  UChar32 c;
  std::string where;
};

std::unique_ptr<icu::RegexMatcher> matcher(const icu::RegexPattern& p, const icu::UnicodeString& s) {
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<icu::RegexMatcher> m(p.matcher(s, status));
  if (U_FAILURE(status) || !m) throw Error(std::string("SF rules: ICU regex matcher: ") + u_errorName(status));
  return m;
}

// How long one search of one regex may take, in ICU's steps of its match engine ("on the order of
// milliseconds"): a rule that backtracks without bound on some text fails on that text with an
// error instead of hanging the whole run.
// The limit grows with the text: a search that does not match scans all of it.
int32_t regex_time_limit(int32_t length) { return 1000 + length / 50; }

// All non-empty matches of p in s; `what` names the rule in an error.
std::vector<Span> find_all(const icu::RegexPattern& p, const icu::UnicodeString& s, const std::string& what) {
  std::vector<Span> spans;
  auto m = matcher(p, s);
  UErrorCode status = U_ZERO_ERROR;
  m->setTimeLimit(regex_time_limit(s.length()), status);
  while (m->find(status) && U_SUCCESS(status)) {
    const int32_t start = m->start(status), limit = m->end(status);
    if (limit > start) spans.emplace_back(start, limit);
  }
  if (status == U_REGEX_TIME_OUT)
    throw Error(what + " takes too long on a text of " + std::to_string(s.length()) +
                " characters (it backtracks; make it start only at a word's start, or use possessive ++)");
  if (U_FAILURE(status)) throw Error(what + ": ICU regex search failed: " + u_errorName(status));
  return spans;
}

// s with every span (sorted, not overlapping) replaced by one space.
icu::UnicodeString blank_out(const icu::UnicodeString& s, const std::vector<Span>& spans) {
  icu::UnicodeString out;
  int32_t at = 0;
  for (const auto& [start, limit] : spans) {
    out.append(s, at, start - at);
    out.append(u' ');
    at = limit;
  }
  out.append(s, at, s.length() - at);
  return out;
}

std::string trimmed_utf8(const icu::UnicodeString& s, int32_t start, int32_t limit) {
  icu::UnicodeString piece = s.tempSubStringBetween(start, limit);
  piece.trim();
  return icu_text::to_utf8(piece);
}

bool is_space(UChar32 c) { return u_isUWhiteSpace(c); }

bool is_dash(UChar32 c) { return c == u'-' || u_charType(c) == U_DASH_PUNCTUATION; }

// Phrases are matched on words, not with one large regex (a 600-phrase alternation costs
// about half a millisecond a title). A text becomes a sequence of tokens: words (runs of
// letters, marks and digits, case-folded) and single other characters ("&", "'", "/", emoji);
// white space, dashes and underscores only separate. A phrase, split the same way, matches a
// run of consecutive tokens, and each gap between two of its words may also be closed up
// ("hip hop" matches "hiphop" as well as "Hip-Hop" and "hip_hop").
struct Token {
  int32_t start, limit;  // UTF-16 units in the text
  std::u16string key;    // case-folded
};

bool is_gap(UChar32 c) { return is_space(c) || is_dash(c) || c == u'_'; }

std::vector<Token> tokens_of(const icu::UnicodeString& s) {
  std::vector<Token> out;
  int32_t word = -1;
  const auto close_word = [&](int32_t end) {
    if (word < 0) return;
    icu::UnicodeString w(s, word, end - word);
    w.foldCase();
    out.push_back({word, end, std::u16string(w.getBuffer(), static_cast<size_t>(w.length()))});
    word = -1;
  };
  for (int32_t i = 0; i < s.length();) {
    const UChar32 c = s.char32At(i);
    const int32_t next = i + U16_LENGTH(c);
    if (icu_text::is_word_char(c)) {
      if (word < 0) word = i;
    } else {
      close_word(i);
      if (!is_gap(c)) {
        icu::UnicodeString ch(s, i, next - i);
        ch.foldCase();
        out.push_back({i, next, std::u16string(ch.getBuffer(), static_cast<size_t>(ch.length()))});
      }
    }
    i = next;
  }
  close_word(s.length());
  return out;
}

struct PhraseMatch {
  int32_t start, limit;
  const Phrase* phrase;
};

class PhraseIndex {
 public:
  void add(const Phrase& p) {
    const icu::UnicodeString text = icu_text::from_utf8(p.text);
    const std::vector<Token> tokens = tokens_of(text);
    if (tokens.empty()) return;
    // Every way of closing up the gaps between two words.
    std::vector<size_t> gaps;
    for (size_t i = 1; i < tokens.size(); ++i)
      if (tokens[i].start > tokens[i - 1].limit && is_word_key(tokens[i - 1].key) && is_word_key(tokens[i].key))
        gaps.push_back(i);
    const size_t variants = gaps.size() < 6 ? size_t{1} << gaps.size() : 1;
    for (size_t v = 0; v < variants; ++v) {
      std::vector<std::u16string> keys;
      for (size_t i = 0; i < tokens.size(); ++i) {
        const size_t g = static_cast<size_t>(std::find(gaps.begin(), gaps.end(), i) - gaps.begin());
        if (g < gaps.size() && ((v >> g) & 1))
          keys.back() += tokens[i].key;
        else
          keys.push_back(tokens[i].key);
      }
      by_first_[keys.front()].push_back({keys, &p});
    }
  }

  bool empty() const { return by_first_.empty(); }

  // The longest phrase that starts at token i, if any: its last token and the phrase.
  std::pair<size_t, const Phrase*> longest_at(const std::vector<Token>& t, size_t i) const {
    const auto it = by_first_.find(t[i].key);
    std::pair<size_t, const Phrase*> best{0, nullptr};
    if (it == by_first_.end()) return best;
    for (const auto& v : it->second) {
      if (i + v.keys.size() > t.size()) continue;
      bool ok = true;
      for (size_t k = 1; k < v.keys.size() && ok; ++k) ok = t[i + k].key == v.keys[k];
      if (!ok) continue;
      const size_t last = i + v.keys.size() - 1;
      if (!best.second || last > best.first) best = {last, v.phrase};
    }
    return best;
  }

  // Leftmost-longest matches that do not overlap.
  std::vector<PhraseMatch> find_all(const std::vector<Token>& t) const {
    std::vector<PhraseMatch> out;
    for (size_t i = 0; i < t.size();) {
      const auto [last, phrase] = longest_at(t, i);
      if (!phrase) {
        ++i;
        continue;
      }
      out.push_back({t[i].start, t[last].limit, phrase});
      i = last + 1;
    }
    return out;
  }

  bool any(const std::vector<Token>& t) const {
    for (size_t i = 0; i < t.size(); ++i)
      if (longest_at(t, i).second) return true;
    return false;
  }

 private:
  static bool is_word_key(const std::u16string& k) {
    UChar32 c;
    U16_GET(k.data(), 0, 0, static_cast<int32_t>(k.size()), c);
    return icu_text::is_word_char(c);
  }
  struct Variant {
    std::vector<std::u16string> keys;
    const Phrase* phrase;
  };
  std::unordered_map<std::u16string, std::vector<Variant>> by_first_;
};

// Appends p unless the list has it already (in any letter case).
void add_phrase(std::vector<Phrase>& list, Phrase p) {
  if (p.folded.empty()) {
    icu::UnicodeString key = icu_text::from_utf8(p.text);
    key.foldCase();
    p.folded.assign(key.getBuffer(), static_cast<size_t>(key.length()));
  }
  for (const auto& q : list)
    if (q.folded == p.folded) return;
  list.push_back(std::move(p));
}

// Tidying after the removals (step 4 of the rules file's ORDER).

// Brackets with no letter, mark or digit in them (white space, separators, emoji: what is left
// of "(Official Video 🔥)"), and quotes likewise (the ASCII '"' only where the pair stands
// alone: a closing and an opening quote between two quoted titles are not a pair). Nested
// brackets go from the inside out, one round each.
const icu::RegexPattern& empty_brackets() {
  static const std::shared_ptr<const icu::RegexPattern> p = icu_text::compile(
      icu::UnicodeString::fromUTF8(
          "[(\\[{【〔「『（［｛〈《][^\\p{L}\\p{M}\\p{N}(){}\\[\\]【】〔〕「」『』（）［］｛｝〈〉《》\"“”«»]*"
          "[)\\]}】〕」』）］｝〉》]"
          "|(?<!\\S)\"[^\\p{L}\\p{M}\\p{N}\"]*\"(?!\\S)"
          "|“[^\\p{L}\\p{M}\\p{N}“”]*”|«[^\\p{L}\\p{M}\\p{N}«»]*»"),
      false, "SF rules: empty brackets");
  return *p;
}

bool is_emoji(UChar32 c) {
  return u_hasBinaryProperty(c, UCHAR_EXTENDED_PICTOGRAPHIC) || u_hasBinaryProperty(c, UCHAR_REGIONAL_INDICATOR);
}

// A character a separator token may be made of: punctuation and symbols other than brackets,
// quotes and emoji ("-", "|", "·", "•", ":", "/", "&", "...", "!").
bool is_separator_char(UChar32 c) {
  if (c == u'"' || c == u'\'' || is_emoji(c)) return false;
  const int32_t mask = U_GC_PD_MASK | U_GC_PO_MASK | U_GC_PC_MASK | U_GC_SM_MASK | U_GC_SK_MASK | U_GC_SO_MASK;
  return (U_GET_GC_MASK(c) & mask) != 0;
}

// Separators that a first or last word loses ("Title:" -> "Title", "Title," -> "Title"); not
// '.', '!', '?' or '…', which end a title as they end a sentence.
bool is_edge_separator(UChar32 c) {
  return is_dash(c) || c == u'|' || c == u'¦' || c == u':' || c == u'：' || c == u'·' || c == u'•' ||
         c == u'/' || c == u'\\' || c == u'~' || c == u'～' || c == u',' || c == u'，' || c == u';' ||
         c == u'；' || c == u'+' || c == u'&' || c == u'*' || c == u'=' || c == u'_';
}

bool is_separator_token(const icu::UnicodeString& t) {
  for (int32_t i = 0; i < t.length();) {
    const UChar32 c = t.char32At(i);
    if (!is_separator_char(c)) return false;
    i += U16_LENGTH(c);
  }
  return t.length() > 0;
}

icu::UnicodeString tidy(icu::UnicodeString s) {
  for (int round = 0; round < 8; ++round) {
    const auto spans = find_all(empty_brackets(), s, "SF rules: empty brackets");
    if (spans.empty()) break;
    s = blank_out(s, spans);
  }
  std::vector<icu::UnicodeString> tokens;
  for (int32_t i = 0; i < s.length();) {
    while (i < s.length() && is_space(s.char32At(i))) i += U16_LENGTH(s.char32At(i));
    int32_t end = i;
    while (end < s.length() && !is_space(s.char32At(end))) end += U16_LENGTH(s.char32At(end));
    if (end > i) tokens.emplace_back(s, i, end - i);
    i = end;
  }
  // A run of separator tokens becomes its first; none at the start or the end.
  std::vector<icu::UnicodeString> kept;
  for (const auto& t : tokens) {
    const bool sep = is_separator_token(t);
    if (sep && (kept.empty() || is_separator_token(kept.back()))) continue;
    kept.push_back(t);
  }
  while (!kept.empty() && is_separator_token(kept.back())) kept.pop_back();
  if (!kept.empty()) {
    icu::UnicodeString& first = kept.front();
    int32_t cut = 0;
    while (cut < first.length() && is_edge_separator(first.char32At(cut))) cut += U16_LENGTH(first.char32At(cut));
    if (cut < first.length()) first.remove(0, cut);
    icu::UnicodeString& last = kept.back();
    int32_t end = last.length();
    while (end > 0) {
      const int32_t before = last.moveIndex32(end, -1);
      if (!is_edge_separator(last.char32At(before))) break;
      end = before;
    }
    if (end > 0) last.truncate(end);
  }
  icu::UnicodeString out;
  for (size_t i = 0; i < kept.size(); ++i) {
    if (i > 0) out.append(u' ');
    out.append(kept[i]);
  }
  return out;
}

std::string quoted(const std::string& s) { return "'" + s + "'"; }

}  // namespace sf_rules


struct SfRules::Impl {
  std::vector<sf_rules::RegexRule> regexes;
  std::vector<sf_rules::StripChar> strip;
  std::vector<sf_rules::Phrase> remove, keep, music;

  // Indexes of the phrase lists, built by compile(); they point into the lists above.
  sf_rules::PhraseIndex remove_ix, protect_ix, music_ix;

  void compile() {
    remove_ix = {};
    protect_ix = {};
    music_ix = {};
    for (const auto& p : remove) remove_ix.add(p);
    for (const auto& p : keep) protect_ix.add(p);
    for (const auto& p : music) {
      protect_ix.add(p);
      music_ix.add(p);
    }
  }

  // The copy constructor's work: the phrase pointers must point into this object's lists.
  Impl() = default;
  Impl(const Impl& o) : regexes(o.regexes), strip(o.strip), remove(o.remove), keep(o.keep), music(o.music) {
    compile();
  }
  Impl& operator=(const Impl&) = delete;

  bool strips(UChar32 c) const {
    return std::any_of(strip.begin(), strip.end(), [&](const sf_rules::StripChar& s) { return s.c == c; });
  }
  const sf_rules::StripChar& strip_rule(UChar32 c) const {
    return *std::find_if(strip.begin(), strip.end(), [&](const sf_rules::StripChar& s) { return s.c == c; });
  }
};

SfRules::SfRules(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SfRules::SfRules(const SfRules& o) : impl_(std::make_unique<Impl>(*o.impl_)) {}
SfRules& SfRules::operator=(const SfRules& o) {
  if (this != &o) impl_ = std::make_unique<Impl>(*o.impl_);
  return *this;
}
SfRules::SfRules(SfRules&&) noexcept = default;
SfRules& SfRules::operator=(SfRules&&) noexcept = default;
SfRules::~SfRules() = default;

SfRules SfRules::parse(std::string_view text, const std::string& name) {
  enum class Section { none, remove_regex, strip_prefix, remove, keep, music };
  auto impl = std::make_unique<Impl>();
  Section section = Section::none;
  size_t line_no = 0, at = 0;
  while (at <= text.size()) {
    size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(at, end - at);
    at = end + 1;
    ++line_no;
    const std::string where = name + ":" + std::to_string(line_no);
    if (!is_valid_utf8(line)) throw Error(where + ": not valid UTF-8");
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty() || line.front() == '#') continue;
    if (line.front() == '[' && line.back() == ']') {
      const std::string_view s = line.substr(1, line.size() - 2);
      if (s == "remove-regex")
        section = Section::remove_regex;
      else if (s == "strip-prefix")
        section = Section::strip_prefix;
      else if (s == "remove")
        section = Section::remove;
      else if (s == "keep")
        section = Section::keep;
      else if (s == "music")
        section = Section::music;
      else
        throw Error(where + ": unknown section [" + std::string(s) +
                    "] (the sections are [remove-regex], [strip-prefix], [remove], [keep] and [music])");
      continue;
    }
    std::string entry(line);
    if (entry.rfind("\\#", 0) == 0) entry.erase(0, 1);
    switch (section) {
      case Section::none:
        throw Error(where + ": " + sf_rules::quoted(entry) +
                    " comes before any section; start one with [remove-regex], [strip-prefix], [remove], [keep] "
                    "or [music]");
      case Section::remove_regex: {
        sf_rules::RegexRule rule{entry, where, icu_text::compile(icu_text::from_utf8(entry), true, where)};
        UErrorCode status = U_ZERO_ERROR;
        if (sf_rules::matcher(*rule.pattern, icu::UnicodeString())->matches(status))
          throw Error(where + ": the regular expression " + sf_rules::quoted(entry) +
                      " matches empty text; it must match at least one character");
        impl->regexes.push_back(std::move(rule));
        break;
      }
      case Section::strip_prefix: {
        const icu::UnicodeString u = icu_text::from_utf8(entry);
        const UChar32 c = u.char32At(0);
        if (u.countChar32() != 1 || icu_text::is_word_char(c) || sf_rules::is_space(c))
          throw Error(where + ": [strip-prefix] takes one character that is not a letter, digit or space; got " +
                      sf_rules::quoted(entry));
        if (!impl->strips(c)) impl->strip.push_back({c, where});
        break;
      }
      case Section::remove:
      case Section::keep:
      case Section::music: {
        const icu::UnicodeString u = icu_text::from_utf8(entry);
        bool has_word = false;
        for (int32_t i = 0; i < u.length(); i += U16_LENGTH(u.char32At(i)))
          has_word = has_word || icu_text::is_word_char(u.char32At(i));
        if (!has_word) throw Error(where + ": a phrase needs a letter or a digit; got " + sf_rules::quoted(entry));
        auto& list = section == Section::remove ? impl->remove : section == Section::keep ? impl->keep : impl->music;
        sf_rules::add_phrase(list, {entry, where, {}});
        break;
      }
    }
  }
  impl->compile();
  return SfRules(std::move(impl));
}

SfRules SfRules::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileNotFound(file_error(path, "cannot open the SF rules file"));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw Error(file_error(path, "cannot read the SF rules file"));
  return parse(text.str(), path);
}

SfRules SfRules::builtin() {
  static const SfRules rules = parse(sf_rules_data::kBuiltinRules, "data/mining/sf-rules.txt");
  return rules;
}

void SfRules::extend(const SfRules& more) {
  const Impl& m = *more.impl_;
  for (const auto& r : m.regexes) impl_->regexes.push_back(r);
  for (const auto& s : m.strip)
    if (!impl_->strips(s.c)) impl_->strip.push_back(s);
  for (const auto& p : m.remove) sf_rules::add_phrase(impl_->remove, p);
  for (const auto& p : m.keep) sf_rules::add_phrase(impl_->keep, p);
  for (const auto& p : m.music) sf_rules::add_phrase(impl_->music, p);
  impl_->compile();
}

size_t SfRules::remove_phrases() const { return impl_->remove.size(); }
size_t SfRules::remove_regexes() const { return impl_->regexes.size(); }
size_t SfRules::keep_phrases() const { return impl_->keep.size(); }
size_t SfRules::music_phrases() const { return impl_->music.size(); }

bool SfRules::has_music(std::string_view text) const {
  icu_text::require_utf8(text, "SF filter");
  return impl_->music_ix.any(sf_rules::tokens_of(icu_text::from_utf8(text)));
}

SfResult SfRules::apply(std::string_view text) const {
  const Impl& rules = *impl_;
  SfResult r;
  icu_text::require_utf8(text, "SF filter");
  if (text.size() > kSfMaxBytes)
    throw Error("SF filter: a text of " + std::to_string(text.size()) + " bytes; a title or a tag may have at most " +
                std::to_string(kSfMaxBytes));
  r.tokens_before = count_tokens(text);

  // 0. White space: trimmed, and each run of it one space.
  icu::UnicodeString s;
  {
    const icu::UnicodeString raw = icu_text::from_utf8(text);
    bool space = false;
    for (int32_t i = 0; i < raw.length();) {
      const UChar32 c = raw.char32At(i);
      i += U16_LENGTH(c);
      if (sf_rules::is_space(c)) {
        space = true;
        continue;
      }
      if (space && !s.isEmpty()) s.append(u' ');
      space = false;
      s.append(c);
    }
  }

  // 1. Regexes, in order.
  for (const auto& rule : rules.regexes) {
    const auto spans =
        sf_rules::find_all(*rule.pattern, s, "SF rules: regex " + sf_rules::quoted(rule.source) + " (" + rule.where + ")");
    if (spans.empty()) continue;
    for (const auto& [start, limit] : spans)
      r.removed.push_back(sf_rules::trimmed_utf8(s, start, limit) + " <- regex " + sf_rules::quoted(rule.source) + " (" + rule.where + ")");
    s = sf_rules::blank_out(s, spans);
  }

  // 2. Characters stripped where they start a word: a run of them after a non-word character
  // (or the start), followed by a letter, mark or digit.
  if (!rules.strip.empty()) {
    icu::UnicodeString out;
    UChar32 before = U_SENTINEL;
    for (int32_t i = 0; i < s.length();) {
      const UChar32 c = s.char32At(i);
      if (rules.strips(c) && (before == U_SENTINEL || !icu_text::is_word_char(before))) {
        int32_t j = i;
        while (j < s.length() && rules.strips(s.char32At(j))) j += U16_LENGTH(s.char32At(j));
        if (j < s.length() && icu_text::is_word_char(s.char32At(j))) {
          for (int32_t k = i; k < j; k += U16_LENGTH(s.char32At(k))) {
            const sf_rules::StripChar& rule = rules.strip_rule(s.char32At(k));
            r.removed.push_back(icu_text::to_utf8(icu::UnicodeString(s.char32At(k))) + " <- strip-prefix " +
                                sf_rules::quoted(icu_text::to_utf8(icu::UnicodeString(rule.c))) + " (" + rule.where + ")");
          }
          before = s.char32At(s.moveIndex32(j, -1));
          i = j;
          continue;
        }
        // Not before a word: the run stays as it is ("###").
        out.append(s, i, j - i);
        before = s.char32At(s.moveIndex32(j, -1));
        i = j;
        continue;
      }
      out.append(c);
      before = c;
      i += U16_LENGTH(c);
    }
    s = out;
  }

  // 3. Phrases, except inside a [keep] or [music] phrase.
  if (!rules.remove_ix.empty()) {
    const std::vector<sf_rules::Token> tokens = sf_rules::tokens_of(s);
    const std::vector<sf_rules::PhraseMatch> protect = rules.protect_ix.find_all(tokens);
    std::vector<sf_rules::Span> spans;
    for (const auto& m : rules.remove_ix.find_all(tokens)) {
      const bool inside = std::any_of(protect.begin(), protect.end(), [&](const sf_rules::PhraseMatch& p) {
        return p.start <= m.start && m.limit <= p.limit;
      });
      if (inside) continue;
      r.removed.push_back(sf_rules::trimmed_utf8(s, m.start, m.limit) + " <- phrase " + sf_rules::quoted(m.phrase->text) +
                          " (" + m.phrase->where + ")");
      spans.emplace_back(m.start, m.limit);
    }
    s = sf_rules::blank_out(s, spans);
  }

  // 4. Tidying; 5. the music test.
  s = sf_rules::tidy(s);
  r.text = icu_text::to_utf8(s);
  r.tokens_after = count_tokens(r.text);
  if (r.tokens_after == 0) {
    r.reason = "empty";
  } else if (!rules.music_ix.any(sf_rules::tokens_of(s))) {
    r.reason = "no music words left";
  } else {
    r.kept = true;
  }
  return r;
}

}  // namespace mulan::text
