// The crawl's text, as a scraper finds it: titles and tags full of upload boilerplate, descriptions
// that mix a few words about the music with greetings, promotion, links, timestamps and emoji,
// comments that are mostly chatter (several languages), playlists. Every SF text is built from
// pieces whose role is known (boilerplate, music, neither), so the truth counts are exact; every
// LF sentence is written whole, with its music flag, and joined so that a sentence splitter
// recovers it: " " after ".", "!" or "?" when the next sentence starts with a capital letter,
// a line break otherwise.
#include "synth/crawl_text.h"

#include <algorithm>
#include <cctype>

#include "mulan/error.h"
#include "mulan/synth_crawl.h"
#include "synth/draw.h"
#include "synth/text_parts.h"

namespace mulan::synth::crawl {
namespace {

using Strings = std::vector<std::string>;

const char* const kKindNames[kKinds] = {"music",      "speech",      "noise",      "tone", "speech_over_music",
                                        "part_music", "unreadable", "too_short"};

std::string upper_first(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

std::string fill(std::string t, const std::string& key, const std::string& value) {
  for (size_t p = t.find(key); p != std::string::npos; p = t.find(key, p + value.size())) t.replace(p, key.size(), value);
  return t;
}

// ---- SF: pieces with roles ------------------------------------------------------------------

enum class Role { neutral, boilerplate, music };
struct Piece {
  std::string text;
  Role role;
};

SfText build_sf(const std::vector<Piece>& pieces) {
  SfText t;
  int sum = 0;
  for (const auto& p : pieces) {
    if (p.text.empty()) continue;
    t.text += (t.text.empty() ? "" : " ") + p.text;
    const int n = count_tokens(p.text);
    sum += n;
    if (p.role == Role::boilerplate) t.boilerplate_tokens += n;
    if (p.role == Role::music) t.has_music = true;
  }
  t.tokens = count_tokens(t.text);
  if (t.tokens != sum) throw Error("synth: crawl text pieces do not add up: " + t.text);
  return t;
}

// Artists and title words: no tag of all_tags() and no boilerplate word among them.
const Strings kArtists = {"Maya Ren",   "Otis Lane", "Ellis Park", "Marisol",     "Felix Aumont", "Ana Reyes",
                          "Juniper Vale", "Tomas Kerr", "Lena Voss", "Ravi Menon", "Ines Duarte", "Hugo Brandt"};
const Strings kTitle1 = {"Midnight", "Golden",  "Lost",   "Broken",  "Endless", "Distant", "Crimson", "Velvet",
                         "Hidden",   "Paper",   "Northern", "Wild",  "Empty",   "Burning", "Frozen",  "Hollow",
                         "Little",   "Last",    "Secret", "Falling"};
const Strings kTitle2 = {"Rain",     "Road",    "River",  "Lights",  "Dreams", "Horizon", "Skyline", "Garden",
                         "Highway",  "Ocean",   "Shadows", "Memories", "Fire", "Streets", "Stars",   "Window",
                         "Letters",  "Harbor",  "Mountain", "Morning", "Sunset", "Heart",  "Mirror"};

std::string handle_of(const std::string& artist) {
  std::string h;
  for (char c : artist)
    if (std::isalpha(static_cast<unsigned char>(c))) h += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return h;
}

std::string song_name(Rng& rng) {
  switch (rng.uniform_int(0, 2)) {
    case 0: return pick(rng, kTitle1) + " " + pick(rng, kTitle2);
    case 1: return "The " + pick(rng, kTitle2);
    default: return pick(rng, kTitle2) + " of " + pick(rng, kTitle2);
  }
}

std::string date_text(Rng& rng) {
  static const Strings months = {"January", "February", "March",     "April",   "May",      "June",
                                 "July",    "August",   "September", "October", "November", "December"};
  const int y = static_cast<int>(rng.uniform_int(2019, 2026)), m = static_cast<int>(rng.uniform_int(1, 12)),
            d = static_cast<int>(rng.uniform_int(1, 28));
  char buf[48];
  switch (rng.uniform_int(0, 2)) {
    case 0: std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d); break;
    case 1: std::snprintf(buf, sizeof buf, "%02d/%02d/%04d", m, d, y); break;
    default: return std::to_string(d) + " " + months[static_cast<size_t>(m - 1)] + " " + std::to_string(y);
  }
  return buf;
}

// One boilerplate piece for a title or a tag, brackets included.
std::string boilerplate(Rng& rng, const std::string& artist) {
  static const Strings phrases = {
      "(Official Video)",  "(Official Music Video)", "[Official Audio]", "(Official Lyric Video)", "(Lyric Video)",
      "(Lyrics)",          "[Lyrics]",               "with lyrics",      "(Audio)",                "[HD]",
      "HQ",                "[4K]",                   "1080p",            "720p",                   "(Full Album)",
      "Full Song",         "(Remastered)",           "Remaster",         "(Explicit)",             "[Clean Version]",
      "Free Download",     "(Premiere)",             "Exclusive",        "OUT NOW",                "VEVO",
      "(Music Video)",     "【Official Video】",     "| HD",             "- Official Audio",       "• 4K •"};
  switch (rng.uniform_int(0, 9)) {
    case 0: return "(Remastered " + std::to_string(rng.uniform_int(1995, 2018)) + ")";
    case 1: return std::to_string(rng.uniform_int(2019, 2026));
    case 2: return date_text(rng);
    case 3: return "@" + handle_of(artist);
    default: return pick(rng, phrases);
  }
}

std::string track_number(Rng& rng) {
  const int n = static_cast<int>(rng.uniform_int(1, 14));
  char buf[16];
  switch (rng.uniform_int(0, 3)) {
    case 0: std::snprintf(buf, sizeof buf, "%02d.", n); return buf;
    case 1: std::snprintf(buf, sizeof buf, "%02d -", n); return buf;
    case 2: return "Track " + std::to_string(n);
    default: return "#" + std::to_string(n);
  }
}

// 1 to 3 tags of the clip, said with the tags' own words.
std::string tag_words(const std::vector<std::string>& tags, Rng& rng, const std::string& sep) {
  Strings t = tags;
  shuffle(rng, t);
  t.resize(std::min<size_t>(t.size(), static_cast<size_t>(rng.uniform_int(1, 3))));
  std::string out;
  for (const auto& x : t) out += (out.empty() ? "" : sep) + x;
  return out;
}

std::string hashtag(const std::string& tag) { return "#" + tag; }

std::string nonmusic_title(Kind kind, Rng& rng, const std::string& artist) {
  const std::string n = std::to_string(rng.uniform_int(2, 140));
  switch (kind) {
    case Kind::speech: {
      static const Strings t = {"Episode {n}: city gardens and rent prices", "My morning routine vlog",
                                "How I fixed my old bike", "Podcast {n} - trains, coffee and bad weather",
                                "Unser Wochenende in den Bergen", "Cómo ahorrar en el supermercado",
                                "Storytime: the worst flight ever", "Q&A {n}: your questions answered",
                                "Recette facile du dimanche", "Viagem de carro pelo Alentejo"};
      return fill(pick(rng, t), "{n}", n);
    }
    case Kind::noise: {
      static const Strings t = {"Fan hum for sleeping 10 hours", "Brown static for focus and study",
                                "Airplane cabin hum 8 hours", "Pink static to block out the neighbours",
                                "Rain on a tent 3 hours"};
      return pick(rng, t);
    }
    case Kind::tone: {
      static const Strings t = {"Speaker test signal 20 Hz to 20 kHz", "1000 Hz test signal",
                                "Headphone check sweep", "Subwoofer test signal", "Hearing test sweep"};
      return pick(rng, t);
    }
    default: {
      static const Strings t = {"Reacting to {a} for the first time", "Studio tour and gear talk",
                                "Interview with {a}", "Behind the scenes with {a}", "Day in the life of {a}"};
      return fill(pick(rng, t), "{a}", artist);
    }
  }
}

void make_sf(const RowTopic& topic, const std::string& artist, Rng& rng, RowText& out) {
  const bool musical = topic.factors && topic.music_fraction >= 0.5;
  const std::vector<std::string> tags = topic.factors ? tags_of(*topic.factors) : std::vector<std::string>{};
  // Title: [track number] [artist -] name [music part] [boilerplate 0-2].
  std::vector<Piece> title;
  if (musical && chance(rng, 0.15)) title.push_back({track_number(rng), Role::boilerplate});
  if (musical && chance(rng, 0.15)) title.push_back({chance(rng, 0.5) ? "NEW" : "Premiere:", Role::boilerplate});
  if (musical) {
    if (chance(rng, 0.5)) title.push_back({artist, Role::neutral}), title.push_back({"-", Role::neutral});
    title.push_back({song_name(rng), Role::neutral});
    if (chance(rng, 0.2)) title.push_back({"feat. " + pick(rng, kArtists), Role::neutral});
  } else {
    title.push_back({nonmusic_title(topic.kind, rng, artist), Role::neutral});
  }
  if (topic.factors && chance(rng, musical ? 0.7 : 0.25)) {
    switch (rng.uniform_int(0, 2)) {
      case 0: title.push_back({"|", Role::neutral}), title.push_back({tag_words(tags, rng, " "), Role::music}); break;
      case 1: title.push_back({"[" + tag_words(tags, rng, ", ") + "]", Role::music}); break;
      default: title.push_back({"(" + tag_words(tags, rng, " ") + " version)", Role::music}); break;
    }
  }
  const int bp = static_cast<int>(pick_weighted(rng, {0.3, 0.45, 0.25}));
  for (int i = 0; i < bp; ++i) title.push_back({boilerplate(rng, artist), Role::boilerplate});
  out.sf.push_back(build_sf(title));
  out.title = out.sf.back().text;

  // Tags: 0 to 8, music, boilerplate, hashtags, the artist.
  const int n = static_cast<int>(rng.uniform_int(0, 8));
  static const Strings bp_tags = {"official video", "lyrics",        "HD",      "4K",         "free download",
                                  "new song",       "official audio", "lyric video", "full album", "visualizer",
                                  "music video",    "premiere",      "exclusive", "out now",  "remastered"};
  static const Strings plain_tags = {"#fyp", "#viral", "vlog", "podcast", "cooking", "travel", "storytime",
                                     "#trending", "sleep aid", "focus", "study with me", "tutorial"};
  for (int i = 0; i < n; ++i) {
    std::vector<Piece> tag;
    const size_t what = pick_weighted(rng, {musical ? 0.62 : topic.factors ? 0.2 : 0.0, 0.15, 0.1, 0.08, 0.05});
    switch (what) {
      case 0: {  // music, sometimes with boilerplate or as a hashtag
        const std::string& t = pick(rng, tags);
        const int form = static_cast<int>(rng.uniform_int(0, 3));
        // A hashtag only of a one-word tag: "#electricguitar" would lose the tag's words.
        if (form == 0 && t.find(' ') == std::string::npos) tag.push_back({hashtag(t), Role::music});
        else tag.push_back({t, Role::music});
        if (form == 1) tag.push_back({pick(rng, bp_tags), Role::boilerplate});
        break;
      }
      case 1: tag.push_back({pick(rng, bp_tags), Role::boilerplate}); break;
      case 2: tag.push_back({pick(rng, plain_tags), Role::neutral}); break;
      case 3:
        tag.push_back({artist, Role::neutral});
        if (chance(rng, 0.4)) tag.push_back({"-", Role::neutral}), tag.push_back({"Topic", Role::boilerplate});
        break;
      default: tag.push_back({boilerplate(rng, artist), Role::boilerplate}); break;
    }
    out.sf.push_back(build_sf(tag));
    out.tags.push_back(out.sf.back().text);
  }
}

// ---- LF: whole sentences with flags ------------------------------------------------------

struct Sentence {
  std::string text;
  bool music;
};

const Strings kGreetings = {"Hey everyone!",        "Hi friends!",         "Hello and welcome back!",
                            "Hallo zusammen!",      "Salut tout le monde !", "¡Hola a todos!",
                            "Olá pessoal!",         "Ciao a tutti!",       "What's up guys"};
const Strings kPromotion = {"Subscribe for fresh uploads every Friday!",
                            "Like and subscribe if you enjoyed it.",
                            "Merch is finally here: https://{h}.example.com/shop",
                            "Tour dates: https://{h}.example.com/tour",
                            "Follow me on Instagram @{h}",
                            "Stream it everywhere: https://lnk.example/{h}",
                            "Support the channel on Patreon: www.patreon.example/{h}",
                            "Use code SPRING10 for 10% off at the store!",
                            "Business inquiries: {h}@mail.example.com",
                            "Tickets for the spring tour are on sale now!",
                            "Abonniert den Kanal für mehr!",
                            "Abonnez-vous et activez la cloche !",
                            "Suscríbete y activa la campanita."};
const Strings kDescChatter = {"Thanks for watching!",
                              "Recorded on a rainy Sunday afternoon.",
                              "Happy new year to all of you!",
                              "This took me three weeks, hope you enjoy it.",
                              "Sorry for the long break, life got busy.",
                              "Shout out to my mum for always supporting me!",
                              "Ich hoffe, es gefällt euch!",
                              "Merci à tous pour vos messages !",
                              "Gracias por todo el apoyo.",
                              "Obrigado por tudo, pessoal!",
                              "Grazie a tutti per il supporto.",
                              "All rights belong to their owners, no copyright infringement intended.",
                              "See you next week ✌️"};
const Strings kCommentChatter = {"First comment!!",
                                 "who's here in 2025?",
                                 "Greetings from Chile!",
                                 "i've been waiting for this all week",
                                 "My dog started barking at the screen lol",
                                 "Notification gang, where you at?",
                                 "This came up in my recommendations at 3am.",
                                 "Anyone else here from the livestream?",
                                 "what camera do you use?",
                                 "Check out my channel, I post every day!!!",
                                 "FREE GIFT CARDS at www.totally-legit.example",
                                 "Hallo aus Wien!",
                                 "¿Quién está aquí en 2025?",
                                 "Saudações de Lisboa!",
                                 "Trop bien, merci !",
                                 "Where did you buy that shirt?",
                                 "I miss the old days of this channel.",
                                 "Stayed up way too late again.",
                                 "lol same",
                                 "This deserves way more views.",
                                 "Love this so much ❤️",
                                 "Great upload as always!",
                                 "Who is watching this on a Monday morning?",
                                 "Saludos desde México!",
                                 "Ich bin so froh, dass ich das gefunden habe.",
                                 "Can you do a video about your cat next?"};
const Strings kEmoji = {"🔥🔥🔥", "😍😍", "❤️", "🙌", "👏👏👏", "💯"};
const Strings kMusicComments = {"That {lead} at the end is unreal!",
                                "The {accomp} under the melody is so {mood}.",
                                "Love how {tempo} and {dynamics} this is.",
                                "{Style} with a {lead} on top, exactly what I needed.",
                                "the {lead} tone on this is perfect",
                                "Can't stop listening to that {style} groove!",
                                "Such a {mood} tune, the {accomp} really fills it out.",
                                "Finally some {style} that isn't overproduced.",
                                "This {lead} melody gives me chills.",
                                "how do you get the {accomp} to sound that warm?",
                                "The way the {lead} comes in after the {accomp} is perfect."};
const Strings kForeignMusic = {"Die Melodie ist wunderschön und so ruhig.", "Was für ein Groove, der Bass ist der Hammer!",
                               "Quelle belle mélodie, les accords sont magnifiques.",
                               "Le rythme est super entraînant !", "Qué ritmo tan bueno, me encanta la guitarra.",
                               "La melodía es muy triste y hermosa.", "Que batida incrível, o baixo está perfeito!",
                               "A melodia é linda e muito calma.", "Che bella melodia, il violino è stupendo."};
const Strings kTalkDesc = {"In this episode we talk about city gardens and rent prices.",
                           "Today I'm showing you how to fix an old bike.",
                           "We spent the whole weekend in the mountains.",
                           "Your questions from the comments are answered at the end.",
                           "Sorry about the wind in the first few minutes.",
                           "Full transcript on the blog: https://blog.example.com/episodes",
                           "Neue Folge jeden Montag!",
                           "Nouvel épisode chaque lundi !",
                           "Nuevo episodio cada lunes.",
                           "Novo episódio toda segunda-feira."};
const Strings kNoiseDesc = {"Ten hours of steady hum to help you sleep.", "Use it to focus, study or calm a crying baby.",
                            "No ads in the middle, promise!", "Screen goes dark after the first minute.",
                            "Perfect for long flights and open-plan offices."};
const Strings kToneDesc = {"Turn the volume down before you start!", "A test signal for checking speakers and headphones.",
                           "Use it to find rattles in your car doors.", "Stop if it hurts your ears.",
                           "Works best with the equaliser switched off."};
const Strings kNonMusicComments = {"Great episode, very informative!", "What microphone do you use?",
                                   "This helped me fall asleep in ten minutes.", "My speakers survived, thanks.",
                                   "Can you talk about train tickets next time?", "Finally someone explains this properly.",
                                   "Das hat mir sehr geholfen, danke!", "Muy útil, gracias.", "the audio is a bit quiet"};

std::string said(const std::string& t, const Said& s) {
  std::string out = t;
  out = fill(out, "{Style}", upper_first(s.style));
  out = fill(out, "{style}", s.style);
  out = fill(out, "{lead}", s.lead);
  out = fill(out, "{accomp}", s.accomp);
  out = fill(out, "{mood}", s.mood);
  out = fill(out, "{tempo}", s.tempo);
  out = fill(out, "{dynamics}", s.dynamics);
  return out;
}

Sentence music_sentence(const Factors& f, Rng& rng) {
  Said s = say(f, rng);
  switch (rng.uniform_int(0, 5)) {
    case 0:
    case 1:
    case 2: return {lf_sentence(static_cast<int>(rng.uniform_int(0, kLfSentenceForms - 1)), f, s, rng), true};
    case 3: return {pick(rng, kForeignMusic), true};
    default: return {said(pick(rng, kMusicComments), s), true};
  }
}

bool ends_sentence(const std::string& s) {
  const char c = s.empty() ? '\0' : s.back();
  return c == '.' || c == '!' || c == '?';
}

bool starts_capital(const std::string& s) { return !s.empty() && std::isupper(static_cast<unsigned char>(s[0])); }

// Joins sentences into one text: " " where a splitter surely splits, a line break otherwise.
std::string join_sentences(const std::vector<Sentence>& ss) {
  std::string out;
  for (size_t i = 0; i < ss.size(); ++i) {
    if (i > 0) out += ends_sentence(ss[i - 1].text) && starts_capital(ss[i].text) ? " " : "\n";
    out += ss[i].text;
  }
  return out;
}

void add(std::vector<Sentence>& ss, RowText& out) {
  for (const auto& s : ss) out.lf.push_back({s.text, s.music, count_tokens(s.text)});
}

void make_lf(const RowTopic& topic, const std::string& artist, Rng& rng, RowText& out) {
  const Factors* f = topic.factors;
  const std::string h = handle_of(artist);
  const bool pure_nonmusic = !f || topic.kind == Kind::speech_over_music;
  std::vector<Sentence> desc;
  if (chance(rng, 0.4)) desc.push_back({pick(rng, kGreetings), false});
  if (pure_nonmusic || topic.kind == Kind::part_music) {
    Strings pool = topic.kind == Kind::noise ? kNoiseDesc : topic.kind == Kind::tone ? kToneDesc : kTalkDesc;
    shuffle(rng, pool);
    const int n = static_cast<int>(rng.uniform_int(1, 3));
    for (int i = 0; i < n; ++i) desc.push_back({pool[static_cast<size_t>(i)], false});
  }
  if (f && topic.kind != Kind::speech_over_music) {
    const int n = static_cast<int>(rng.uniform_int(topic.music_fraction >= 0.5 ? 1 : 0, 3));
    for (int i = 0; i < n; ++i) desc.push_back(music_sentence(*f, rng));
  }
  if (chance(rng, 0.4)) desc.push_back({pick(rng, kDescChatter), false});
  if (chance(rng, 0.3)) {  // chapter marks, one a line: "0:00 intro", ..., "3:41 outro"
    static const Strings middle = {"part two", "the quiet bit", "story time", "bonus", "thank yous"};
    int t = 0;
    const int n = static_cast<int>(rng.uniform_int(2, 4));
    for (int i = 0; i < n; ++i) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "%d:%02d", t / 60, t % 60);
      const std::string label = i == 0 ? "intro" : i == n - 1 ? pick(rng, Strings{"outro", "ending"}) : pick(rng, middle);
      desc.push_back({std::string(buf) + " " + label, false});
      t += static_cast<int>(rng.uniform_int(40, 200));
    }
  }
  const int promos = static_cast<int>(pick_weighted(rng, {0.35, 0.4, 0.25}));
  Strings promo = kPromotion;
  shuffle(rng, promo);
  for (int i = 0; i < promos; ++i) desc.push_back({fill(promo[static_cast<size_t>(i)], "{h}", h), false});
  out.description = join_sentences(desc);
  add(desc, out);

