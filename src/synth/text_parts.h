// Parts of the corpus's text generator (text.cpp) that the crawl's text (crawl_text.cpp) reuses:
// the clip's factors said in training words, and the music sentences of LF descriptions.
#pragma once

#include <string>
#include <vector>

#include "mulan/random.h"
#include "mulan/synth.h"

namespace mulan::synth {

// The clip's factors as words: one random training synonym per tag.
struct Said {
  std::string style, lead, accomp, tempo, mode, mood, tempo_mood, dynamics, drums, bpm;
  std::vector<std::string> adjectives;  // tempo, moods, dynamics: modifiers in random order
};
Said say(const Factors& f, Rng& rng);

// One sentence about the clip's music, in form `which` (0 .. kLfSentenceForms - 1); every form
// starts with a capital letter and ends with ".".
constexpr int kLfSentenceForms = 10;
std::string lf_sentence(int which, const Factors& f, const Said& s, Rng& rng);

}  // namespace mulan::synth
