#include "text/wordpiece.h"

#include <algorithm>

namespace mulan::text {

namespace {
bool is_continuation_byte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }
}  // namespace

WordPiece::WordPiece(const Vocab& vocab, int64_t unk_id, int64_t max_input_chars_per_word)
    : unk_id_(unk_id), max_chars_(max_input_chars_per_word) {
  const auto& tokens = vocab.tokens();
  first_.reserve(tokens.size());
  for (size_t id = 0; id < tokens.size(); ++id) {
    const std::string& t = tokens[id];
    if (t.empty()) continue;
    first_.emplace(t, static_cast<int64_t>(id));
    longest_first_ = std::max(longest_first_, t.size());
    if (t.size() > kContinuation.size() && t.compare(0, kContinuation.size(), kContinuation) == 0) {
      continuation_.emplace(t.substr(kContinuation.size()), static_cast<int64_t>(id));
      longest_continuation_ = std::max(longest_continuation_, t.size() - kContinuation.size());
    }
  }
}

int64_t WordPiece::find(const Map& map, std::string_view piece) const {
  const auto it = map.find(piece);
  return it == map.end() ? -1 : it->second;
}

void WordPiece::encode_word(std::string_view word, std::vector<int64_t>& ids) const {
  int64_t chars = 0;
  for (char c : word) chars += is_continuation_byte(c) ? 0 : 1;
  if (chars > max_chars_) {
    ids.push_back(unk_id_);
    return;
  }
  const size_t first_id = ids.size();
  size_t start = 0;
  while (start < word.size()) {
    const bool first = start == 0;
    const Map& map = first ? first_ : continuation_;
    // Longest candidate first: the rest of the word, or as much as the longest token holds.
    size_t end = std::min(word.size(), start + (first ? longest_first_ : longest_continuation_));
    while (end > start && end < word.size() && is_continuation_byte(word[end])) --end;
    int64_t id = -1;
    while (end > start) {
      id = find(map, word.substr(start, end - start));
      if (id >= 0) break;
      do --end;  // drop the last character of the candidate
      while (end > start && is_continuation_byte(word[end]));
    }
    if (id < 0) {  // no piece fits here: the whole word is unknown
      ids.resize(first_id);
      ids.push_back(unk_id_);
      return;
    }
    ids.push_back(id);
    start = end;
  }
}

}  // namespace mulan::text
