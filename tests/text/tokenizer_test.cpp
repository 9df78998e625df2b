// The BERT tokenizer's behaviours, one at a time, on small hand-made vocabularies. The
// differential test against Hugging Face tokenizers is tokenizer_reference_test.cpp.
#include "mulan/tokenizer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "mulan/error.h"
#include "support/test_support.h"
#include "text/unicode.h"

namespace mulan::text {
namespace {

using Strings = std::vector<std::string>;
using Ids = std::vector<int64_t>;

// [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3, then word pieces.
Vocab small_vocab() {
  return Vocab::from_tokens({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "un", "##aff", "##able", "a", "##a", "b", "c", ",",
                             "!", "-", "lo", "fi", "д", "##д", "runn", "##ing", "run", "##n", "hello", "world"},
                            "small-vocab");
}

std::string repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

std::string write_file(const test::TempDir& dir, const std::string& name, const std::string& contents) {
  const std::string path = dir.file(name);
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

// Expects f() to throw mulan::Error with a message containing every one of parts.
template <typename F>
void expect_error(F f, const Strings& parts) {
  try {
    f();
    ADD_FAILURE() << "no mulan::Error thrown";
  } catch (const Error& e) {
    for (const auto& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
  }
}

TEST(BasicTokenizer, LowercasesStripsAccentsAndIsolatesPunctuation) {
  EXPECT_EQ(basic_tokenize("Héllo, WORLD!"), (Strings{"hello", ",", "world", "!"}));
  EXPECT_EQ(basic_tokenize("Motörhead  Björk\tCAFÉ"), (Strings{"motorhead", "bjork", "cafe"}));
}

TEST(BasicTokenizer, SplitsMusicJargonOnEveryPunctuationMark) {
  EXPECT_EQ(basic_tokenize("lo-fi r&b c#m AC/DC drum'n'bass 140bpm 80s"),
            (Strings{"lo", "-", "fi", "r", "&", "b", "c", "#", "m", "ac", "/", "dc", "drum", "'", "n", "'", "bass",
                     "140bpm", "80s"}));
  EXPECT_EQ(basic_tokenize("...¿qué?«»"), (Strings{".", ".", ".", "¿", "que", "?", "«", "»"}));
  // Symbols that are not punctuation (S*) stay inside words.
  EXPECT_EQ(basic_tokenize("a♭ $5 x+y"), (Strings{"a♭", "$", "5", "x", "+", "y"}));
}

TEST(BasicTokenizer, CjkIdeographsBecomeWordsButKanaAndHangulDoNot) {
  EXPECT_EQ(basic_tokenize("中文歌曲abc"), (Strings{"中", "文", "歌", "曲", "abc"}));
  EXPECT_EQ(basic_tokenize("豈"), (Strings{"豈"}));  // U+F900 decomposes to U+8C48
  EXPECT_EQ(basic_tokenize("豈")[0], "\xE8\xB1\x88");
  // ポ and プ decompose (NFD) into a kana and a combining mark, which is dropped.
  EXPECT_EQ(basic_tokenize("\u30DD\u30C3\u30D7"), (Strings{"\u30DB\u30C3\u30D5"}));
  // Hangul syllables decompose into jamo, which are letters and stay together.
  EXPECT_EQ(basic_tokenize("음악"), (Strings{"\u110b\u1173\u11b7\u110b\u1161\u11a8"}));
}

TEST(BasicTokenizer, DropsNulReplacementAndControlCharacters) {
  const char raw[] = "a\0b\x01" "c\xEF\xBF\xBD" "d\x7F" "e\u200Bf\u200Dg\uFEFFh";
  EXPECT_EQ(basic_tokenize(std::string(raw, sizeof(raw) - 1)), (Strings{"abcdefgh"}));
  EXPECT_EQ(basic_tokenize("\x1B[31mred"), (Strings{"[", "31mred"}));
}

TEST(BasicTokenizer, EveryWhitespaceSplits) {
  EXPECT_EQ(basic_tokenize("a\tb\u00A0c\u3000d\u2028e\r\nf\u2003g\u202Fh"),
            (Strings{"a", "b", "c", "d", "e", "f", "g", "h"}));
  // Vertical tab, form feed and NEL are control characters: dropped, not spaces (as HF).
  EXPECT_EQ(basic_tokenize("a\vb\fc\u0085d"), (Strings{"abcd"}));
}

TEST(BasicTokenizer, StripsAccentsBeforeLowercasing) {
  EXPECT_EQ(basic_tokenize("İstanbul"), (Strings{"istanbul"}));  // NFD drops the dot first
  EXPECT_EQ(basic_tokenize("ΟΔΟΣ \u2126"), (Strings{"οδοσ", "ω"}));  // no final sigma; ohm sign
  EXPECT_EQ(basic_tokenize("e\u0301 \u00e9 o\u0323\u0302"), (Strings{"e", "e", "o"}));
  EXPECT_EQ(basic_tokenize("Straße ﬁ"), (Strings{"straße", "ﬁ"}));  // no compatibility mapping
}

TEST(BasicTokenizer, InvalidUtf8BecomesReplacementCharactersThatAreDropped) {
  EXPECT_EQ(basic_tokenize("ab\xFF" "cd"), (Strings{"abcd"}));
  EXPECT_EQ(basic_tokenize("x\xC3"), (Strings{"x"}));                  // truncated at the end
  EXPECT_EQ(basic_tokenize("\xC0\xAF" "y\xED\xA0\x80z"), (Strings{"yz"}));  // overlong, surrogate
  EXPECT_EQ(basic_tokenize("\xF4\x90\x80\x80!"), (Strings{"!"}));       // above U+10FFFF
  EXPECT_TRUE(basic_tokenize("\x80\x80\xFE").empty());
}

TEST(Utf8, DecodesOneReplacementPerMaximalSubpart) {
  std::u32string out;
  decode_utf8("\xF0\x9F\x8E" "a\xE0\x80\x80" "\xF0\x9F\x8E\xB5", out);
  const char32_t r = kReplacementChar;
  EXPECT_EQ(out, (std::u32string{r, U'a', r, r, r, 0x1F3B5}));
  EXPECT_TRUE(is_valid_utf8("héllo 🎵"));
  EXPECT_FALSE(is_valid_utf8("\xEF\xBF"));
  EXPECT_FALSE(is_valid_utf8("\xC1\xBF"));
}

TEST(Tokenizer, EmptyTextGivesClsSep) {
  const Tokenizer tok(small_vocab());
  EXPECT_EQ(tok.encode(""), (Ids{2, 3}));
  EXPECT_EQ(tok.encode(" \t\n\u3000"), (Ids{2, 3}));
  EXPECT_EQ(tok.encode(std::string("\0\0", 2)), (Ids{2, 3}));
  EXPECT_TRUE(tok.tokenize("").empty());
}

TEST(WordPiece, SplitsIntoLongestPiecesFirst) {
  const Tokenizer tok(small_vocab());
  EXPECT_EQ(tok.tokenize("unaffable"), (Strings{"un", "##aff", "##able"}));
  EXPECT_EQ(tok.tokenize("running"), (Strings{"runn", "##ing"}));  // not run ##n ##ing
  EXPECT_EQ(tok.encode("Hello, world!"), (Ids{2, 22, 11, 23, 12, 3}));
  EXPECT_EQ(tok.tokenize("LO-FI"), (Strings{"lo", "-", "fi"}));
}

TEST(WordPiece, SplitsUnknownWordIntoUnk) {
  const Tokenizer tok(small_vocab());
  EXPECT_EQ(tok.tokenize("unxyz"), (Strings{"[UNK]"}));  // "un" fits, the rest does not: one [UNK]
  EXPECT_EQ(tok.tokenize("hello zzz world"), (Strings{"hello", "[UNK]", "world"}));
  EXPECT_EQ(tok.tokenize("🎵"), (Strings{"[UNK]"}));
}

TEST(WordPiece, WordOverMaxInputCharsIsUnk) {
  const Tokenizer tok(small_vocab());
  const Strings hundred = tok.tokenize(repeat("a", 100));
  ASSERT_EQ(hundred.size(), 100u);
  EXPECT_EQ(hundred[0], "a");
  EXPECT_EQ(hundred[99], "##a");
  EXPECT_EQ(tok.tokenize(repeat("a", 101)), (Strings{"[UNK]"}));
  EXPECT_EQ(tok.tokenize(repeat("a", 101) + " b"), (Strings{"[UNK]", "b"}));
  // Characters are counted after normalisation (é -> e) and not in bytes (д is two bytes).
  EXPECT_EQ(tok.tokenize(repeat("A\u0301", 100)).size(), 100u);
  EXPECT_EQ(tok.tokenize(repeat("д", 100)).size(), 100u);
  EXPECT_EQ(tok.tokenize(repeat("д", 101)), (Strings{"[UNK]"}));

  TokenizerConfig config;
  config.max_input_chars_per_word = 3;
  const Tokenizer short_words(small_vocab(), config);
  EXPECT_EQ(short_words.tokenize("aaa aaaa"), (Strings{"a", "##a", "##a", "[UNK]"}));
}

TEST(Tokenizer, TruncationKeepsSepAtTheEnd) {
  TokenizerConfig config;
  config.max_length = 5;
  const Tokenizer tok(small_vocab(), config);
  EXPECT_EQ(tok.encode("a b c hello world"), (Ids{2, 7, 9, 10, 3}));
  EXPECT_EQ(tok.encode("unaffable b"), (Ids{2, 4, 5, 6, 3}));
  EXPECT_EQ(tok.encode("a b"), (Ids{2, 7, 9, 3}));  // short texts are not padded
  config.max_length = 2;
  EXPECT_EQ(Tokenizer(small_vocab(), config).encode("a b c"), (Ids{2, 3}));

  const Tokenizer full(small_vocab());
  std::string many;
  for (int i = 0; i < 600; ++i) many += "b ";
  const Ids ids = full.encode(many);
  ASSERT_EQ(ids.size(), 512u);
  EXPECT_EQ(ids.front(), 2);
  EXPECT_EQ(ids[510], 9);
  EXPECT_EQ(ids.back(), 3);
}

TEST(Tokenizer, BatchIsPaddedToItsLongestMemberWithAMask) {
  const Tokenizer tok(small_vocab());
  const BatchEncoding b = tok.encode_batch({"a b c", "", "hello"});
  EXPECT_EQ(b.batch, 3);
  EXPECT_EQ(b.length, 5);
  EXPECT_EQ(b.ids, (Ids{2, 7, 9, 10, 3, /**/ 2, 3, 0, 0, 0, /**/ 2, 22, 3, 0, 0}));
  EXPECT_EQ(b.attention_mask, (Ids{1, 1, 1, 1, 1, /**/ 1, 1, 0, 0, 0, /**/ 1, 1, 1, 0, 0}));

  const BatchEncoding none = tok.encode_batch({});
  EXPECT_EQ(none.batch, 0);
  EXPECT_TRUE(none.ids.empty());
}

TEST(Tokenizer, PadToMaxLengthOnlyWhenAsked) {
  TokenizerConfig config;
  config.max_length = 6;
  config.pad_to_max_length = true;
  // [PAD] need not be id 0: put it last.
  const Tokenizer tok(Vocab::from_tokens({"[UNK]", "[CLS]", "[SEP]", "a", "[PAD]"}), config);
  const BatchEncoding b = tok.encode_batch({"a", "a a a a a a a"});
  EXPECT_EQ(b.length, 6);
  EXPECT_EQ(b.ids, (Ids{1, 3, 2, 4, 4, 4, /**/ 1, 3, 3, 3, 3, 2}));
  EXPECT_EQ(b.attention_mask, (Ids{1, 1, 1, 0, 0, 0, /**/ 1, 1, 1, 1, 1, 1}));
  EXPECT_EQ(tok.pad_id(), 4);
}

TEST(Tokenizer, ToTokensAndSpecialIds) {
  const Tokenizer tok(small_vocab());
  EXPECT_EQ(tok.to_tokens(tok.encode("un-affable")), (Strings{"[CLS]", "un", "-", "[UNK]", "[SEP]"}));
  EXPECT_EQ(tok.cls_id(), 2);
  EXPECT_EQ(tok.sep_id(), 3);
  EXPECT_EQ(tok.unk_id(), 1);
  expect_error([&] { tok.to_tokens({0, 999}); }, {"small-vocab", "999"});
}

TEST(Tokenizer, RejectsABadConfig) {
  TokenizerConfig config;
  config.max_length = 1;
  expect_error([&] { Tokenizer(small_vocab(), config); }, {"max_length", "1"});
  config = {};
  config.max_input_chars_per_word = 0;
  expect_error([&] { Tokenizer(small_vocab(), config); }, {"max_input_chars_per_word"});
}

TEST(Vocab, LoadsOneTokenALineWithTheLineNumberAsId) {
  test::TempDir dir;
  const std::string path = write_file(dir, "vocab.txt", "[PAD]\r\n[UNK]\n[CLS]  \n[SEP]\nmusic\n##al\n");
  const Vocab v = Vocab::load(path);
  EXPECT_EQ(v.size(), 6);
  EXPECT_EQ(v.find("[CLS]"), 2);  // trailing whitespace and "\r" are not part of a token
  EXPECT_EQ(v.find("##al"), 5);
  EXPECT_EQ(v.find("missing"), std::nullopt);
  EXPECT_EQ(v.token(4), "music");
  EXPECT_EQ(v.origin(), path);
  EXPECT_EQ(Tokenizer(v).encode("Musical"), (Ids{2, 4, 5, 3}));
}

TEST(Vocab, ErrorsNameTheFileAndTheProblem) {
  test::TempDir dir;
  const std::string missing = dir.file("nope.txt");
  expect_error([&] { Vocab::load(missing); }, {missing, "no such"});
  expect_error([&] { Vocab::load(dir.path().string()); }, {dir.path().string(), "is a folder"});
  const std::string empty = write_file(dir, "empty.txt", "");
  expect_error([&] { Vocab::load(empty); }, {empty, "empty"});
  const std::string dup = write_file(dir, "dup.txt", "[PAD]\n[UNK]\nrock\n[CLS]\n[SEP]\nrock\n");
  expect_error([&] { Vocab::load(dup); }, {dup, "line 6", "'rock'", "line 3"});
  const std::string bad = write_file(dir, "bad.txt", "[PAD]\n[UNK]\nro\xFF" "ck\n");
  expect_error([&] { Vocab::load(bad); }, {bad, "line 3", "UTF-8"});
  for (const std::string special : {"[CLS]", "[SEP]", "[UNK]", "[PAD]"}) {
    std::string contents;
    for (const std::string t : {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "a"}) {
      if (t != special) contents += t + "\n";
    }
    const std::string path = write_file(dir, "no-special.txt", contents);
    expect_error([&] { Tokenizer::load(path); }, {path, special});
  }
}

TEST(Tokenizer, NeverFailsOnArbitraryBytes) {
  const Tokenizer tok(small_vocab());
  std::string bytes;
  for (int i = 0; i < 4096; ++i) bytes.push_back(static_cast<char>((i * 7919) % 256));
  const Ids ids = tok.encode(bytes);
  EXPECT_EQ(ids.front(), 2);
  EXPECT_EQ(ids.back(), 3);
  EXPECT_LE(ids.size(), 512u);
}

}  // namespace
}  // namespace mulan::text
