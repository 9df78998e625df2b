// Vocab: vocab.txt reading and token <-> id lookup.
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "mulan/error.h"
#include "mulan/tokenizer.h"
#include "text/unicode.h"
#include "util/read_file.h"

namespace mulan::text {

namespace {

// Drops trailing whitespace (White_Space, as Rust's trim_end that HF applies to each line).
void trim_end(std::string& line) {
  std::u32string cps;
  decode_utf8(line, cps);
  size_t keep = cps.size();
  while (keep > 0 && is_whitespace(cps[keep - 1])) --keep;
  if (keep == cps.size()) return;
  std::string trimmed;
  for (size_t i = 0; i < keep; ++i) append_utf8(cps[i], trimmed);
  line = std::move(trimmed);
}

}  // namespace

Vocab Vocab::load(const std::string& path) {
  std::istringstream in(read_file(path, kMaxVocabBytes, "a vocab.txt"));
  std::vector<std::string> tokens;
  std::string line;
  while (std::getline(in, line)) {
    if (!is_valid_utf8(line)) {
      throw Error(file_error(path, "line " + std::to_string(tokens.size() + 1) + " is not valid UTF-8"));
    }
    trim_end(line);
    tokens.push_back(std::move(line));
  }
  if (in.bad()) throw Error(file_error(path, std::string("read error: ") + std::strerror(errno)));
  if (tokens.empty()) throw Error(file_error(path, "is empty; a vocab.txt has one token a line"));
  return from_tokens(std::move(tokens), path);
}

Vocab Vocab::from_tokens(std::vector<std::string> tokens, std::string origin) {
  Vocab v;
  v.origin_ = std::move(origin);
  v.ids_.reserve(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i].empty()) continue;  // a blank line keeps its id but no lookup can reach it
    const auto [it, inserted] = v.ids_.emplace(tokens[i], static_cast<int64_t>(i));
    if (!inserted) {
      throw Error(file_error(v.origin_, "line " + std::to_string(i + 1) + ": token '" + tokens[i] +
                                            "' repeats line " + std::to_string(it->second + 1)));
    }
  }
  v.tokens_ = std::move(tokens);
  return v;
}

std::optional<int64_t> Vocab::find(std::string_view token) const {
  const auto it = ids_.find(token);
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

const std::string& Vocab::token(int64_t id) const {
  if (id < 0 || id >= size()) {
    throw Error(file_error(origin_, "no token has id " + std::to_string(id) + " (the vocabulary has " +
                                        std::to_string(size()) + ")"));
  }
  return tokens_[static_cast<size_t>(id)];
}

}  // namespace mulan::text
