// The text side of mining a crawl (`mulan mine`, docs/mining.md): sentences of long-form text,
// the token count of the mining report, and the rule-based filter of short-form text (titles and
// tags) whose rules live in a data file (data/mining/sf-rules.txt) that a user can read and
// extend. Every function takes UTF-8 and throws mulan::Error for text that is not valid UTF-8.
// All of it is safe to call from many threads at once (an SfRules object is read-only after
// load and extend).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace mulan::text {

// The sentences of a description or a comment, in order, each trimmed of white space; empty
// pieces are dropped. ICU's sentence rules (UAX #29) with its English abbreviation list
// ("en@ss=standard": "Mr.", "vs.", "Op." ...), and on top of them:
// - every line break ends a sentence, so a line without punctuation ("0:45 intro") is one;
// - no break inside a URL ("www.example.com/a.b", "https://x.io/watch?v=a!B"), a bare domain
//   with a path ("youtu.be/AbC?t=1") or an e-mail address, nor inside a "word" (no white
//   space) of over 2,000 characters with a '.' or '@' in it;
// - no break after a further abbreviation, case-insensitively ("Dr.", "feat.", "ft.", "prod.",
//   "e.g.", "i.e.", "z.B.", "bzw.", "Mme.", "Sra." ...), after an initial ("J. S. Bach") or after
//   a piece that is only a list number ("1. Intro");
// - emoji and emoticons that ICU would put at the start of the next sentence ("Great song! 🔥🔥
//   Love it") stay at the end of the one they follow.
// Decimal numbers and times ("3.5", "1:23"), ellipses ("Wait... what?") and "?!" are ICU's own.
// A line of emoji only is a sentence of its own. Time and memory grow with the text's length
// (a 1 MB line of any kind takes well under a second).
std::vector<std::string> split_sentences(std::string_view text);

// The mining report's token: a maximal run of characters that are not White_Space (Unicode)
// containing at least one letter or digit (general category L* or N*). "[Official" is one
// token; "-", "|" and "🔥" are none; "https://x.io/a", "2021-03-04" and "#jazz" are one each.
int64_t count_tokens(std::string_view text);

// The longest SF text (a title or a tag) the filter takes, in bytes of UTF-8.
inline constexpr size_t kSfMaxBytes = 20000;

// What the SF filter did to one text.
struct SfResult {
  bool kept = false;          // still has a music word or phrase after the clean-up
  std::string text;           // the cleaned text (also when not kept, for --explain)
  int64_t tokens_before = 0;  // count_tokens of the input
  int64_t tokens_after = 0;   // count_tokens of `text`, kept or not
  // One entry per removal, in order: "MATCHED <- RULE (FILE:LINE)", e.g.
  // "Official Video <- phrase 'official video' (sf-rules.txt:61)".
  std::vector<std::string> removed;
  std::string reason;  // "" when kept, "empty" when no token is left, else "no music words left"
};

// The SF rule filter: a rules file's sections, compiled (regexes as ICU regular expressions,
// Unicode-aware and case-insensitive; phrases as whole words, case-folded). The top of
// data/mining/sf-rules.txt documents the format and the order in which the rules apply.
class SfRules {
 public:
  // The project's rules (data/mining/sf-rules.txt, built into the library).
  static SfRules builtin();
  // A rules file; mulan::Error "FILE:LINE: what is wrong" for a bad line (an unknown section,
  // an entry outside a section, a regex ICU rejects, with ICU's message), FileNotFound for a
  // missing file.
  static SfRules load(const std::string& path);
  // Parses rules from text; `name` stands for the file in messages and in SfResult::removed.
  static SfRules parse(std::string_view text, const std::string& name);

  // Adds the rules of `more` to each section (after this one's regexes, which run in order).
  void extend(const SfRules& more);

  // mulan::Error for text that is not UTF-8 or longer than kSfMaxBytes, or when a regex rule
  // backtracks without bound on it (the message names the rule).
  SfResult apply(std::string_view text) const;

  // Whether the text contains a phrase of the music vocabulary (as apply() decides `kept`).
  bool has_music(std::string_view text) const;

  // Entries per section, for a summary line ("rules: 120 phrases, 14 regexes, ...").
  size_t remove_phrases() const;
  size_t remove_regexes() const;
  size_t keep_phrases() const;
  size_t music_phrases() const;

  SfRules(const SfRules&);
  SfRules& operator=(const SfRules&);
  SfRules(SfRules&&) noexcept;
  SfRules& operator=(SfRules&&) noexcept;
  ~SfRules();

  struct Impl;

 private:
  explicit SfRules(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mulan::text
