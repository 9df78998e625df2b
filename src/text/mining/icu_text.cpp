#include "text/mining/icu_text.h"

#include <unicode/uchar.h>
#include <unicode/utypes.h>

#include "mulan/error.h"
#include "text/unicode.h"

namespace mulan::text::icu_text {

void require_utf8(std::string_view s, const char* what) {
  if (!is_valid_utf8(s)) throw Error(std::string(what) + ": not valid UTF-8: \"" + printable(s.substr(0, 80)) + "\"");
}

icu::UnicodeString from_utf8(std::string_view s) {
  return icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), static_cast<int32_t>(s.size())));
}

std::string to_utf8(const icu::UnicodeString& s) {
  std::string out;
  s.toUTF8String(out);
  return out;
}

std::string to_utf8(const icu::UnicodeString& s, int32_t start, int32_t limit) {
  std::string out;
  s.tempSubStringBetween(start, limit).toUTF8String(out);
  return out;
}

std::shared_ptr<const icu::RegexPattern> compile(const icu::UnicodeString& pattern, bool case_insensitive,
                                                 const std::string& where) {
  UErrorCode status = U_ZERO_ERROR;
  UParseError parse{};
  std::shared_ptr<const icu::RegexPattern> p(
      icu::RegexPattern::compile(pattern, case_insensitive ? UREGEX_CASE_INSENSITIVE : 0, parse, status));
  if (U_FAILURE(status) || !p) {
    std::string message = where + ": bad regular expression (" + u_errorName(status);
    if (parse.offset >= 0) message += " at character " + std::to_string(parse.offset + 1);
    message += "): " + to_utf8(pattern);
    throw Error(message);
  }
  return p;
}

bool is_word_char(UChar32 c) {
  const int32_t mask = U_GC_L_MASK | U_GC_M_MASK | U_GC_N_MASK;
  return (U_GET_GC_MASK(c) & mask) != 0;
}

}  // namespace mulan::text::icu_text
