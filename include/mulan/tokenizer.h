// The text tower's tokenizer: BERT uncased WordPiece, token for token what Hugging Face
// tokenizers gives (BertNormalizer + BertPreTokenizer + WordPiece + BertProcessing), with no
// LibTorch dependency (docs/mulan-spec.md 1.4).
//
//   mulan::text::Tokenizer tok = mulan::text::Tokenizer::load("bert-base-uncased/vocab.txt");
//   std::vector<int64_t> ids = tok.encode("Melancholic lo-fi piano");  // [CLS] ... [SEP]
//   auto pieces = tok.to_tokens(ids);  // "[CLS]", ..., "lo", "-", "fi", ..., "[SEP]"
//   mulan::text::BatchEncoding b = tok.encode_batch({"rock", "80s synth-pop"});
//   // b.ids, b.attention_mask: [2, L] row-major, L the longer sequence's length; the shorter
//   // row is padded with [PAD]'s id, and its mask is 0 there
//
// Invalid UTF-8 is not refused: each ill-formed byte sequence becomes U+FFFD, which the
// clean-up step drops, as Python's decode(errors="replace") followed by BERT would. Empty
// text gives [CLS] [SEP]. Every function is const and safe to call from several threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace mulan::text {

struct TokenizerConfig {
  // Longest sequence, [CLS] and [SEP] included; a longer text keeps its first max_length - 2
  // word pieces and still ends with [SEP]. At least 2. Default 512, BERT-base's positions.
  int64_t max_length = 512;
  // Pad every batch to max_length instead of to its longest member. Default false.
  bool pad_to_max_length = false;
  // A word longer than this many characters (after normalisation) becomes one [UNK].
  // Default 100, as BERT's max_input_chars_per_word.
  int64_t max_input_chars_per_word = 100;
  // The token put in front of every sequence. Default "[CLS]".
  std::string cls_token = "[CLS]";
  // The token put at the end of every sequence. Default "[SEP]".
  std::string sep_token = "[SEP]";
  // The token for a word that WordPiece cannot split or that is too long. Default "[UNK]".
  std::string unk_token = "[UNK]";
  // The token that pads a batch (attention mask 0). Default "[PAD]".
  std::string pad_token = "[PAD]";

  // Throws mulan::Error naming the first bad field.
  void validate() const;
};

// A WordPiece vocabulary: token strings and their ids (vocab.txt: one token a line, the
// line number counted from 0 is the id; trailing whitespace and "\r" are ignored, as HF does).
class Vocab {
 public:
  // Reads vocab.txt. Throws mulan::Error naming the file: missing or unreadable file, an
  // empty file, a line that is not UTF-8, a token that repeats (with both line numbers).
  static Vocab load(const std::string& path);
  // A vocabulary from tokens in id order; origin names it in error messages.
  static Vocab from_tokens(std::vector<std::string> tokens, std::string origin = "<vocab>");

  int64_t size() const { return static_cast<int64_t>(tokens_.size()); }
  // The id of a token, if the vocabulary has it.
  std::optional<int64_t> find(std::string_view token) const;
  // The token of an id; throws mulan::Error when id is out of range.
  const std::string& token(int64_t id) const;
  const std::vector<std::string>& tokens() const { return tokens_; }
  // The file it came from (or from_tokens' origin).
  const std::string& origin() const { return origin_; }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::vector<std::string> tokens_;
  std::unordered_map<std::string, int64_t, Hash, std::equal_to<>> ids_;
  std::string origin_;
};

// A batch padded to one length, row-major.
struct BatchEncoding {
  int64_t batch = 0;                    // rows: the number of texts
  int64_t length = 0;                   // columns: the longest member, or max_length if padded so
  std::vector<int64_t> ids;             // [batch, length]; padding is [PAD]'s id
  std::vector<int64_t> attention_mask;  // [batch, length]; 1 for a token, 0 for padding
};

// The words of a text as BERT's basic tokenizer sees them (normalised, split on whitespace and
// punctuation), before WordPiece: basic_tokenize("Héllo, WORLD!") == {"hello", ",", "world", "!"}.
std::vector<std::string> basic_tokenize(std::string_view text);

class Tokenizer {
 public:
  // Throws mulan::Error naming the vocabulary's origin when it lacks one of the special tokens
  // of config, or when config is invalid.
  explicit Tokenizer(Vocab vocab, TokenizerConfig config = {});
  // Tokenizer(Vocab::load(vocab_path), config).
  static Tokenizer load(const std::string& vocab_path, TokenizerConfig config = {});

  // [CLS] word pieces [SEP], truncated to max_length (the [SEP] kept).
  std::vector<int64_t> encode(std::string_view text) const;
  // The word pieces of a text as strings, without [CLS], [SEP] or truncation.
  std::vector<std::string> tokenize(std::string_view text) const;
  // encode() of each text, padded to the longest (or to max_length with pad_to_max_length).
  BatchEncoding encode_batch(const std::vector<std::string>& texts) const;
  // Rows that encode() gave, padded into one batch as encode_batch pads them (for callers that
  // encode first, to group texts by length).
  BatchEncoding pad_batch(const std::vector<std::vector<int64_t>>& rows) const;
  // The token strings of ids; throws mulan::Error for an id outside the vocabulary.
  std::vector<std::string> to_tokens(const std::vector<int64_t>& ids) const;

  const Vocab& vocab() const;
  const TokenizerConfig& config() const;
  int64_t cls_id() const;
  int64_t sep_id() const;
  int64_t unk_id() const;
  int64_t pad_id() const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;  // immutable, so copies share it
};

}  // namespace mulan::text
