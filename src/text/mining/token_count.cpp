// count_tokens (text_mining.h): the token of the mining report, as the crawl generator counts it.
#include <utf8proc.h>

#include <string>

#include "mulan/text_mining.h"
#include "text/mining/icu_text.h"
#include "text/unicode.h"

namespace mulan::text {

namespace {
bool token_letter_or_digit(char32_t c) {
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(c))) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
      return true;
    default:
      return false;
  }
}
}  // namespace

int64_t count_tokens(std::string_view text) {
  icu_text::require_utf8(text, "count_tokens");
  std::u32string cps;
  decode_utf8(text, cps);
  int64_t tokens = 0;
  bool in_run = false, counted = false;
  for (char32_t c : cps) {
    if (is_whitespace(c)) {
      in_run = false;
      continue;
    }
    if (!in_run) {
      in_run = true;
      counted = false;
    }
    if (!counted && token_letter_or_digit(c)) {
      ++tokens;
      counted = true;
    }
  }
  return tokens;
}

}  // namespace mulan::text