  const int comments = static_cast<int>(pick_weighted(rng, {0.15, 0.15, 0.15, 0.15, 0.1, 0.1, 0.08, 0.07, 0.05}));
  for (int i = 0; i < comments; ++i) {
    std::vector<Sentence> c;
    const size_t what = pick_weighted(rng, {0.5, f && !pure_nonmusic ? 0.25 : 0.0, 0.1, 0.15, pure_nonmusic ? 0.2 : 0.0});
    switch (what) {
      case 0: c.push_back({pick(rng, kCommentChatter), false}); break;
      case 1: c.push_back(music_sentence(*f, rng)); break;
      case 2: c.push_back({pick(rng, kEmoji), false}); break;
      case 3:
        c.push_back({pick(rng, Strings{"Wow.", "Okay.", "Honestly?", "Just wow!", "No words."}), false});
        if (f && !pure_nonmusic)
          c.push_back(music_sentence(*f, rng));
        else
          c.push_back({pick(rng, kCommentChatter), false});
        break;
      default: c.push_back({pick(rng, kNonMusicComments), false}); break;
    }
    out.comments.push_back(join_sentences(c));
    add(c, out);
  }
}

}  // namespace

const char* kind_name(Kind k) { return kKindNames[static_cast<int>(k)]; }

RowText make_row_text(const RowTopic& topic, Rng& rng) {
  RowText out;
  const std::string artist = pick(rng, kArtists);
  make_sf(topic, artist, rng, out);
  make_lf(topic, artist, rng, out);
  return out;
}

std::string playlist_title(const std::string& tag, Rng& rng) {
  if (tag.empty()) {
    static const Strings t = {"Watch later", "Liked videos", "stuff to show mum", "road trip 2023", "Mix 4",
                              "Lieblingsvideos", "para dormir", "random finds", "saved for the weekend"};
    return pick(rng, t);
  }
  static const Strings t = {"late night {t}", "{t} favourites", "best of {t}", "my {t} playlist", "{t} for studying",
                            "{t} only", "{t} mix"};
  return fill(pick(rng, t), "{t}", tag);
}

}  // namespace mulan::synth::crawl
