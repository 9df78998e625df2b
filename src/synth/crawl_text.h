// The text of a crawl row (crawl_text.cpp) with what the generator knows about it: which SF
// tokens are boilerplate, which texts say something about the music, which LF sentences are
// about the music. make_crawl (crawl.cpp) writes both: the row to crawl.jsonl, the truth to
// crawl-truth.json.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mulan/random.h"
#include "mulan/synth.h"

namespace mulan::synth::crawl {

enum class Kind { music, speech, noise, tone, speech_over_music, part_music, unreadable, too_short };
constexpr int kKinds = 8;
const char* kind_name(Kind k);  // the contract's names: "music", "speech", ..., "too_short"

// An SF text (the title or one tag). tokens: count_tokens(text); boilerplate_tokens: the tokens
// of the boilerplate pieces put in; has_music: a piece from the tag vocabulary (all_tags()) was
// put in, and nothing else in the text is a tag.
struct SfText {
  std::string text;
  int tokens = 0, boilerplate_tokens = 0;
  bool has_music = false;
};

// An LF sentence as put into a description or comment: it ends with ".", "!" or "?" or is the
// last of its line, and nothing inside it ends a sentence.
struct LfSentence {
  std::string text;
  bool music = false;
  int tokens = 0;
};

struct RowText {
  std::string title;
  std::vector<std::string> tags;
  std::string description;
  std::vector<std::string> comments;
  std::vector<SfText> sf;        // title, then each tag
  std::vector<LfSentence> lf;    // description's sentences, then each comment's
};

// What a row is about. factors: the music in it (music, part_music, speech_over_music,
// too_short, unreadable rows pretend to be music videos), nullptr for pure non-music.
struct RowTopic {
  Kind kind = Kind::music;
  const Factors* factors = nullptr;
  double music_fraction = 1;
};

RowText make_row_text(const RowTopic& topic, Rng& rng);

// A playlist's title for a playlist of clips that share `tag` (a tag of all_tags()), or, with
// tag empty, a title that says nothing about music.
std::string playlist_title(const std::string& tag, Rng& rng);

}  // namespace mulan::synth::crawl
