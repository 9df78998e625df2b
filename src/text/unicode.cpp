#include "text/unicode.h"

#include <utf8proc.h>

#include <algorithm>
#include <cstdint>

namespace mulan::text {

void decode_utf8(std::string_view s, std::u32string& out) {
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    const auto b = static_cast<uint8_t>(s[i]);
    if (b < 0x80) {
      out.push_back(b);
      ++i;
      continue;
    }
    size_t len;
    char32_t cp;
    if (b >= 0xC2 && b <= 0xDF) {
      len = 2, cp = b & 0x1F;
    } else if (b >= 0xE0 && b <= 0xEF) {
      len = 3, cp = b & 0x0F;
    } else if (b >= 0xF0 && b <= 0xF4) {
      len = 4, cp = b & 0x07;
    } else {  // a continuation byte, C0, C1 or F5..FF: never the start of a character
      out.push_back(kReplacementChar);
      ++i;
      continue;
    }
    size_t j = 1;
    for (; j < len && i + j < n; ++j) {
      const auto c = static_cast<uint8_t>(s[i + j]);
      uint8_t lo = 0x80, hi = 0xBF;  // the second byte's range excludes overlongs and surrogates
      if (j == 1) {
        if (b == 0xE0) lo = 0xA0;
        if (b == 0xED) hi = 0x9F;
        if (b == 0xF0) lo = 0x90;
        if (b == 0xF4) hi = 0x8F;
      }
      if (c < lo || c > hi) break;
      cp = (cp << 6) | (c & 0x3F);
    }
    if (j == len) {
      out.push_back(cp);
    } else {
      out.push_back(kReplacementChar);  // one U+FFFD for the maximal subpart s[i, i + j)
    }
    i += j;
  }
}

void append_utf8(char32_t c, std::string& out) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

bool is_valid_utf8(std::string_view s) {
  std::u32string cps;
  decode_utf8(s, cps);
  std::string back;
  for (char32_t c : cps) append_utf8(c, back);
  return back == s;  // a U+FFFD that was not in the input changes the bytes
}

