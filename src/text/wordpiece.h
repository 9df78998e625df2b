// Greedy longest-match-first WordPiece, as Hugging Face tokenizers' WordPiece model: a word is
// cut into the longest vocabulary entry that starts it, then the longest "##" continuation
// that follows, and so on; a word that cannot be covered, or that has more than
// max_input_chars_per_word characters, is one [UNK].
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mulan/tokenizer.h"

namespace mulan::text {

class WordPiece {
 public:
  static constexpr std::string_view kContinuation = "##";

  WordPiece(const Vocab& vocab, int64_t unk_id, int64_t max_input_chars_per_word);

  // Appends the ids of one word (non-empty, normalised, no whitespace) to ids.
  void encode_word(std::string_view word, std::vector<int64_t>& ids) const;

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Map = std::unordered_map<std::string, int64_t, Hash, std::equal_to<>>;
  int64_t find(const Map& map, std::string_view piece) const;

  Map first_;         // every token, for the piece that starts a word
  Map continuation_;  // tokens "##x", keyed by x, for the pieces after it
  size_t longest_first_ = 0, longest_continuation_ = 0;  // bytes; no match can be longer
  int64_t unk_id_;
  int64_t max_chars_;
};

}  // namespace mulan::text
