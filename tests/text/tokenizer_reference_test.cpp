// The BERT tokenizer against Hugging Face tokenizers (npm "tokenizers", pinned in
// tests/node/package.json; tests/node/bert_reference.js). This test writes a training corpus
// and thousands of strings (accents, CJK, emoji, Arabic, Devanagari, Hangul, Cyrillic, Greek,
// punctuation runs, control characters, NUL, U+FFFD, zero-width characters, words over 100
// characters, mixed case, whitespace variants, combining sequences, music jargon, and random
// mixtures of these); the script trains a WordPiece vocabulary on the corpus with HF's trainer
// and encodes the strings. Requirement: identical ids for every string, at max_length 512
// and 16, and identical padded ids and masks for a batch. Also: every code point of Unicode,
// normalised and split by both, gives the same words.
#include <gtest/gtest.h>

#include <cctype>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "mulan/tokenizer.h"
#include "support/test_support.h"
#include "text/unicode.h"

namespace mulan::text {
namespace {

using Ids = std::vector<int64_t>;

// Pieces the strings are made of, grouped by what they exercise.
const std::vector<std::vector<std::string>>& piece_groups() {
  static const std::vector<std::vector<std::string>> groups = {
      // English and music words
      {"the", "piano", "guitar", "melancholic", "ambient", "drums", "bass", "vocals", "upbeat", "chill", "song",
       "rainy", "night", "orchestra", "symphony", "acoustic", "electronic", "dance", "jazz", "blues", "rock",
       "metal", "hip", "hop", "techno", "house", "trance", "reggae", "country", "folk", "soul", "funk", "choir",
       "unbelievably", "synthesizer", "reverberation", "saxophonist", "polyrhythmic", "antidisestablishment"},
      // music jargon
      {"lo-fi", "80s", "r&b", "c#m", "140bpm", "drum'n'bass", "AC/DC", "hip-hop", "synth-pop", "4/4", "7/8",
       "D.J.", "Guns N' Roses", "P!nk", "Ke$ha", "BPM: 128", "A♭ minor", "F♯", "♪♫", "𝄞", "feat.", "(remix)",
       "[live]", "#1", "@artist", "B-side", "24-bit/96kHz", "Vol. 2", "mp3", "½-time"},
      // accents and case
      {"café", "naïve", "Beyoncé", "Motörhead", "Sigur Rós", "Björk", "crème brûlée", "Ångström", "façade",
       "Dvořák", "Mötley Crüe", "jalapeño", "Ærø", "Straße", "İstanbul", "ǅemal", "Ω", "K", "Å", "ﬁne", "ŒUVRE",
       "HeLLo WoRLD", "McCartney", "DJ", "ÉCOLE", "São Paulo", "Łódź", "Ğ", "ǰ", "ẞ", "ſ", "µ", "ı"},
      // combining sequences (some out of canonical order, some with marks HF's tables do not know)
      {"e\u0301", "a\u0308", "o\u0302\u0323", "o\u0323\u0302", "a\u0301\u0316", "n\u0303o", "\u0041\u030A",
       "x\u20DD", "q\u0335", "a\U0001D165\u0301", "a\u1DF9\U0001D165", "a\U0001E944\U0001D165",
       "a\u08D4\U0001D165", "\U00011938", "\u0915\u093C", "\u05D1\u05BC", "i\u0307", "\u1E9B\u0323"},
      // CJK, kana
      {"音楽", "東京", "中文歌曲", "周杰倫", "北京欢迎你", "ポップ", "ひらがな", "カタカナ", "𠀀𠀁", "豈更",
       "〜", "「歌」", "。", "日本語のロック", "ｆｕｌｌｗｉｄｔｈ", "ＡＢＣ"},
      // emoji
      {"🎵", "🎸", "🥁", "🔥🔥", "👩‍🎤", "🇯🇵", "❤️", "👍🏽", "😀", "🎶🎹", "🫠", "🪕", "©", "™"},
      // Arabic, Hebrew
      {"موسيقى", "عربي", "مُوسِيقَى", "ـ", "،", "؟", "الطرب", "שיר", "מוּזִיקָה", "\u0600\u0661"},
      // Devanagari and other Indic
      {"संगीत", "हिन्दी", "राग", "तबला", "।", "॥", "क़", "ताल", "বাংলা", "தமிழ்", "ಸಂಗೀತ"},
      // Hangul
      {"음악", "케이팝", "노래", "ᄀᄁ", "ㄱㄴ", "방탄소년단"},
      // Cyrillic, Greek
      {"Привет", "МУЗЫКА", "Ёлка", "й", "Чайковский", "Μουσική", "ΣΟΦΙΑ", "ΐ", "άλμπουμ", "Ὀδυσσεύς", "ς"},
      // punctuation runs
      {"!!!", "...", "?!", "---", "«»", "“quoted”", "¿qué?", "—", "…", "‘’", "§", "°", "¡", "※", "・", "&&",
       "(((", ")))", "_", "~~~", "^_^", "\"", "'", "`", "{}", "|", "\\", "<>", "%", "*"},
      // control, NUL, U+FFFD, zero-width, private use, unassigned
      {"\x01", "\x07", "\x1B[31m", "\x7F", "\u0085", "\u200E", "\u202E", "\x0B", "\x0C", "\x1C", "\x1F",
       std::string(1, '\0'), "\uFFFD", "\u200B", "\u200C", "\u200D", "\u2060", "\uFEFF", "\u00AD", "\uE000",
       "\U000F0000", "\U0010FFFF", "\u0378", "\U000E0001", "\u2066", "\u061C"},
      // whitespace variants
      {" ", "\t", "\n", "\r\n", "\u00A0", "\u3000", "\u2003", "\u2009", "\u202F", "\u205F", "\u1680", "\u2028",
       "\u2029", "  \t "},
  };
  return groups;
}

std::string utf8(char32_t c) {
  std::string out;
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
  return out;
}

std::string repeat(const std::string& s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

// The strings to compare: every piece alone, long words, and random mixtures.
std::vector<std::string> make_strings() {
  std::vector<std::string> s = {"", " ", "Hello, World!", "melancholic lo-fi piano for a rainy night"};
  std::vector<std::string> all;
  for (const auto& g : piece_groups()) all.insert(all.end(), g.begin(), g.end());
  for (const auto& p : all) s.push_back(p);
  // Words around max_input_chars_per_word = 100, counted after normalisation.
  for (size_t n : {99, 100, 101, 150}) {
    s.push_back(repeat("a", n));
    s.push_back(repeat("é", n));     // two code points each before accent stripping
    s.push_back(repeat("д", n));     // two bytes each
    s.push_back(repeat("ab", n / 2) + "!" + repeat("cd", n / 2));
    s.push_back("intro " + repeat("piano", n / 5) + " outro");
  }
  s.push_back(repeat("音", 600));  // 600 words of one ideograph
  s.push_back(repeat("the piano and the drums ", 200));  // over 512 tokens
  s.push_back(repeat("!", 600));

  std::mt19937 gen(20240611);
  auto pick = [&](const auto& v) -> const auto& {
    return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(gen)];
  };
  const std::vector<std::string> seps = {" ", " ", " ", "", "\t", "-", ", ", "\u00A0", "\u3000", "/", "'", "\n",
                                         "\u200B"};
  // Mixtures of pieces, with random separators and random case flips of ASCII letters.
  for (int i = 0; i < 4000; ++i) {
    const int n = std::uniform_int_distribution<int>(1, 12)(gen);
    std::string t;
    for (int k = 0; k < n; ++k) {
      if (k > 0) t += pick(seps);
      t += pick(pick(piece_groups()));
    }
    if (i % 3 == 0) {
      for (char& c : t) {
        if (std::isalpha(static_cast<unsigned char>(c)) && (gen() & 1)) c = static_cast<char>(c ^ 0x20);
      }
    }
    s.push_back(t);
  }
  // Random code points from all of Unicode (scalar values), alone and in words.
  std::uniform_int_distribution<uint32_t> any(0, 0x10FFFF), bmp(0x80, 0xFFFF);
  for (int i = 0; i < 1000; ++i) {
    std::string t;
    const int n = std::uniform_int_distribution<int>(1, 8)(gen);
    for (int k = 0; k < n; ++k) {
      uint32_t c = (gen() % 4 == 0) ? any(gen) : bmp(gen);
      if (c >= 0xD800 && c <= 0xDFFF) c = 'x';
      t += utf8(static_cast<char32_t>(c));
      if (gen() % 3 == 0) t += pick(all);
    }
    s.push_back(t);
  }
  return s;
}

// Training text for the vocabulary: sentences of the pieces, minus a few groups and words so
// that some strings need word pieces and some [UNK].
std::string make_corpus() {
  std::mt19937 gen(7);
  const auto& groups = piece_groups();
  std::string corpus;
  for (int line = 0; line < 3000; ++line) {
    const int n = std::uniform_int_distribution<int>(3, 14)(gen);
    for (int k = 0; k < n; ++k) {
      const size_t g = std::uniform_int_distribution<size_t>(0, 9)(gen);  // not punctuation, controls, spaces
      const auto& v = groups[g];
      const size_t i = std::uniform_int_distribution<size_t>(0, v.size() - 1)(gen);
      if (i % 4 == 3) continue;  // a quarter of the words are never seen whole
      if (k > 0) corpus += ' ';
      corpus += v[i];
    }
    corpus += "\n";
  }
  return corpus;
}

// Printable ASCII as it is, everything else as \u{XXXX}, so that invisible characters show.
std::string escape(const std::string& s) {
  std::u32string cps;
  decode_utf8(s, cps);
  std::ostringstream o;
  for (char32_t c : cps) {
    if (c >= 0x20 && c < 0x7F && c != '\\') {
      o << static_cast<char>(c);
    } else {
      o << "\\u{" << std::hex << std::uppercase << static_cast<uint32_t>(c) << std::dec << "}";
    }
  }
  return o.str();
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& x : v) {
    if (!out.empty()) out += ' ';
    out += x;
  }
  return out;
}

std::string show_ids(const Tokenizer& tok, const Ids& ids) {
  std::string out;
  for (int64_t id : ids) {
    if (!out.empty()) out += ' ';
    out += std::to_string(id);
    if (id >= 0 && id < tok.vocab().size()) {
      out += '(';
      out += escape(tok.vocab().token(id));
      out += ')';
    }
  }
  return out;
}

// Compares ids of every string; prints the first mismatches in full. Returns their number.
int compare(const Tokenizer& tok, const std::vector<std::string>& strings, const nlohmann::json& want,
            const char* what) {
  int mismatches = 0;
  for (size_t i = 0; i < strings.size(); ++i) {
    const Ids got = tok.encode(strings[i]);
    const Ids ref = want.at(i).get<Ids>();
    if (got == ref) continue;
    if (++mismatches <= 10) {
      std::cerr << what << " mismatch " << mismatches << ", string " << i << ": \"" << escape(strings[i]) << "\"\n"
                << "  words: " << escape(join(basic_tokenize(strings[i]))) << "\n"
                << "  HF:    " << show_ids(tok, ref) << "\n"
                << "  mulan: " << show_ids(tok, got) << "\n";
    }
  }
  return mismatches;
}

TEST(TokenizerReference, IdsEqualHuggingFaceTokenizers) {
  test::TempDir dir;
  const std::vector<std::string> strings = make_strings();
  std::ofstream(dir.file("corpus.txt"), std::ios::binary) << make_corpus();
  std::ofstream(dir.file("strings.json"), std::ios::binary) << nlohmann::json(strings).dump();
  const std::string script = std::string(MULAN_SOURCE_DIR) + "/tests/node/bert_reference.js";
  const auto r = test::run_command("node " + test::shell_quote(script) + " " + test::shell_quote(dir.path().string()));
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  std::cerr << r.out;

  const Tokenizer tok = Tokenizer::load(dir.file("vocab.txt"));
  TokenizerConfig short_config;
  short_config.max_length = 16;
  const Tokenizer short_tok(tok.vocab(), short_config);
  std::ifstream in(dir.file("ids.json"));
  const nlohmann::json ref = nlohmann::json::parse(in);
  ASSERT_EQ(ref.at("ids").size(), strings.size());

  int unk = 0, pieces = 0, truncated = 0;
  for (const auto& ids : ref.at("ids")) {
    for (const auto& id : ids) {
      unk += id.get<int64_t>() == tok.unk_id();
      pieces += tok.vocab().token(id.get<int64_t>()).rfind("##", 0) == 0;
    }
    truncated += ids.size() == 512;
  }
  std::cerr << strings.size() << " strings, vocab of " << tok.vocab().size() << " tokens; HF's ids hold " << unk
            << " [UNK] and " << pieces << " ## pieces; " << truncated << " strings truncated at 512\n";
  EXPECT_GT(strings.size(), 5000u);
  EXPECT_GT(unk, 100);  // the strings exercise [UNK], word pieces and truncation
  EXPECT_GT(pieces, 1000);
  EXPECT_GE(truncated, 3);

  EXPECT_EQ(compare(tok, strings, ref.at("ids"), "max_length 512"), 0);
  EXPECT_EQ(compare(short_tok, strings, ref.at("short"), "max_length 16"), 0);

  const auto& batch = ref.at("batch");
  const auto batch_size = static_cast<std::ptrdiff_t>(batch.at("ids").size());
  const std::vector<std::string> first(strings.begin(), strings.begin() + batch_size);
  const BatchEncoding b = tok.encode_batch(first);
  Ids want_ids, want_mask;
  for (const auto& row : batch.at("ids")) {
    EXPECT_EQ(static_cast<int64_t>(row.size()), b.length);
    for (const auto& v : row) want_ids.push_back(v.get<int64_t>());
  }
  for (const auto& row : batch.at("mask")) {
    for (const auto& v : row) want_mask.push_back(v.get<int64_t>());
  }
  EXPECT_EQ(b.ids, want_ids);
  EXPECT_EQ(b.attention_mask, want_mask);

  // Every code point, in blocks of 4096 joined by spaces: the words of both must agree.
  std::ifstream sweep_in(dir.file("sweep.json"));
  const nlohmann::json sweep = nlohmann::json::parse(sweep_in);
  int bad_blocks = 0;
  size_t block = 0;
  for (char32_t first_cp = 0; first_cp <= 0x10FFFF; first_cp += 4096, ++block) {
    std::string text;
    for (char32_t c = first_cp; c < first_cp + 4096; ++c) {
      if (c >= 0xD800 && c <= 0xDFFF) continue;
      if (c != first_cp) text += ' ';
      text += utf8(c);
    }
    const std::vector<std::string> got = basic_tokenize(text);
    std::vector<std::string> want;
    std::istringstream words(sweep.at(block).get<std::string>());
    for (std::string w; words >> w;) want.push_back(w);
    if (got == want) continue;
    if (++bad_blocks <= 10) {
      size_t i = 0;
      while (i < got.size() && i < want.size() && got[i] == want[i]) ++i;
      std::cerr << "code points U+" << std::hex << static_cast<uint32_t>(first_cp) << std::dec << "..: word " << i
                << " differs: HF \"" << escape(i < want.size() ? want[i] : "") << "\", mulan \""
                << escape(i < got.size() ? got[i] : "") << "\"\n";
    }
  }
  EXPECT_EQ(block, sweep.size());
  EXPECT_EQ(bad_blocks, 0);
}

}  // namespace
}  // namespace mulan::text
