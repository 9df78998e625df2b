// BERT's "basic tokenizer": the text normalised and cut into words, exactly as Hugging Face
// tokenizers' BertNormalizer (clean_text, handle_chinese_chars, strip_accents, lowercase all
// on) followed by BertPreTokenizer does it. WordPiece then splits each word.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace mulan::text {

// The words of a text: spans into one normalised UTF-8 string.
struct Words {
  struct Span {
    size_t begin, size;  // bytes of text
  };
  std::string text;         // the words, normalised, back to back
  std::vector<Span> spans;  // one per word, in order
  size_t size() const { return spans.size(); }
  std::string_view operator[](size_t i) const { return std::string_view(text).substr(spans[i].begin, spans[i].size); }
};

// Normalises text and splits it into words, replacing the contents of out. In order, as HF's
// BertNormalizer: (1) clean: drop NUL, U+FFFD and control characters (Cc, Cf, Co), map
// whitespace to a space; (2) put a space on both sides of every CJK ideograph; (3) strip
// accents: NFD, then drop nonspacing marks (Mn); (4) lowercase (Rust's full mapping). Then, as
// BertPreTokenizer: split on whitespace (dropped) and on punctuation (each mark its own word).
// Invalid UTF-8 decodes to U+FFFD, which step (1) drops; the function never fails.
void split_words(std::string_view text, Words& out);

}  // namespace mulan::text
