// libFuzzer target for the BERT tokenizer: any bytes as text (invalid UTF-8 included) through
// clean-up, NFD, lowercasing, splitting and WordPiece, with a small vocabulary built here.
// Checks what must hold for every input and traps when it does not.
// Built and run by scripts/fuzz.sh under AddressSanitizer and UBSan, without LibTorch.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mulan/tokenizer.h"
#include "text/unicode.h"

namespace {

const mulan::text::Tokenizer& tokenizer(bool short_words) {
  static const auto make = [](int64_t max_length, int64_t max_chars) {
    mulan::text::TokenizerConfig config;
    config.max_length = max_length;
    config.max_input_chars_per_word = max_chars;
    return mulan::text::Tokenizer(
        mulan::text::Vocab::from_tokens({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "a", "b", "e", "##a", "##b", "##e",
                                         "ab", "##ab", "lo", "fi", "-", "!", "é", "音", "##音", "д", "##д", "##",
                                         "#", "i", "##i", "##\u0307", "σ", "ω", "\u1100", "##\u1161"},
                                        "fuzz-vocab"),
        config);
  };
  static const mulan::text::Tokenizer long_tok = make(512, 100), short_tok = make(9, 3);
  return short_words ? short_tok : long_tok;
}

void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (bool short_words : {false, true}) {
    const auto& tok = tokenizer(short_words);
    const std::vector<int64_t> ids = tok.encode(text);
    check(ids.size() >= 2 && static_cast<int64_t>(ids.size()) <= tok.config().max_length);
    check(ids.front() == tok.cls_id() && ids.back() == tok.sep_id());
    for (int64_t id : ids) check(id >= 0 && id < tok.vocab().size());

    const auto batch = tok.encode_batch({std::string(text.substr(0, size / 2)), std::string(text)});
    check(batch.batch == 2 && batch.ids.size() == static_cast<size_t>(2 * batch.length));
    check(batch.ids.size() == batch.attention_mask.size());
    check(std::equal(ids.begin(), ids.end(), batch.ids.begin() + batch.length));
  }
  // The words are valid UTF-8, never empty and hold no whitespace.
  for (const std::string& w : mulan::text::basic_tokenize(text)) {
    check(!w.empty() && mulan::text::is_valid_utf8(w));
    for (char c : w) check(c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\0');
  }
  return 0;
}
