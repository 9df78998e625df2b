// Tokenizer: basic tokenizer + WordPiece + [CLS] ... [SEP] + truncation and padding, as HF
// tokenizers' BertProcessing with truncation to max_length and padding to the longest.
#include "mulan/tokenizer.h"

#include <algorithm>
#include <cstdint>

#include "mulan/error.h"
#include "text/basic_tokenizer.h"
#include "text/wordpiece.h"

namespace mulan::text {

void TokenizerConfig::validate() const {
  if (max_length < 2) {
    throw Error("tokenizer config: max_length must be at least 2 (for [CLS] and [SEP]), got " +
                std::to_string(max_length));
  }
  if (max_input_chars_per_word < 1) {
    throw Error("tokenizer config: max_input_chars_per_word must be at least 1, got " +
                std::to_string(max_input_chars_per_word));
  }
  for (const auto* t : {&cls_token, &sep_token, &unk_token, &pad_token}) {
    if (t->empty()) throw Error("tokenizer config: the special tokens must not be empty");
  }
}

std::vector<std::string> basic_tokenize(std::string_view text) {
  Words words;
  split_words(text, words);
  std::vector<std::string> out;
  out.reserve(words.size());
  for (size_t i = 0; i < words.size(); ++i) out.emplace_back(words[i]);
  return out;
}

struct Tokenizer::Impl {
  Vocab vocab;
  TokenizerConfig config;
  int64_t cls = 0, sep = 0, unk = 0, pad = 0;
  WordPiece wordpiece;

  Impl(Vocab v, TokenizerConfig c)
      : vocab(std::move(v)), config(std::move(c)), cls(special(config.cls_token)), sep(special(config.sep_token)),
        unk(special(config.unk_token)), pad(special(config.pad_token)),
        wordpiece(vocab, unk, config.max_input_chars_per_word) {}

  int64_t special(const std::string& token) const {
    const auto id = vocab.find(token);
    if (!id) throw Error(file_error(vocab.origin(), "has no '" + token + "' token, which BERT needs"));
    return *id;
  }

  // The word-piece ids of text, at most limit of them.
  std::vector<int64_t> pieces(std::string_view text, size_t limit) const {
    Words words;
    split_words(text, words);
    std::vector<int64_t> ids;
    ids.reserve(words.size() + words.size() / 2);
    for (size_t i = 0; i < words.size() && ids.size() < limit; ++i) wordpiece.encode_word(words[i], ids);
    if (ids.size() > limit) ids.resize(limit);
    return ids;
  }
};

Tokenizer::Tokenizer(Vocab vocab, TokenizerConfig config) {
  config.validate();
  impl_ = std::make_shared<const Impl>(std::move(vocab), std::move(config));
}

Tokenizer Tokenizer::load(const std::string& vocab_path, TokenizerConfig config) {
  return Tokenizer(Vocab::load(vocab_path), std::move(config));
}

std::vector<int64_t> Tokenizer::encode(std::string_view text) const {
  const auto limit = static_cast<size_t>(impl_->config.max_length - 2);
  std::vector<int64_t> pieces = impl_->pieces(text, limit);
  std::vector<int64_t> ids;
  ids.reserve(pieces.size() + 2);
  ids.push_back(impl_->cls);
  ids.insert(ids.end(), pieces.begin(), pieces.end());
  ids.push_back(impl_->sep);
  return ids;
}

std::vector<std::string> Tokenizer::tokenize(std::string_view text) const {
  return to_tokens(impl_->pieces(text, SIZE_MAX));
}

BatchEncoding Tokenizer::encode_batch(const std::vector<std::string>& texts) const {
  std::vector<std::vector<int64_t>> rows;
  rows.reserve(texts.size());
  for (const auto& t : texts) rows.push_back(encode(t));
  return pad_batch(rows);
}

BatchEncoding Tokenizer::pad_batch(const std::vector<std::vector<int64_t>>& rows) const {
  BatchEncoding b;
  b.batch = static_cast<int64_t>(rows.size());
  b.length = impl_->config.pad_to_max_length ? impl_->config.max_length : 0;
  for (const auto& r : rows) b.length = std::max(b.length, static_cast<int64_t>(r.size()));
  b.ids.assign(static_cast<size_t>(b.batch * b.length), impl_->pad);
  b.attention_mask.assign(b.ids.size(), 0);
  for (size_t r = 0; r < rows.size(); ++r) {
    const size_t row = r * static_cast<size_t>(b.length);
    std::copy(rows[r].begin(), rows[r].end(), b.ids.begin() + static_cast<std::ptrdiff_t>(row));
    std::fill_n(b.attention_mask.begin() + static_cast<std::ptrdiff_t>(row), rows[r].size(), 1);
  }
  return b;
}

std::vector<std::string> Tokenizer::to_tokens(const std::vector<int64_t>& ids) const {
  std::vector<std::string> out;
  out.reserve(ids.size());
  for (int64_t id : ids) out.push_back(impl_->vocab.token(id));
  return out;
}

const Vocab& Tokenizer::vocab() const { return impl_->vocab; }
const TokenizerConfig& Tokenizer::config() const { return impl_->config; }
int64_t Tokenizer::cls_id() const { return impl_->cls; }
int64_t Tokenizer::sep_id() const { return impl_->sep; }
int64_t Tokenizer::unk_id() const { return impl_->unk; }
int64_t Tokenizer::pad_id() const { return impl_->pad; }

}  // namespace mulan::text
