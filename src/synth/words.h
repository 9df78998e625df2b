// How each tag is said. Training text draws from `words`; test queries from `query_words`,
// which no training text ever uses. The grammatical role follows the tag's category:
//   style, tempo, mood, dynamics: modifiers ("jazzy", "uptempo", "gloomy", "quiet")
//   instrument:                   nouns ("grand piano", "sax")
//   mode, drums:                  phrases ("in a minor key", "without percussion")
// The first entry of `words` is the tag's own wording (the tag itself, or the tag inside a
// phrase: "in a minor key", "with no drums").
#pragma once

#include <string>
#include <vector>

namespace mulan::synth {

struct TagWords {
  std::string tag;
  std::vector<std::string> words;        // training phrasings
  std::vector<std::string> query_words;  // test-query-only phrasings
  std::string aset;                      // AudioSet-style label name
};

// Throws mulan::Error for a tag with no entry.
const TagWords& words_for(const std::string& tag);
const std::vector<TagWords>& all_words();

}  // namespace mulan::synth
