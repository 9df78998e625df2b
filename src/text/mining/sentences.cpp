// split_sentences (text_mining.h): ICU's sentence break iterator with its English abbreviation
// list, plus the rules that web text needs (line breaks, URLs, more abbreviations, emoji).
#include <unicode/brkiter.h>
#include <unicode/locid.h>
#include <unicode/regex.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf16.h>

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "mulan/error.h"
#include "mulan/text_mining.h"
#include "text/mining/icu_text.h"

namespace mulan::text {

namespace sentence_split {

using Span = std::pair<int32_t, int32_t>;  // [start, limit) in UTF-16 units

// ICU's sentence rules with the "standard" suppressions of English ("Mr.", "vs.", "Op." ...).
// A break iterator is not thread-safe: one per thread, built on first use.
icu::BreakIterator& iterator() {
  thread_local std::unique_ptr<icu::BreakIterator> it = [] {
    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<icu::BreakIterator> bi(
        icu::BreakIterator::createSentenceInstance(icu::Locale("en@ss=standard"), status));
    if (U_FAILURE(status) || !bi)
      throw Error(std::string("split_sentences: ICU has no sentence break iterator for en@ss=standard (") +
                  u_errorName(status) + ")");
    return bi;
  }();
  return *it;
}

// URLs, e-mail addresses and bare domains: no sentence ends inside one. A match starts only at
// the start of a word, so that a long word costs its length, not its square; long runs are
// character classes, not repeated groups, which cost ICU stack for each repetition.
const icu::RegexPattern& url_pattern() {
  static const std::shared_ptr<const icu::RegexPattern> p = icu_text::compile(
      icu::UnicodeString::fromUTF8(
          "(?:(?:https?|ftp)://|www\\.)\\S+"
          "|(?<![\\p{L}\\p{N}._%+-])[\\p{L}\\p{N}._%+-]+@[\\p{L}\\p{N}-]+\\.[\\p{L}\\p{N}][\\p{L}\\p{N}.-]*"
          "|(?<![\\p{L}\\p{N}._%+-])[\\p{L}\\p{N}][\\p{L}\\p{N}.-]*\\."
          "(?:com|net|org|io|be|ly|tv|fm|me|gl|gg|to|app|link|info|biz|us|uk|de|fr|es|it|nl|jp|ru|ca|au|br|co)"
          "(?![\\p{L}\\p{N}])(?:/\\S*)?"),
      true, "split_sentences URL pattern");
  return *p;
}

// ":)", ":-(", ";D", ":P", "<3", "^^", "^_^", "xD": emoticons travel with the sentence before.
const icu::RegexPattern& emoticon_pattern() {
  static const std::shared_ptr<const icu::RegexPattern> p = icu_text::compile(
      icu::UnicodeString::fromUTF8("(?:[:;=][-'^o]?[)(\\]\\[DPpOo3/\\\\|*@]+|<3+|\\^\\^|\\^_+\\^|[xX]D+)"), false,
      "split_sentences emoticon pattern");
  return *p;
}

// "1." alone: a list number, which belongs to the sentence after it.
bool is_list_number(const icu::UnicodeString& w) {
  if (w.length() < 2 || w.length() > 4 || w.charAt(w.length() - 1) != u'.') return false;
  for (int32_t i = 0; i + 1 < w.length(); ++i)
    if (w.charAt(i) < u'0' || w.charAt(i) > u'9') return false;
  return true;
}

// "e.g.", "i.e.", "z.B.", "d.h.", "p.ej.", "a.k.a.": one or two letters and a dot, twice or more.
bool is_dotted(const icu::UnicodeString& w) {
  int pieces = 0, letters = 0;
  for (int32_t i = 0; i < w.length();) {
    const UChar32 c = w.char32At(i);
    i += U16_LENGTH(c);
    if (c == u'.') {
      if (letters == 0) return false;
      ++pieces;
      letters = 0;
    } else if (u_isalpha(c) && ++letters <= 2) {
      continue;
    } else {
      return false;
    }
  }
  return letters == 0 && pieces >= 2;
}

// Abbreviations after which no sentence ends, beyond ICU's English list (lower case; compared
// with the word lower-cased). Not "no." ("I said no.") nor "etc." nor "inc.": they end
// sentences as often as not.
bool is_abbreviation(const icu::UnicodeString& lower_word) {
  static const char* const kAbbreviations[] = {
      "mr.",  "mrs.",  "ms.",  "dr.",   "prof.", "st.",  "jr.",   "sr.",  "mt.",   "vs.",  "feat.", "ft.",
      "prod.", "approx.", "cf.", "ca.", "incl.", "vol.", "op.", "nr.", "bzw.", "mme.", "mlle.", "sra.", "srta.",
      "dña.", "ud.",  "uds.", "hr.",  "hrsg.", "gen.", "lt.",   "sgt.", "capt.", "rev.", "pt.",   "fig.", "bros."};
  static const std::vector<icu::UnicodeString> abbreviations = [] {
    std::vector<icu::UnicodeString> v;
    for (const char* a : kAbbreviations) v.push_back(icu::UnicodeString::fromUTF8(a));
    return v;
  }();
  return std::find(abbreviations.begin(), abbreviations.end(), lower_word) != abbreviations.end();
}

bool matches_whole(const icu::RegexPattern& p, const icu::UnicodeString& s) {
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<icu::RegexMatcher> m(p.matcher(s, status));
  if (U_FAILURE(status)) throw Error(std::string("split_sentences: ICU regex matcher: ") + u_errorName(status));
  const bool whole = m->matches(status);
  return U_SUCCESS(status) && whole;
}

bool is_space(UChar32 c) { return u_isUWhiteSpace(c); }

// [start, limit) without white space at either end.
Span trimmed(const icu::UnicodeString& s, int32_t start, int32_t limit) {
  while (start < limit) {
    const UChar32 c = s.char32At(start);
    if (!is_space(c)) break;
    start += U16_LENGTH(c);
  }
  while (limit > start) {
    const int32_t before = s.moveIndex32(limit, -1);
    if (!is_space(s.char32At(before))) break;
    limit = before;
  }
  return {start, limit};
}

// Whether no sentence should end after the piece [start, limit) (trimmed).
bool must_continue(const icu::UnicodeString& s, int32_t start, int32_t limit) {
  const Span piece = trimmed(s, start, limit);
  if (piece.first >= piece.second || s.charAt(piece.second - 1) != u'.') return false;
  if (is_list_number(s.tempSubStringBetween(piece.first, piece.second))) return true;
  // The last word, without opening brackets or quotes before it: "(feat." -> "feat."
  int32_t word = piece.second;
  while (word > piece.first) {
    const int32_t before = s.moveIndex32(word, -1);
    if (is_space(s.char32At(before))) break;
    word = before;
  }
  while (word < piece.second) {
    const UChar32 c = s.char32At(word);
    if (icu_text::is_word_char(c)) break;
    word += U16_LENGTH(c);
  }
  const icu::UnicodeString w = s.tempSubStringBetween(word, piece.second);
  if (w.length() < 2) return false;
  // An initial: one capital letter and its dot ("J. S. Bach", "M. Dupont").
  const UChar32 first = w.char32At(0);
  if (U16_LENGTH(first) + 1 == w.length() && (u_isUUppercase(first) || u_istitle(first))) return true;
  icu::UnicodeString lower = w;
  lower.toLower(icu::Locale::getRoot());
  return is_abbreviation(lower) || is_dotted(w);
}

bool is_emoji_char(UChar32 c) {
  return u_hasBinaryProperty(c, UCHAR_EXTENDED_PICTOGRAPHIC) || u_hasBinaryProperty(c, UCHAR_EMOJI_MODIFIER) ||
         u_hasBinaryProperty(c, UCHAR_REGIONAL_INDICATOR) || c == 0x200D || c == 0xFE0F || c == 0xFE0E ||
         c == 0x20E3 || (c >= 0xE0020 && c <= 0xE007F);
}

// Whether [start, limit) (one token, no white space) is emoji only, or an emoticon.
bool is_emoji_token(const icu::UnicodeString& s, int32_t start, int32_t limit) {
  bool all = true;
  for (int32_t i = start; i < limit;) {
    const UChar32 c = s.char32At(i);
    if (!is_emoji_char(c)) {
      all = false;
      break;
    }
    i += U16_LENGTH(c);
  }
  if (all) return true;
  const UChar first = s.charAt(start);
  const bool may_be_emoticon = first == u':' || first == u';' || first == u'=' || first == u'<' || first == u'^' ||
                               first == u'x' || first == u'X';
  return may_be_emoticon && matches_whole(emoticon_pattern(), s.tempSubStringBetween(start, limit));
}

// Where the run of emoji tokens at the start of [start, limit) ends (start when there is none),
// not counting the white space after it; limit when the piece is only emoji.
int32_t leading_emoji_end(const icu::UnicodeString& s, int32_t start, int32_t limit) {
  int32_t end = start, i = start;
  while (i < limit) {
    while (i < limit && is_space(s.char32At(i))) i += U16_LENGTH(s.char32At(i));
    if (i >= limit) return limit;
    int32_t token_end = i;
    while (token_end < limit && !is_space(s.char32At(token_end))) token_end += U16_LENGTH(s.char32At(token_end));
    if (!is_emoji_token(s, i, token_end)) break;
    end = i = token_end;
  }
  return end;
}

void split_line(const icu::UnicodeString& line, std::vector<std::string>& out) {
  const int32_t n = line.length();
  // Spans that no break may fall inside, without their trailing punctuation ("www.x.io." ends
  // a sentence with its dot).
  std::vector<Span> keep_whole;  // in order
  // URLs hold no white space: the search runs word by word, and only on words with an '@' or a
  // '.' inside (the regex is most of the splitter's time otherwise). A word longer than
  // kLongWord is kept whole without a search: it is not prose, and the search would cost ICU
  // stack in proportion to it.
  constexpr int32_t kLongWord = 2000;
  std::unique_ptr<icu::RegexMatcher> m;
  for (int32_t ws = 0; ws < n;) {
    if (is_space(line.charAt(ws))) {
      ++ws;
      continue;
    }
    int32_t we = ws;
    bool candidate = false;
    while (we < n && !is_space(line.charAt(we))) {
      const UChar c = line.charAt(we);
      candidate = candidate || c == u'@' || (c == u'.' && we + 1 < n && !is_space(line.charAt(we + 1)));
      ++we;
    }
    if (candidate && we - ws > kLongWord) {
      keep_whole.emplace_back(ws, we);
    } else if (candidate) {
      const icu::UnicodeString word(line, ws, we - ws);
      UErrorCode status = U_ZERO_ERROR;
      if (!m)
        m.reset(url_pattern().matcher(word, status));
      else
        m->reset(word);
      if (U_FAILURE(status) || !m) throw Error(std::string("split_sentences: ICU regex matcher: ") + u_errorName(status));
      while (m->find(status) && U_SUCCESS(status)) {
        int32_t start = m->start(status), limit = m->end(status);
        while (limit > start && icu::UnicodeString(u".,;:!?)]}'\"»”’").indexOf(word.charAt(limit - 1)) >= 0) --limit;
        keep_whole.emplace_back(ws + start, ws + limit);
      }
      if (U_FAILURE(status))
        throw Error(std::string("split_sentences: the URL search failed on a word of ") + std::to_string(we - ws) +
                    " characters: " + u_errorName(status));
    }
    ws = we;
  }
  icu::BreakIterator& bi = iterator();
  bi.setText(line);
  std::vector<int32_t> breaks;  // internal boundaries that survive
  int32_t piece_start = 0;
  size_t span = 0;
  for (int32_t b = bi.next(); b != icu::BreakIterator::DONE && b < n; b = bi.next()) {
    while (span < keep_whole.size() && keep_whole[span].second <= b) ++span;
    const bool inside = span < keep_whole.size() && keep_whole[span].first < b && b < keep_whole[span].second;
    if (inside || must_continue(line, piece_start, b)) continue;
    breaks.push_back(b);
    piece_start = b;
  }
  // Emoji at the start of a piece go to the end of the piece before.
  std::vector<int32_t> bounds = {0};
  for (size_t i = 0; i < breaks.size(); ++i) {
    const int32_t limit = i + 1 < breaks.size() ? breaks[i + 1] : n;
    const int32_t moved = leading_emoji_end(line, breaks[i], limit);
    if (moved < limit) bounds.push_back(moved);
  }
  bounds.push_back(n);
  for (size_t i = 0; i + 1 < bounds.size(); ++i) {
    const Span piece = trimmed(line, bounds[i], bounds[i + 1]);
    if (piece.first < piece.second) out.push_back(icu_text::to_utf8(line, piece.first, piece.second));
  }
}

bool is_line_break(UChar c) {
  return c == u'\n' || c == u'\r' || c == 0x0B || c == 0x0C || c == 0x85 || c == 0x2028 || c == 0x2029;
}

}  // namespace sentence_split

std::vector<std::string> split_sentences(std::string_view text) {
  icu_text::require_utf8(text, "split_sentences");
  const icu::UnicodeString all = icu_text::from_utf8(text);
  std::vector<std::string> out;
  const int32_t n = all.length();
  int32_t start = 0;
  while (start <= n) {
    int32_t end = start;
    while (end < n && !sentence_split::is_line_break(all.charAt(end))) ++end;
    if (end > start) {
      const icu::UnicodeString line(all, start, end - start);
      sentence_split::split_line(line, out);
    }
    start = end + 1;  // "\r\n" leaves an empty line between, which gives nothing
  }
  return out;
}

}  // namespace mulan::text
