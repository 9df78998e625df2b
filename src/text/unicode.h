// Unicode helpers of the BERT tokenizer: UTF-8 in and out, and the character classes and
// mappings exactly as Hugging Face tokenizers' BertNormalizer and BertPreTokenizer use them
// (tokenizers/src/normalizers/bert.rs, pre_tokenizers/bert.rs). Backed by libutf8proc.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mulan::text {

inline constexpr char32_t kReplacementChar = 0xFFFD;

// Decodes UTF-8 into code points, appending to out. Never fails: every ill-formed sequence
// (a stray continuation byte, a truncated or overlong sequence, a surrogate, a value above
// U+10FFFF) becomes one U+FFFD per maximal subpart, as the Unicode standard recommends and as
// Python's decode(errors="replace") does. The BERT clean-up then drops the U+FFFD.
void decode_utf8(std::string_view s, std::u32string& out);
// Appends the UTF-8 encoding of one Unicode scalar value.
void append_utf8(char32_t c, std::string& out);
// Whether s is well-formed UTF-8.
bool is_valid_utf8(std::string_view s);

// Rust's char::is_whitespace (the White_Space property): \t \n \v \f \r, space, U+0085, NBSP,
// U+1680, U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000.
bool is_whitespace(char32_t c);
// HF's is_control: general category Cc, Cf or Co, except \t \n \r (which are whitespace).
// Like every category test here, it uses the categories of Unicode 8.0, as HF does (see
// make_unicode_tables.pl): a later character is unassigned, so kept and not punctuation.
bool is_control(char32_t c);
// HF's BERT punctuation: ASCII 33-47, 58-64, 91-96, 123-126, or general category P*.
bool is_punctuation(char32_t c);
// HF's is_chinese_char: the CJK Unified Ideographs blocks (and extensions A to E) and the CJK
// Compatibility Ideographs; not kana, hangul or CJK punctuation.
bool is_chinese_char(char32_t c);
// General category Mn: what "strip accents" drops after NFD.
bool is_nonspacing_mark(char32_t c);
// The canonical combining class (0 for starters), as HF's Unicode 9.0 NFD tables have it.
int combining_class(char32_t c);

// Appends the full canonical decomposition (NFD) of one character, not yet reordered; as HF,
// a character that Unicode 9.0 did not have stays as it is.
void append_nfd(char32_t c, std::u32string& out);
// Puts every run of non-starters into canonical order (stable by combining class), which
// completes NFD after append_nfd.
void canonical_order(std::u32string& s);
// Appends Rust's char::to_lowercase of c: the full lowercase mapping (U+0130 gives two
// characters), without context (a final sigma lowercases to U+03C3 like any other), with the
// case pairs of Unicode 16 and 17 that Rust's std has and utf8proc 2.8 has not.
void append_lowercase(char32_t c, std::u32string& out);

namespace detail {
struct CodepointRange {
  char32_t first, last;
};
// unicode_tables.cpp (from make_unicode_tables.pl): the code points assigned by Unicode 8.0,
// which HF's category tables know, and those Unicode 9.0 added, which its NFD tables know too.
extern const CodepointRange kAssignedByUnicode8[];
extern const size_t kAssignedByUnicode8Size;
extern const CodepointRange kAssignedInUnicode9[];
extern const size_t kAssignedInUnicode9Size;
// The general category (a utf8proc_category_t value) that HF tokenizers sees: Unicode 8.0's,
// so Cn for anything assigned later.
int hf_category(char32_t c);
}  // namespace detail

}  // namespace mulan::text
