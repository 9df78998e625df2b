// UTF-8 <-> ICU UnicodeString for the mining text functions (text_mining.h), with the checks
// they share. ICU works in UTF-16; these convert at the edges only.
#pragma once

#include <unicode/regex.h>
#include <unicode/unistr.h>

#include <memory>
#include <string>
#include <string_view>

namespace mulan::text::icu_text {

// Throws mulan::Error "WHAT: not valid UTF-8" unless s is well-formed UTF-8.
void require_utf8(std::string_view s, const char* what);

// s must be valid UTF-8 (require_utf8 first).
icu::UnicodeString from_utf8(std::string_view s);
std::string to_utf8(const icu::UnicodeString& s);
std::string to_utf8(const icu::UnicodeString& s, int32_t start, int32_t limit);

// Compiles an ICU regex (case-insensitive when asked); throws mulan::Error "WHERE: MESSAGE"
// with ICU's error name and the offset of the problem when it does not compile.
std::shared_ptr<const icu::RegexPattern> compile(const icu::UnicodeString& pattern, bool case_insensitive,
                                                 const std::string& where);

// A letter, a mark or a number (general category L*, M*, N*): what a whole-word match may not
// touch.
bool is_word_char(UChar32 c);

}  // namespace mulan::text::icu_text
