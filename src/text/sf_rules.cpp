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
#include <string>
#include <utility>
#include <vector>

#include "mulan/error.h"
#include "mulan/text_mining.h"
#include "text/icu_text.h"
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

// All non-empty matches of p in s.
std::vector<Span> find_all(const icu::RegexPattern& p, const icu::UnicodeString& s) {
  std::vector<Span> spans;
  auto m = matcher(p, s);
  UErrorCode status = U_ZERO_ERROR;
  while (m->find(status) && U_SUCCESS(status)) {
    const int32_t start = m->start(status), limit = m->end(status);
    if (limit > start) spans.emplace_back(start, limit);
  }
  if (U_FAILURE(status)) throw Error(std::string("SF rules: ICU regex search: ") + u_errorName(status));
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

// One phrase as a regex: letters as they are (the pattern is case-insensitive), ASCII
// punctuation escaped, a run of spaces or hyphens as any run of spaces, hyphens and
// underscores, or none.
icu::UnicodeString phrase_regex(const std::string& phrase) {
  const icu::UnicodeString p = icu_text::from_utf8(phrase);
  icu::UnicodeString out;
  bool in_gap = false;
  for (int32_t i = 0; i < p.length();) {
    const UChar32 c = p.char32At(i);
    i += U16_LENGTH(c);
    if (is_space(c) || is_dash(c)) {
      if (!in_gap) out.append(u"[\\s\\p{Pd}_]*");
      in_gap = true;
      continue;
    }
    in_gap = false;
    if (c < 0x80 && !u_isalnum(c)) out.append(u'\\');
    out.append(c);
  }
  return out;
}

// The phrases as one whole-word alternation, the longest first (so that "official music video"
// wins over "video" where both match); with one capture group a phrase when `groups`.
std::shared_ptr<const icu::RegexPattern> alternation(const std::vector<const Phrase*>& phrases, bool groups,
                                                     const std::string& what) {
  if (phrases.empty()) return nullptr;
  icu::UnicodeString re(u"(?<![\\p{L}\\p{M}\\p{N}_])(?:");
  for (size_t i = 0; i < phrases.size(); ++i) {
    if (i > 0) re.append(u'|');
    re.append(groups ? u"(" : u"(?:");
    re.append(phrase_regex(phrases[i]->text));
    re.append(u')');
  }
  re.append(u")(?![\\p{L}\\p{M}\\p{N}_])");
  return icu_text::compile(re, true, what);
}

std::vector<const Phrase*> longest_first(const std::vector<Phrase>& a, const std::vector<Phrase>* b = nullptr) {
  std::vector<const Phrase*> out;
  for (const auto& p : a) out.push_back(&p);
  if (b)
    for (const auto& p : *b) out.push_back(&p);
  std::stable_sort(out.begin(), out.end(), [](const Phrase* x, const Phrase* y) {
    return icu_text::from_utf8(x->text).countChar32() > icu_text::from_utf8(y->text).countChar32();
  });
  return out;
}

void add_phrase(std::vector<Phrase>& list, Phrase p) {
  icu::UnicodeString key = icu_text::from_utf8(p.text);
  key.foldCase();
  for (const auto& q : list) {
    icu::UnicodeString other = icu_text::from_utf8(q.text);
    other.foldCase();
    if (other == key) return;
  }
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
    const auto spans = find_all(empty_brackets(), s);
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

  // Compiled from the phrase lists by compile().
  std::shared_ptr<const icu::RegexPattern> remove_re, protect_re, music_re;
  std::vector<const sf_rules::Phrase*> remove_order;  // capture group g of remove_re is remove_order[g - 1]

  void compile() {
    remove_order = sf_rules::longest_first(remove);
    remove_re = sf_rules::alternation(remove_order, true, "SF rules [remove]");
    protect_re = sf_rules::alternation(sf_rules::longest_first(keep, &music), false, "SF rules [keep] and [music]");
    music_re = sf_rules::alternation(sf_rules::longest_first(music), false, "SF rules [music]");
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
        sf_rules::add_phrase(list, {entry, where});
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
  if (!impl_->music_re) return false;
  const icu::UnicodeString u = icu_text::from_utf8(text);
  UErrorCode status = U_ZERO_ERROR;
  auto m = sf_rules::matcher(*impl_->music_re, u);
  const bool found = m->find(status);
  return U_SUCCESS(status) && found;
}

SfResult SfRules::apply(std::string_view text) const {
  const Impl& rules = *impl_;
  SfResult r;
  icu_text::require_utf8(text, "SF filter");
  r.tokens_before = count_tokens(text);
  icu::UnicodeString s = icu_text::from_utf8(text);

  // 1. Regexes, in order.
  for (const auto& rule : rules.regexes) {
    const auto spans = sf_rules::find_all(*rule.pattern, s);
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
      }
      out.append(c);
      before = c;
      i += U16_LENGTH(c);
    }
    s = out;
  }

  // 3. Phrases, except inside a [keep] or [music] phrase.
  if (rules.remove_re) {
    const std::vector<sf_rules::Span> protect = rules.protect_re ? sf_rules::find_all(*rules.protect_re, s) : std::vector<sf_rules::Span>{};
    std::vector<sf_rules::Span> spans;
    {
    auto m = sf_rules::matcher(*rules.remove_re, s);
    UErrorCode status = U_ZERO_ERROR;
    while (m->find(status) && U_SUCCESS(status)) {
      const int32_t start = m->start(status), limit = m->end(status);
      if (limit <= start) continue;
      const bool inside = std::any_of(protect.begin(), protect.end(),
                                      [&](const sf_rules::Span& p) { return p.first <= start && limit <= p.second; });
      if (inside) continue;
      const sf_rules::Phrase* phrase = nullptr;
      for (int32_t g = 1; g <= m->groupCount() && !phrase; ++g)
        if (m->start(g, status) >= 0) phrase = rules.remove_order[static_cast<size_t>(g - 1)];
      r.removed.push_back(sf_rules::trimmed_utf8(s, start, limit) + " <- phrase " + sf_rules::quoted(phrase ? phrase->text : "?") + " (" +
                          (phrase ? phrase->where : "?") + ")");
      spans.emplace_back(start, limit);
    }
    if (U_FAILURE(status)) throw Error(std::string("SF rules: ICU regex search: ") + u_errorName(status));
    }
    s = sf_rules::blank_out(s, spans);
  }

  // 4. Tidying; 5. the music test.
  s = sf_rules::tidy(s);
  r.text = icu_text::to_utf8(s);
  r.tokens_after = count_tokens(r.text);
  if (r.tokens_after == 0) {
    r.reason = "empty";
  } else if (!has_music(r.text)) {
    r.reason = "no music words left";
  } else {
    r.kept = true;
  }
  return r;
}

}  // namespace mulan::text
