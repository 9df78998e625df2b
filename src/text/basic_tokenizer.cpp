#include "text/basic_tokenizer.h"

#include "text/unicode.h"

namespace mulan::text {

namespace {

// Steps (1) to (3) up to NFD: the cleaned, CJK-spaced, decomposed and reordered characters.
void clean_and_decompose(const std::u32string& in, std::u32string& out) {
  bool non_starter = false;
  for (char32_t c : in) {
    if (c < 0x80) {
      if (is_control(c)) continue;  // (NUL is a control character)
      out.push_back(is_whitespace(c) ? U' ' : c);
      continue;
    }
    if (c == kReplacementChar || is_control(c)) continue;
    if (is_whitespace(c)) {
      out.push_back(U' ');
      continue;
    }
    const bool cjk = is_chinese_char(c);
    if (cjk) out.push_back(U' ');
    const size_t first = out.size();
    append_nfd(c, out);
    for (size_t k = first; k < out.size() && !non_starter; ++k) non_starter = combining_class(out[k]) != 0;
    if (cjk) out.push_back(U' ');
  }
  if (non_starter) canonical_order(out);
}

void end_word(Words& out, size_t& word_begin) {
  if (out.text.size() > word_begin) {
    out.spans.push_back({word_begin, out.text.size() - word_begin});
  }
  word_begin = out.text.size();
}

// Appends one normalised character to the words: whitespace ends a word, punctuation is a word.
void add_char(char32_t c, Words& out, size_t& word_begin) {
  if (is_whitespace(c)) {
    end_word(out, word_begin);
  } else if (is_punctuation(c)) {
    end_word(out, word_begin);
    append_utf8(c, out.text);
    end_word(out, word_begin);
  } else {
    append_utf8(c, out.text);
  }
}

}  // namespace

void split_words(std::string_view text, Words& out) {
  out.text.clear();
  out.spans.clear();
  std::u32string decoded, nfd, lower;
  decoded.reserve(text.size());
  decode_utf8(text, decoded);
  nfd.reserve(decoded.size() + decoded.size() / 4);
  clean_and_decompose(decoded, nfd);

  out.text.reserve(text.size());
  size_t word_begin = 0;
  for (char32_t c : nfd) {
    if (c < 0x80) {
      add_char(c >= 'A' && c <= 'Z' ? c + 32 : c, out, word_begin);
      continue;
    }
    if (is_nonspacing_mark(c)) continue;  // (3) strip accents
    lower.clear();
    append_lowercase(c, lower);  // (4)
    for (char32_t l : lower) add_char(l, out, word_begin);
  }
  end_word(out, word_begin);
}

}  // namespace mulan::text
