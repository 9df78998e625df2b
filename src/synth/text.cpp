// The four text forms of spec 3, written the way people write them: titles with tags (SF),
// descriptions and comments that wander off topic (LF), playlist names (PL) and label lists
// (ASET). Training phrasing only; queries (make_query_text) use other templates.
#include <algorithm>
#include <cctype>

#include "synth/draw.h"
#include "mulan/synth.h"
#include "synth/text_parts.h"
#include "synth/words.h"

namespace mulan::synth {
namespace {

using Strings = std::vector<std::string>;

std::string capitalise(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

std::string join(const Strings& parts, const std::string& sep) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

}  // namespace

Said say(const Factors& f, Rng& rng) {
  const auto w = [&](const std::string& tag) { return pick(rng, words_for(tag).words); };
  Said s;
  s.style = w(f.style), s.lead = w(f.lead), s.accomp = w(f.accomp);
  s.tempo = w(tempo_tag(f.tempo));
  s.mode = w(f.mode == Mode::Minor ? "minor" : "major");
  s.mood = w(f.mode == Mode::Minor ? "sad" : "happy");
  if (f.tempo != Tempo::Medium) s.tempo_mood = w(f.tempo == Tempo::Slow ? "calm" : "energetic");
  s.dynamics = w(f.dynamics == Dynamics::Loud ? "loud" : "soft");
  s.drums = w(f.drums ? "drums" : "no drums");
  s.bpm = std::to_string(f.bpm);
  s.adjectives = {s.tempo, s.mood, s.dynamics};
  if (!s.tempo_mood.empty()) s.adjectives.push_back(s.tempo_mood);
  shuffle(rng, s.adjectives);
  return s;
}

namespace {

const Strings kPieces = {"track", "tune", "piece", "song", "instrumental", "number"};
const Strings kTitleWords1 = {"Midnight", "Golden", "Silver", "Electric", "Lost",     "Broken", "Endless", "Distant",
                              "Crimson",  "Velvet", "Hidden", "Paper",    "Northern", "Neon",   "Wild",    "Empty",
                              "Burning",  "Frozen", "Hollow", "Little",   "Last",     "Secret", "Open",    "Falling"};
const Strings kTitleWords2 = {"Rain",    "Road",    "River",  "Lights",   "Dreams",   "Horizon", "Skyline", "Garden",
                              "Highway", "Ocean",   "Echoes", "Shadows",  "Memories", "Fire",    "Streets", "Stars",
                              "Window",  "Letters", "Harbor", "Mountain", "Morning",  "Sunset",  "Heart",   "Mirror"};
const Strings kArtists = {"Maya Ren",    "The Lanterns", "Otis Lane",       "Nova Trio",    "Juniper", "Ellis Park",
                          "Kato & Bell", "Marisol",      "The Quiet Hours", "Felix Aumont", "Sundial", "Ana Reyes"};
const Strings kChatter = {"Thanks for listening!",
                          "Uploaded this years ago and forgot about it.",
                          "Recorded at home on a rainy Sunday.",
                          "Please like and subscribe for more.",
                          "First comment!",
                          "Who else is here in 2024?",
                          "My cat loves this one.",
                          "Can't believe this only has a few hundred views.",
                          "This reminds me of my grandfather's old car.",
                          "Happy birthday to my sister, this was her favourite.",
                          "Link to the full album in the description.",
                          "Anyone know where I can get the sheet music?",
                          "Greetings from Portugal!",
                          "Made this in one evening.",
                          "Headphones recommended.",
                          "Mixed and mastered by a friend.",
                          "Shout out to everyone who supported the channel.",
                          "I listen to this every morning on the bus.",
                          "Came here from a video game stream.",
                          "Tell me what you think in the comments.",
                          "Part of my graduation project.",
                          "Used a cheap laptop for this one."};

std::string title(Rng& rng) {
  switch (rng.uniform_int(0, 3)) {
    case 0: return pick(rng, kTitleWords1) + " " + pick(rng, kTitleWords2);
    case 1: return "The " + pick(rng, kTitleWords2);
    case 2: return pick(rng, kTitleWords2) + " of " + pick(rng, kTitleWords2);
    default:
      return pick(rng, kTitleWords1) + " " + pick(rng, kTitleWords2) + " Part " + pick(rng, Strings{"II", "III"});
  }
}

std::string sf_text(const Factors& f, Rng& rng) {
  const Said s = say(f, rng);
  const std::string t = title(rng);
  switch (rng.uniform_int(0, 4)) {
    case 0: return t + " | " + s.adjectives[0] + " " + s.style + " " + s.lead;
    case 1: {
      Strings tags = tags_of(f);
      shuffle(rng, tags);
      tags.resize(std::min<size_t>(tags.size(), static_cast<size_t>(rng.uniform_int(2, 5))));
      for (auto& x : tags) x.erase(std::remove(x.begin(), x.end(), ' '), x.end()), x = "#" + x;
      return t + " (Official Audio) " + join(tags, " ");
    }
    case 2: return pick(rng, kArtists) + " - " + t + " [" + s.style + ", " + s.lead + ", " + s.adjectives[0] + "]";
    case 3: return t + " - " + s.adjectives[0] + " " + s.style + " instrumental " + s.drums;
    default: return t + " (" + s.lead + " & " + s.accomp + ") " + s.adjectives[0] + " " + s.adjectives[1];
  }
}

}  // namespace

std::string lf_sentence(int which, const Factors& f, const Said& s, Rng& rng) {
  const std::string piece = pick(rng, kPieces);
  switch (which) {
    case 0: return "A " + s.adjectives[0] + ", " + s.adjectives[1] + " " + s.style + " " + piece + " " + s.mode + ".";
    case 1:
      return "The " + s.lead + " carries the melody over " + s.accomp + " " +
             pick(rng, Strings{"chords", "harmonies", "backing"}) + ".";
    case 2: return capitalise(s.lead) + " up front, " + s.accomp + " behind it, around " + s.bpm + " bpm.";
    case 3:
      return "Such a " + s.mood + " " + piece + ", the " + s.lead + " really " +
             pick(rng, Strings{"shines", "sings", "stands out"}) + ".";
    case 4: return "It feels " + s.dynamics + " and " + s.tempo + ", " + s.drums + ".";
    case 5:
      return "Built around a " + s.lead + " " + pick(rng, Strings{"melody", "line", "theme"}) + " with " + s.accomp +
             " underneath.";
    case 6: return "The whole thing is " + s.mode + ", which makes it sound " + s.mood + ".";
    case 7: return "I love the " + s.tempo + " groove and the " + s.accomp + ".";
    case 8: return capitalise(s.style) + " at " + s.bpm + " beats per minute, " + s.drums + ".";
    default:
      return "Pretty " + s.dynamics + " " + s.style + " " + piece +
             (s.tempo_mood.empty() ? "" : ", very " + s.tempo_mood) + ".";
  }
}

namespace {

std::string lf_text(const Factors& f, Rng& rng) {
  const Said s = say(f, rng);
  std::vector<int> which = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  shuffle(rng, which);
  Strings sentences;
  const int music = static_cast<int>(rng.uniform_int(1, 3)), chatter = static_cast<int>(rng.uniform_int(0, 2));
  for (int i = 0; i < music; ++i) sentences.push_back(lf_sentence(which[static_cast<size_t>(i)], f, s, rng));
  Strings chat = kChatter;
  shuffle(rng, chat);
  for (int i = 0; i < chatter; ++i) {
    const std::string& c = chat[static_cast<size_t>(i)];
    if (chance(rng, 0.5))
      sentences.insert(sentences.begin(), c);
    else
      sentences.push_back(c);
  }
  return join(sentences, " ");
}

std::string pl_text(const Factors& f, Rng& rng) {
  const Said s = say(f, rng);
  switch (rng.uniform_int(0, 13)) {
    case 0: return s.style + " " + s.lead;
    case 1: return "late night " + s.style;
    case 2: return s.mood + " " + s.style;
    case 3: return s.style + " for studying";
    case 4: return s.tempo + " " + s.style + " workout";
    case 5: return "best of " + s.style;
    case 6: return s.lead + " instrumentals";
    case 7: return s.mood + " vibes";
    case 8: return "rainy day " + s.style + " " + s.accomp;
    case 9: return s.dynamics + " " + s.lead + " music";
    case 10: return s.style + " " + s.drums;
    case 11: return s.mood + " songs " + s.mode;
    case 12: return s.tempo + " " + s.lead + " tunes";
    default: return "my " + s.adjectives[0] + " " + s.style + " favorites";
  }
}

std::string aset_text(const Factors& f, Rng& rng, bool names) {
  const Strings tags = tags_of(f);
  Strings labels;
  if (names) {
    // AudioSet's own label names, for what AudioSet has labels for.
    labels.push_back(words_for(f.style).aset);
    labels.push_back(words_for(f.lead).aset);
    if (chance(rng, 0.5)) labels.push_back(words_for(f.accomp).aset);
    if (chance(rng, 0.5)) labels.push_back(words_for(f.mode == Mode::Minor ? "sad" : "happy").aset);
    if (f.drums && chance(rng, 0.5)) labels.push_back(words_for("drums").aset);
    shuffle(rng, labels);
    if (chance(rng, 0.7)) labels.insert(labels.begin(), "Music");
  } else {
    for (const auto& t : tags) labels.push_back(capitalise(t));
  }
  labels.erase(std::unique(labels.begin(), labels.end()), labels.end());
  return join(labels, ", ");
}

}  // namespace

ClipTexts make_texts(const Factors& f, Rng& rng) {
  ClipTexts t;
  for (int i = 0; i < 3; ++i) t.sf.push_back(sf_text(f, rng));
  for (int i = 0; i < 3; ++i) t.lf.push_back(lf_text(f, rng));
  for (int i = 0; i < 3; ++i) t.pl.push_back(pl_text(f, rng));
  t.aset.push_back(aset_text(f, rng, true));
  t.aset.push_back(aset_text(f, rng, false));
  return t;
}

std::string make_query_text(const std::vector<std::string>& tags, bool unseen_words, Rng& rng) {
  const auto w = [&](const std::string& tag) {
    const TagWords& tw = words_for(tag);
    return unseen_words ? pick(rng, tw.query_words) : tw.words.front();
  };
  Strings adjectives, instruments, phrases;
  std::string style;
  for (const auto& tag : tags) {
    const std::string cat = tag_category(tag);
    if (cat == "style")
      style = w(tag);
    else if (cat == "instrument")
      instruments.push_back(w(tag));
    else if (cat == "mode" || cat == "drums")
      phrases.push_back(w(tag));
    else
      adjectives.push_back(w(tag));
  }
  static const Strings prefixes = {"looking for", "i want to hear", "play me", "find me",     "recommend me",
                                   "search for",  "need some",      "show me", "put on some", "queue up"};
  std::string q = pick(rng, prefixes);
  for (const auto& a : adjectives) q += " " + a;
  if (!style.empty()) q += " " + style;
  q += " " + pick(rng, Strings{"music", "songs", "tracks", "recordings"});
  if (!instruments.empty())
    q += pick(rng, Strings{" featuring ", " played on ", " that has "}) + join(instruments, " and ");
  for (const auto& p : phrases) q += " " + p;
  return q;
}

std::vector<std::string> query_only_phrases() {
  std::vector<std::string> out;
  for (const auto& w : all_words())
    for (const auto& q : w.query_words) out.push_back(q);
  return out;
}

}  // namespace mulan::synth