bool is_whitespace(char32_t c) {
  switch (c) {
    case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x20: case 0x85: case 0xA0:
    case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

namespace detail {

namespace {

bool in_ranges(char32_t c, const CodepointRange* begin, size_t size) {
  const CodepointRange* end = begin + size;
  const CodepointRange* it =
      std::upper_bound(begin, end, c, [](char32_t x, const CodepointRange& r) { return x < r.first; });
  return it != begin && c <= (it - 1)->last;
}

// Characters that Unicode 8.0 already had, in a category that a later version changed where it
// matters here (Cc, Cf, Co, Mn, P*); HF tokenizers still sees the Unicode 8.0 one.
struct CategoryChange {
  char32_t c;
  utf8proc_category_t unicode8;
};
constexpr CategoryChange kUnicode8Categories[] = {
    {0x166D, UTF8PROC_CATEGORY_PO},   // CANADIAN SYLLABICS CHI SIGN, So now
    {0x1734, UTF8PROC_CATEGORY_MN},   // HANUNOO SIGN PAMUDPOD, Mc now
    {0x1885, UTF8PROC_CATEGORY_LO},   // MONGOLIAN LETTER ALI GALI BALUDA, Mn now
    {0x1886, UTF8PROC_CATEGORY_LO},   // MONGOLIAN LETTER ALI GALI THREE BALUDA, Mn now
    {0xA9BD, UTF8PROC_CATEGORY_MC},   // JAVANESE CONSONANT SIGN KERET, Mn now
    {0x111C9, UTF8PROC_CATEGORY_PO},  // SHARADA SANDHI MARK, Mn now
};

}  // namespace

int hf_category(char32_t c) {
  if (c < 0x80) return utf8proc_category(static_cast<utf8proc_int32_t>(c));
  if (!in_ranges(c, kAssignedByUnicode8, kAssignedByUnicode8Size)) return UTF8PROC_CATEGORY_CN;
  for (const auto& change : kUnicode8Categories) {
    if (change.c == c) return change.unicode8;
  }
  return utf8proc_category(static_cast<utf8proc_int32_t>(c));
}

// Whether HF's NFD tables (Unicode 9.0) have the character.
bool known_to_nfd(char32_t c) {
  return in_ranges(c, kAssignedByUnicode8, kAssignedByUnicode8Size) ||
         in_ranges(c, kAssignedInUnicode9, kAssignedInUnicode9Size);
}

}  // namespace detail

bool is_control(char32_t c) {
  if (c == '\t' || c == '\n' || c == '\r') return false;
  if (c < 0x20 || c == 0x7F) return true;
  if (c < 0x80) return false;
  const int cat = detail::hf_category(c);
  return cat == UTF8PROC_CATEGORY_CC || cat == UTF8PROC_CATEGORY_CF || cat == UTF8PROC_CATEGORY_CO;
}

bool is_punctuation(char32_t c) {
  if (c < 0x80) return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
  const int cat = detail::hf_category(c);
  return cat >= UTF8PROC_CATEGORY_PC && cat <= UTF8PROC_CATEGORY_PO;
}

bool is_chinese_char(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
         (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

bool is_nonspacing_mark(char32_t c) {
  return c >= 0x80 && detail::hf_category(c) == UTF8PROC_CATEGORY_MN;
}

int combining_class(char32_t c) {
  if (c < 0x80 || !detail::known_to_nfd(c)) return 0;
  return utf8proc_get_property(static_cast<utf8proc_int32_t>(c))->combining_class;
}

void append_nfd(char32_t c, std::u32string& out) {
  if (c < 0x80 || !detail::known_to_nfd(c)) {
    out.push_back(c);
    return;
  }
  utf8proc_int32_t buf[8];
  int boundclass = 0;
  const utf8proc_ssize_t n =
      utf8proc_decompose_char(static_cast<utf8proc_int32_t>(c), buf, 8, UTF8PROC_DECOMPOSE, &boundclass);
  if (n <= 0 || n > 8) {  // cannot happen for a scalar value; keep the character as it is
    out.push_back(c);
    return;
  }
  for (utf8proc_ssize_t k = 0; k < n; ++k) out.push_back(static_cast<char32_t>(buf[k]));
}

void canonical_order(std::u32string& s) {
  size_t i = 0;
  while (i < s.size()) {
    if (combining_class(s[i]) == 0) {
      ++i;
      continue;
    }
    size_t j = i + 1;
    while (j < s.size() && combining_class(s[j]) != 0) ++j;
    if (j - i > 1) {
      std::stable_sort(s.begin() + static_cast<std::ptrdiff_t>(i), s.begin() + static_cast<std::ptrdiff_t>(j),
                       [](char32_t a, char32_t b) { return combining_class(a) < combining_class(b); });
    }
    i = j;
  }
}

namespace {
// Uppercase letters of Unicode 16.0 and 17.0 (newer than utf8proc 2.8's Unicode 15.0) and the
// distance to their lowercase, as Rust's std lowercases them.
struct CaseRange {
  char32_t first, last;
  int32_t delta;
};
constexpr CaseRange kNewerLowercase[] = {
    {0x1C89, 0x1C89, 1},             // CYRILLIC CAPITAL LETTER TJE
    {0xA7CB, 0xA7CB, 0x264 - 0xA7CB},  // LATIN CAPITAL LETTER RAMS HORN
    {0xA7CC, 0xA7CC, 1},             // LATIN CAPITAL LETTER S WITH DIAGONAL STROKE
    {0xA7CE, 0xA7CE, 1},             // (Unicode 17 Latin capitals: A7CE, A7D2, A7D4)
    {0xA7D2, 0xA7D2, 1},
    {0xA7D4, 0xA7D4, 1},
    {0xA7DA, 0xA7DA, 1},             // LATIN CAPITAL LETTER LAMBDA
    {0xA7DC, 0xA7DC, 0x19B - 0xA7DC},  // LATIN CAPITAL LETTER LAMBDA WITH STROKE
    {0x10D50, 0x10D65, 0x20},        // GARAY CAPITAL LETTERS
    {0x16EA0, 0x16EB8, 0x1B},        // BERIA ERFE CAPITAL LETTERS
};
}  // namespace

void append_lowercase(char32_t c, std::u32string& out) {
  if (c < 0x80) {
    out.push_back(c >= 'A' && c <= 'Z' ? c + 32 : c);
    return;
  }
  if (c == 0x130) {  // LATIN CAPITAL LETTER I WITH DOT ABOVE: "i" + COMBINING DOT ABOVE
    out.push_back('i');
    out.push_back(0x307);
    return;
  }
  for (const auto& r : kNewerLowercase) {
    if (c >= r.first && c <= r.last) {
      out.push_back(static_cast<char32_t>(static_cast<int32_t>(c) + r.delta));
      return;
    }
  }
  out.push_back(static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(c))));
}

}  // namespace mulan::text
