// BERT tokenizer throughput on English text, one core, in MB of UTF-8 input per second
// (bytes_per_second). Target: at least 5 MB/s. The vocabulary is made here: the special
// tokens, every ASCII letter, digit and punctuation mark alone and as "##" piece, 400 common
// words and a few suffixes, so that rarer words go through WordPiece splitting.
//   build/bench/bench_tokenizer
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cctype>
#include <random>
#include <string>
#include <vector>

#include "mulan/tokenizer.h"

namespace {

const std::vector<std::string>& words() {
  static const std::vector<std::string> w = {
      "the", "of", "and", "a", "to", "in", "is", "you", "that", "it", "he", "was", "for", "on", "are", "as",
      "with", "his", "they", "i", "at", "be", "this", "have", "from", "or", "one", "had", "by", "word", "but",
      "not", "what", "all", "were", "we", "when", "your", "can", "said", "there", "use", "an", "each", "which",
      "she", "do", "how", "their", "if", "will", "up", "other", "about", "out", "many", "then", "them", "these",
      "so", "some", "her", "would", "make", "like", "him", "into", "time", "has", "look", "two", "more", "write",
      "go", "see", "number", "no", "way", "could", "people", "my", "than", "first", "water", "been", "call",
      "who", "oil", "its", "now", "find", "long", "down", "day", "did", "get", "come", "made", "may", "part",
      "music", "song", "songs", "piano", "guitar", "drums", "bass", "vocals", "voice", "beat", "beats", "rhythm",
      "melody", "harmony", "chord", "chords", "tempo", "slow", "fast", "loud", "quiet", "soft", "hard", "rock",
      "pop", "jazz", "blues", "folk", "soul", "funk", "metal", "punk", "electronic", "dance", "house", "techno",
      "ambient", "classical", "orchestra", "string", "strings", "quartet", "violin", "cello", "flute", "trumpet",
      "saxophone", "synth", "synthesizer", "keyboard", "organ", "choir", "singer", "band", "album", "track",
      "record", "live", "studio", "remix", "version", "acoustic", "love", "night", "rain", "rainy", "summer",
      "winter", "sad", "happy", "dark", "bright", "calm", "energetic", "chill", "relaxing", "upbeat", "mellow",
      "melancholic", "dreamy", "warm", "cold", "heavy", "light", "old", "new", "young", "female", "male",
      "instrumental", "lyrics", "sung", "sing", "play", "played", "playing", "sound", "sounds", "feel", "mood",
      "perfect", "study", "sleep", "work", "party", "road", "trip", "morning", "evening", "city", "country",
      "world", "street", "radio", "video", "film", "soundtrack", "theme", "game", "short", "intro", "outro",
      "verse", "chorus", "bridge", "solo", "drop", "build", "groove", "riff", "loop", "sample", "vinyl", "tape",
      "distorted", "clean", "reverb", "echo", "delay", "filter", "low", "high", "pitch", "key", "minor", "major",
      "scale", "note", "notes", "bar", "bars", "time", "signature", "very", "really", "just", "also", "only",
      "over", "under", "after", "before", "through", "while", "where", "why", "because", "around", "every",
      "good", "great", "best", "little", "big", "own", "same", "right", "left", "still", "again", "never",
      "always", "often", "sometimes", "something", "nothing", "everything", "together", "alone", "home",
  };
  return w;
}

const std::vector<std::string>& rare_words() {
  static const std::vector<std::string> w = {
      "polyrhythmic", "syncopated", "arpeggiated", "glockenspiel", "harpsichord", "xylophone", "didgeridoo",
      "shoegaze", "vaporwave", "chillhop", "breakbeat", "downtempo", "psychedelic", "contrapuntal",
      "improvisation", "counterpoint", "modulation", "reverberation", "orchestration", "crescendo",
  };
  return w;
}

mulan::text::Tokenizer make_tokenizer() {
  std::vector<std::string> tokens = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
  for (int c = 33; c < 127; ++c) {
    tokens.push_back(std::string(1, static_cast<char>(c)));
    if (std::isalnum(c)) tokens.push_back("##" + std::string(1, static_cast<char>(c)));
  }
  for (const auto& w : words()) {
    if (w.size() > 1) tokens.push_back(w);
  }
  for (const char* s : {"##s", "##ed", "##ing", "##ly", "##er", "##tion", "##al", "##ic", "##ous", "##ment",
                        "##ness", "##ate", "##ize", "##ity", "##ful", "##less", "##est", "##ist", "##ism"}) {
    tokens.push_back(s);
  }
  // dedupe (single letters that are also words, such as "a" and "i")
  std::vector<std::string> unique;
  for (const auto& t : tokens) {
    if (std::find(unique.begin(), unique.end(), t) == unique.end()) unique.push_back(t);
  }
  return mulan::text::Tokenizer(mulan::text::Vocab::from_tokens(unique, "bench-vocab"));
}

// About 1 MB of English captions, one sentence each: mostly common words, some rare ones, some
// capitalised, with commas, full stops, numbers and the odd hyphen.
std::vector<std::string> sentences() {
  std::mt19937 gen(1);
  std::vector<std::string> out;
  size_t bytes = 0;
  while (bytes < (1 << 20)) {
    std::string s;
    const int n = std::uniform_int_distribution<int>(6, 30)(gen);
    for (int i = 0; i < n; ++i) {
      std::string w = gen() % 10 == 0 ? rare_words()[gen() % rare_words().size()] : words()[gen() % words().size()];
      if (i == 0 || gen() % 12 == 0) w[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(w[0])));
      if (i > 0) s += gen() % 15 == 0 ? ", " : (gen() % 25 == 0 ? "-" : " ");
      s += w;
      if (gen() % 40 == 0) {
        s += ' ';
        s += std::to_string(gen() % 200);
        s += "bpm";
      }
    }
    s += ".";
    bytes += s.size();
    out.push_back(std::move(s));
  }
  return out;
}

size_t total_bytes(const std::vector<std::string>& v) {
  size_t n = 0;
  for (const auto& s : v) n += s.size();
  return n;
}

void BM_EncodeSentences(benchmark::State& state) {
  const auto tok = make_tokenizer();
  const auto text = sentences();
  size_t ids = 0;
  for (auto _ : state) {
    for (const auto& s : text) {
      const auto e = tok.encode(s);
      ids += e.size();
      benchmark::DoNotOptimize(e.data());
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * total_bytes(text)));
  const double bytes = static_cast<double>(state.iterations() * total_bytes(text));
  state.counters["tokens_per_byte"] = static_cast<double>(ids) / bytes;
}
BENCHMARK(BM_EncodeSentences)->Unit(benchmark::kMillisecond);

void BM_EncodeBatch64(benchmark::State& state) {
  const auto tok = make_tokenizer();
  const auto text = sentences();
  std::vector<std::vector<std::string>> batches;
  for (size_t i = 0; i < text.size(); i += 64) {
    batches.emplace_back(text.begin() + static_cast<std::ptrdiff_t>(i),
                         text.begin() + static_cast<std::ptrdiff_t>(std::min(text.size(), i + 64)));
  }
  for (auto _ : state) {
    for (const auto& b : batches) benchmark::DoNotOptimize(tok.encode_batch(b).ids.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * total_bytes(text)));
}
BENCHMARK(BM_EncodeBatch64)->Unit(benchmark::kMillisecond);

}  // namespace
