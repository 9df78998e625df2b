// The synonym tables. Synonyms vary so that a model has to learn what "upbeat" and "quick"
// share with "fast", not match strings; the query-only column tests whether it did.
#include "synth/words.h"

#include "mulan/error.h"

namespace mulan::synth {

const std::vector<TagWords>& all_words() {
  static const std::vector<TagWords> table = {
      // styles
      {"rock", {"rock", "classic rock", "guitar rock", "rock band"}, {"rock 'n' roll", "arena rock"}, "Rock music"},
      {"jazz", {"jazz", "jazzy", "smooth jazz", "swing"}, {"bebop", "jazz club"}, "Jazz"},
      {"classical",
       {"classical", "orchestral", "chamber", "romantic-era"},
       {"baroque", "symphonic"},
       "Classical music"},
      {"electronic", {"electronic", "electronica", "edm", "synth-pop"}, {"techno", "dance club"}, "Electronic music"},
      {"ambient", {"ambient", "atmospheric", "spacey"}, {"new age", "drone"}, "Ambient music"},
      {"hip hop", {"hip hop", "hip-hop", "rap"}, {"boom bap", "lo-fi hip hop"}, "Hip hop music"},
      {"folk", {"folk", "folky", "acoustic folk"}, {"americana", "singer-songwriter"}, "Folk music"},
      {"metal", {"metal", "heavy metal", "metal riffs"}, {"thrash", "headbanging"}, "Heavy metal"},
      {"reggae", {"reggae", "roots reggae", "island"}, {"dub", "jamaican"}, "Reggae"},
      {"latin", {"latin", "salsa", "bossa nova"}, {"samba", "cuban"}, "Music of Latin America"},
      {"blues", {"blues", "bluesy", "chicago blues"}, {"delta blues", "twelve-bar"}, "Blues"},
      {"funk", {"funk", "funky", "70s funk"}, {"groovy", "disco-funk"}, "Funk"},
      // instruments
      {"piano", {"piano", "grand piano", "acoustic piano"}, {"pianoforte", "ivories"}, "Piano"},
      {"electric piano", {"electric piano", "rhodes", "e-piano"}, {"wurlitzer", "electric keys"}, "Electric piano"},
      {"organ", {"organ", "hammond organ", "electric organ"}, {"drawbar organ", "b3 organ"}, "Hammond organ"},
      {"acoustic guitar",
       {"acoustic guitar", "steel-string guitar", "unplugged guitar"},
       {"fingerstyle guitar", "spanish guitar"},
       "Acoustic guitar"},
      {"electric guitar",
       {"electric guitar", "clean guitar", "clean electric guitar"},
       {"telecaster", "stratocaster"},
       "Electric guitar"},
      {"distorted guitar",
       {"distorted guitar", "overdriven guitar", "heavy guitar"},
       {"fuzz guitar", "crunchy guitar"},
       "Distortion"},
      {"violin", {"violin", "fiddle", "solo violin"}, {"violinist", "fiddler"}, "Violin, fiddle"},
      {"trumpet", {"trumpet", "trumpets", "b-flat trumpet"}, {"cornet", "horn player"}, "Trumpet"},
      {"saxophone", {"saxophone", "sax", "alto sax"}, {"saxophonist", "reed solo"}, "Saxophone"},
      {"flute", {"flute", "wooden flute", "concert flute"}, {"flautist", "piccolo"}, "Flute"},
      {"clarinet", {"clarinet", "clarinets", "b-flat clarinet"}, {"clarinetist", "licorice stick"}, "Clarinet"},
      {"synth lead", {"synth lead", "synthesizer", "lead synth"}, {"analog synth", "moog"}, "Synthesizer"},
      {"harmonica",
       {"harmonica", "harmonicas", "chromatic harmonica"},
       {"harmonica player", "pocket harmonica"},
       "Harmonica"},
      {"vibraphone", {"vibraphone", "mallets", "vibraphones"}, {"vibraharp", "vibraphonist"}, "Vibraphone"},
      {"strings",
       {"strings", "string section", "string ensemble"},
       {"violins and cellos", "string orchestra"},
       "String section"},
      {"synth pad", {"synth pad", "pads", "warm pad"}, {"lush synths", "synth wash"}, "Synthesizer"},
      {"brass section", {"brass section", "horns", "brass"}, {"horn section", "brass band"}, "Brass instrument"},
      {"harp", {"harp", "concert harp", "harps"}, {"harpist", "plucked harp"}, "Harp"},
      // tempo
      {"slow", {"slow", "laid-back", "downtempo", "unhurried"}, {"leisurely", "slow-paced"}, "Slow"},
      {"medium tempo",
       {"medium tempo", "mid-tempo", "moderate", "steady"},
       {"moderately paced", "walking-pace"},
       "Medium tempo"},
      {"fast", {"fast", "uptempo", "upbeat", "quick", "fast-paced"}, {"brisk", "rapid"}, "Fast"},
      // mode
      {"major",
       {"in a major key", "in major", "in a major mode"},
       {"with major tonality", "built on a major scale"},
       "Major key"},
      {"minor",
       {"in a minor key", "in minor", "in a minor mode"},
       {"with minor tonality", "built on a minor scale"},
       "Minor key"},
      // mood
      {"happy", {"happy", "cheerful", "joyful", "bright", "sunny"}, {"optimistic", "carefree"}, "Happy music"},
      {"sad", {"sad", "melancholic", "dark", "gloomy", "somber"}, {"heartbroken", "mournful"}, "Sad music"},
      {"calm", {"calm", "relaxing", "chill", "peaceful", "soothing"}, {"tranquil", "serene"}, "Tender music"},
      {"energetic",
       {"energetic", "lively", "driving", "high-energy", "pumping"},
       {"vigorous", "exhilarating"},
       "Exciting music"},
      // dynamics
      {"soft", {"soft", "quiet", "gentle", "delicate"}, {"hushed", "low-volume"}, "Soft"},
      {"loud", {"loud", "powerful", "intense", "booming"}, {"thunderous", "blaring"}, "Loud"},
      // drums
      {"drums",
       {"with drums", "with a drum kit", "with a steady beat", "with percussion"},
       {"with a drummer", "with drumming"},
       "Drum kit"},
      {"no drums",
       {"with no drums", "without drums", "without percussion", "with no beat"},
       {"percussion-free", "minus the drummer"},
       "No drums"},
  };
  return table;
}

const TagWords& words_for(const std::string& tag) {
  for (const auto& w : all_words())
    if (w.tag == tag) return w;
  throw Error("synth: no words for tag '" + tag + "'");
}

}  // namespace mulan::synth
