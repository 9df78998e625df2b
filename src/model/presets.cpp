#include "mulan/presets.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "mulan/error.h"
#include "mulan/tokenizer.h"

namespace mulan::model {
namespace {

// Words a music-description vocabulary needs first: genres, instruments, moods, tempo,
// production terms, and the most common English words around them.
constexpr const char* kWords =
    "the a an and or of to in on for with without by at from as is are was be it this that "
    "these those not no very so too more most less some all any one two three four five "
    "music song songs track tracks album playlist sound sounds sounding sung singing singer "
    "vocal vocals voice voices instrumental band live studio cover remix mix version "
    "rock pop jazz blues classical electronic ambient hip hop rap folk metal reggae latin "
    "country soul funk disco house techno trance dubstep drum bass punk indie alternative "
    "orchestral symphony opera chamber baroque swing bossa nova salsa samba tango ska gospel "
    "lo fi lofi chill chillout synthwave grunge emo r b edm trap garage acoustic electric "
    "piano guitar guitars violin viola cello strings string brass trumpet trombone horn "
    "saxophone sax flute clarinet oboe organ synth synthesizer keyboard keys harp bells "
    "drums drummer percussion kick snare hat cymbal beat beats bassline choir pad lead "
    "happy sad melancholic melancholy dark bright calm relaxing relaxed energetic upbeat "
    "aggressive angry peaceful dreamy romantic epic uplifting gloomy mellow soft loud quiet "
    "gentle heavy light warm cold emotional nostalgic mysterious tense joyful cheerful "
    "fast slow medium tempo bpm groove groovy rhythm rhythmic melody melodic harmony "
    "chord chords major minor key note notes solo riff loop loops mood vibe vibes "
    "night day morning evening rainy rain summer winter party dance dancing workout study "
    "sleep focus road trip late early old new classic modern retro vintage 80s 90s 70s "
    "love heart life time world feel feeling feels like best great good nice beautiful "
    "favorite favourite listen listening play playing played hear heard i you we they my "
    "your our me he she his her its who what when where why how can will would could "
    "just only also really much many up down out about after before again then now here "
    "there get got make made go going know think want need see look way year years";

std::vector<std::string> split_words(const char* text) {
  std::istringstream is(text);
  std::vector<std::string> out;
  for (std::string w; is >> w;) out.push_back(w);
  return out;
}

}  // namespace

std::vector<std::string> preset_names() { return {"tiny", "tiny-ast", "base-resnet", "base-ast"}; }

MulanConfig preset(const std::string& name) {
  MulanConfig c;
  if (name == "tiny" || name == "tiny-ast") {
    c.audio = name == "tiny" ? AudioConfig::tiny() : AudioConfig::tiny_ast();
    c.text = BertConfig::tiny();
    c.text->vocab_size = static_cast<int>(default_vocab(0).size());
  } else if (name == "base-resnet" || name == "base-ast") {
    c.audio = name == "base-ast" ? AudioConfig::base_ast() : AudioConfig::base_resnet();
    c.text = BertConfig::base();
  } else {
    throw UsageError("unknown preset '" + name + "' (expected tiny, tiny-ast, base-resnet or base-ast)");
  }
  return c;
}

std::vector<std::string> default_vocab(int min_size) {
  std::vector<std::string> v = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
  std::set<std::string> seen(v.begin(), v.end());
  auto add = [&](const std::string& t) {
    if (seen.insert(t).second) v.push_back(t);
  };
  for (char ch = 33; ch < 127; ++ch) {
    if (ch >= 'A' && ch <= 'Z') continue;  // uncased: text is lowercased before lookup
    add(std::string(1, ch));
  }
  for (char ch = 33; ch < 127; ++ch) {
    if (ch >= 'A' && ch <= 'Z') continue;
    add("##" + std::string(1, ch));
  }
  for (const std::string& w : split_words(kWords)) add(w);
  for (int i = 0; static_cast<int>(v.size()) < min_size; ++i) add("[unused" + std::to_string(i) + "]");
  return v;
}

std::vector<std::string> vocab_with_words(const std::vector<std::string>& texts, int min_count, int min_size) {
  std::vector<std::string> v = default_vocab(0);
  std::set<std::string> have(v.begin(), v.end());
  std::map<std::string, int64_t> count;
  for (const std::string& t : texts) {
    for (const std::string& w : text::basic_tokenize(t)) {
      if (!have.count(w) && w.size() <= 100) ++count[w];
    }
  }
  std::vector<std::pair<std::string, int64_t>> words(count.begin(), count.end());
  std::stable_sort(words.begin(), words.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  for (const auto& [w, n] : words) {
    if (n >= min_count) v.push_back(w);
  }
  for (int i = 0; static_cast<int>(v.size()) < min_size; ++i) v.push_back("[unused" + std::to_string(i) + "]");
  return v;
}

}  // namespace mulan::model
