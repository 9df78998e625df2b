// The text side of mining (mulan/text_mining.h): the sentence splitter, the token count and the
// SF rule filter with the project's rules file. Expected sentence splits are written by hand
// (no independent splitter is installed); the SF filter is checked against the contract's
// boilerplate list (/work/notes/mine_contract.md, docs/mining.md) and the synthetic corpus's
// tags.
#include "mulan/text_mining.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "mulan/error.h"
#include "mulan/synth.h"
#include "support/test_support.h"
#include "synth/words.h"

namespace mulan::text::mining_test {
namespace {

using Strings = std::vector<std::string>;

using test::error_of;

// ---------------------------------------------------------------------------------------------
// split_sentences

TEST(SplitSentences, AbbreviationsDoNotEndSentences) {
  EXPECT_EQ(split_sentences("Mr. Smith went home. Dr. Dre is here."),
            (Strings{"Mr. Smith went home.", "Dr. Dre is here."}));
  EXPECT_EQ(split_sentences("Use e.g. this one. Or i.e. That one."), (Strings{"Use e.g. this one.", "Or i.e. That one."}));
  EXPECT_EQ(split_sentences("Rock vs. Jazz is an old fight. Rock vs. that."),
            (Strings{"Rock vs. Jazz is an old fight.", "Rock vs. that."}));
  EXPECT_EQ(split_sentences("Song feat. Xavier is good. Song ft. Xavier too. Song (feat. Xavier) Too."),
            (Strings{"Song feat. Xavier is good.", "Song ft. Xavier too.", "Song (feat. Xavier) Too."}));
  EXPECT_EQ(split_sentences("J. S. Bach wrote it. Op. 27 No. 2 by Beethoven. Prod. Metro on the beat."),
            (Strings{"J. S. Bach wrote it.", "Op. 27 No. 2 by Beethoven.", "Prod. Metro on the beat."}));
  // Case does not matter for the added abbreviations.
  EXPECT_EQ(split_sentences("DR. Dre and FEAT. Eminem. Great."), (Strings{"DR. Dre and FEAT. Eminem.", "Great."}));
}

TEST(SplitSentences, WordsThatAreNotAbbreviationsStillEndSentences) {
  // "no." ends a sentence here, and a year is not an abbreviation.
  EXPECT_EQ(split_sentences("I said no. Then I left."), (Strings{"I said no.", "Then I left."}));
  EXPECT_EQ(split_sentences("It came out in 2021. Next one is better."),
            (Strings{"It came out in 2021.", "Next one is better."}));
  EXPECT_EQ(split_sentences("I love Pop. Rock too."), (Strings{"I love Pop.", "Rock too."}));
}

TEST(SplitSentences, UrlsAndEmailsAreNeverSplit) {
  EXPECT_EQ(split_sentences("visit www.example.com/a.b for more"), (Strings{"visit www.example.com/a.b for more"}));
  // ICU alone breaks after the '?' and the '!' inside these.
  EXPECT_EQ(split_sentences("Link: https://x.io/watch?v=a!B.C thanks"),
            (Strings{"Link: https://x.io/watch?v=a!B.C thanks"}));
  EXPECT_EQ(split_sentences("See youtu.be/AbC?t=1. Then go."), (Strings{"See youtu.be/AbC?t=1.", "Then go."}));
  EXPECT_EQ(split_sentences("Go to www.Example.Com/Hi!There now. Bye."),
            (Strings{"Go to www.Example.Com/Hi!There now.", "Bye."}));
  EXPECT_EQ(split_sentences("Mail John.Doe@Example.com! Thanks."), (Strings{"Mail John.Doe@Example.com!", "Thanks."}));
  EXPECT_EQ(split_sentences("Booking: info.desk@label.co.uk. Stream it."),
            (Strings{"Booking: info.desk@label.co.uk.", "Stream it."}));
}

TEST(SplitSentences, EmojiStayWithTheirSentence) {
  EXPECT_EQ(split_sentences("Great song! 🔥🔥 Love it. So good 😍"),
            (Strings{"Great song! 🔥🔥", "Love it.", "So good 😍"}));
  EXPECT_EQ(split_sentences("Nice. 😍 ❤️ What a track! 👍🏽"), (Strings{"Nice. 😍 ❤️", "What a track! 👍🏽"}));
  EXPECT_EQ(split_sentences("Loved it! <3 See you. 🇫🇷🇯🇵 Bye"), (Strings{"Loved it! <3", "See you. 🇫🇷🇯🇵", "Bye"}));
  // ICU itself keeps ":)" after "!" (a colon continues a sentence).
  EXPECT_EQ(split_sentences("Loved it! :) See you."), (Strings{"Loved it! :) See you."}));
  // A line of emoji only is a sentence of its own (a line break ends a sentence).
  EXPECT_EQ(split_sentences("🔥🔥🔥\nNice."), (Strings{"🔥🔥🔥", "Nice."}));
}

TEST(SplitSentences, LineBreaksEndSentencesAndTimestampsStayWhole) {
  EXPECT_EQ(split_sentences("0:00 intro\n0:45 verse\r\n\r\n1:30 chorus\n12:05 outro"),
            (Strings{"0:00 intro", "0:45 verse", "1:30 chorus", "12:05 outro"}));
  EXPECT_EQ(split_sentences("first line without a stop\nsecond line\u2028third"),
            (Strings{"first line without a stop", "second line", "third"}));
  EXPECT_EQ(split_sentences("The solo at 1:23. Then the bridge at 2:05 is great"),
            (Strings{"The solo at 1:23.", "Then the bridge at 2:05 is great"}));
  // A list number belongs to its line.
  EXPECT_EQ(split_sentences("1. Intro\n2. Verse"), (Strings{"1. Intro", "2. Verse"}));
}

TEST(SplitSentences, DecimalsEllipsesAndQuestionExclamation) {
  EXPECT_EQ(split_sentences("It costs 3.5 dollars. Version 2.0 is out."),
            (Strings{"It costs 3.5 dollars.", "Version 2.0 is out."}));
  EXPECT_EQ(split_sentences("Wait... what? I don't know... Maybe tomorrow."),
            (Strings{"Wait... what?", "I don't know...", "Maybe tomorrow."}));
  EXPECT_EQ(split_sentences("Really?! Yes. Are you sure?!? OK..."),
            (Strings{"Really?!", "Yes.", "Are you sure?!?", "OK..."}));
  EXPECT_EQ(split_sentences("He said \"Stop.\" Then he left."), (Strings{"He said \"Stop.\"", "Then he left."}));
}

TEST(SplitSentences, SeveralLanguages) {
  EXPECT_EQ(split_sentences("Das ist z.B. gut. Er kam bzw. ging. Dann ging er. Nr. 5 ist toll."),
            (Strings{"Das ist z.B. gut.", "Er kam bzw. ging.", "Dann ging er.", "Nr. 5 ist toll."}));
  EXPECT_EQ(split_sentences("C'est M. Dupont. Il est là ! Mme. Curie aussi."),
            (Strings{"C'est M. Dupont.", "Il est là !", "Mme. Curie aussi."}));
  EXPECT_EQ(split_sentences("¿Qué tal? ¡Muy bien! El Sr. García canta."),
            (Strings{"¿Qué tal?", "¡Muy bien!", "El Sr. García canta."}));
  EXPECT_EQ(split_sentences("これは日本語です。とても良い曲ですね！最高。"),
            (Strings{"これは日本語です。", "とても良い曲ですね！", "最高。"}));
  EXPECT_EQ(split_sentences("Это хорошая песня. Спасибо!"), (Strings{"Это хорошая песня.", "Спасибо!"}));
}

TEST(SplitSentences, TrimsAndDropsEmptyPieces) {
  EXPECT_EQ(split_sentences(""), Strings{});
  EXPECT_EQ(split_sentences(" \n\n\t \r\n"), Strings{});
  EXPECT_EQ(split_sentences("  Hello there.   \t\n\u00a0 Bye.\u3000"), (Strings{"Hello there.", "Bye."}));
}

TEST(SplitSentences, InvalidUtf8Throws) {
  EXPECT_NE(error_of([] { split_sentences("good\xff bad"); }).find("not valid UTF-8"), std::string::npos);
  EXPECT_NE(error_of([] { split_sentences("\xc3"); }).find("split_sentences"), std::string::npos);
}

TEST(SplitSentences, HostileLinesCostTheirLength) {
  // Each of these took seconds to minutes at 20 KB before the URL search went word by word
  // (ICU's regex backtracked over whole words, or ran out of its stack); now 1 MB is quick.
  const size_t n = 1000000;
  std::string dots, sentences, lines;
  while (dots.size() < n) dots += "a.";
  while (sentences.size() < n) sentences += "Mr. A. B. Smith sang. ";
  while (lines.size() < n) lines += "a.\n";
  EXPECT_EQ(split_sentences(dots).size(), 1u);
  EXPECT_EQ(split_sentences("see www." + std::string(n, 'a') + " now. Next.").size(), 2u);
  EXPECT_EQ(split_sentences(std::string(n, 'a') + "@x.com. Next.").size(), 2u);
  EXPECT_EQ(split_sentences(sentences).size(), (n + 21) / 22);
  EXPECT_EQ(split_sentences(lines).size(), (n + 2) / 3);
  EXPECT_EQ(split_sentences(std::string(n, ' ') + "x").size(), 1u);
}

// ---------------------------------------------------------------------------------------------
// count_tokens

TEST(CountTokens, ContractExamples) {
  EXPECT_EQ(count_tokens("[Official"), 1);
  EXPECT_EQ(count_tokens("-"), 0);
  EXPECT_EQ(count_tokens("|"), 0);
  EXPECT_EQ(count_tokens("🔥"), 0);
  EXPECT_EQ(count_tokens("https://x.io/a"), 1);
  EXPECT_EQ(count_tokens("2021-03-04"), 1);
  EXPECT_EQ(count_tokens("#jazz"), 1);
  EXPECT_EQ(count_tokens(""), 0);
  EXPECT_EQ(count_tokens("Artist - Title [Official Video] 🔥 | HD"), 5);
  // Unicode White_Space separates (NBSP, ideographic space, line separator); a run of CJK
  // letters is one token; a mark alone is not a letter.
  EXPECT_EQ(count_tokens("a\u00a0b\u3000c\u2028d"), 4);
  EXPECT_EQ(count_tokens("日本語の曲 です"), 2);
  EXPECT_EQ(count_tokens("\u0301 ½ Ⅻ"), 2);  // No and Nl count, Mn does not
  EXPECT_THROW(count_tokens("\xff"), Error);
}

// ---------------------------------------------------------------------------------------------
// SfRules

const SfRules& rules() {
  static const SfRules r = SfRules::builtin();
  return r;
}

std::string cleaned(const std::string& text) { return rules().apply(text).text; }

TEST(SfRules, BuiltinIsTheProjectFile) {
  const SfRules from_file = SfRules::load(std::string(MULAN_SOURCE_DIR) + "/data/mining/sf-rules.txt");
  EXPECT_EQ(from_file.remove_phrases(), rules().remove_phrases());
  EXPECT_EQ(from_file.remove_regexes(), rules().remove_regexes());
  EXPECT_EQ(from_file.keep_phrases(), rules().keep_phrases());
  EXPECT_EQ(from_file.music_phrases(), rules().music_phrases());
  EXPECT_GE(rules().music_phrases(), 300u);
  EXPECT_GE(rules().remove_phrases(), 60u);
}

TEST(SfRules, RemovesEachKindOfBoilerplate) {
  struct Case {
    std::string in, out;
  };
  const std::vector<Case> cases = {
      {"Artist - Smooth Jazz (Official Video)", "Artist - Smooth Jazz"},
      {"Artist - Smooth Jazz [Official Music Video] HD", "Artist - Smooth Jazz"},
      {"Artist - Piano Ballad (Official Lyric Video) [HQ]", "Artist - Piano Ballad"},
      {"Artist - Piano Ballad (Lyrics) | with lyrics", "Artist - Piano Ballad"},
      {"Artist - Rock Anthem 【4K】 1080p 720p", "Artist - Rock Anthem"},
      {"Artist - Jazz Ballad (Remastered 2011)", "Artist - Jazz Ballad"},
      {"Artist - Jazz Ballad (2011 Remaster)", "Artist - Jazz Ballad"},
      {"Artist - Jazz Ballad - Remastered", "Artist - Jazz Ballad"},
      // Dates before "remaster YEAR": neither may leave half a date behind.
      {"Jazz Ballad Remaster 2024-01-11", "Jazz Ballad"},
      {"Jazz Ballad 15 December 2019 Remaster", "Jazz Ballad"},
      {"Jazz Ballad 04/05/2026 Remastered", "Jazz Ballad"},
      {"EXPLICIT - Trap Beat (Clean Version) out now", "Trap Beat"},
      {"Sad Piano | Free Download | download", "Sad Piano"},
      {"Subscribe! Sad Piano - NEW SONG (Premiere) Exclusive", "Sad Piano"},
      {"Artist - Blues Guitar | VEVO", "Artist - Blues Guitar"},
      {"ArtistVEVO - Blues Guitar", "Artist - Blues Guitar"},
      {"Uploaded by someone: Blues Guitar", "someone: Blues Guitar"},
      {"Blues Guitar (2024)", "Blues Guitar"},
      {"Blues Guitar 2021-03-04", "Blues Guitar"},
      {"Blues Guitar 03/04/2021", "Blues Guitar"},
      {"Blues Guitar - 4 March 2021", "Blues Guitar"},
      {"Blues Guitar - March 4, 2021", "Blues Guitar"},
      {"01. Blues Guitar", "Blues Guitar"},
      {"01 - Blues Guitar", "Blues Guitar"},
      {"Track 3 - Blues Guitar", "Blues Guitar"},
      {"#3 Blues Guitar", "Blues Guitar"},
      {"Blues Guitar https://youtu.be/abc?t=1", "Blues Guitar"},
      {"Blues Guitar www.example.com/a.b", "Blues Guitar"},
      {"Blues Guitar on example.com/x", "Blues Guitar on"},
      {"Blues Guitar @mulan_music", "Blues Guitar"},
      {"Blues Guitar - mail me: me@example.org", "Blues Guitar - mail me"},
      {"Blues Guitar (Audio) [Video] Music Video Visualizer", "Blues Guitar"},
      {"Blues Guitar | Full Album | Full Song", "Blues Guitar"},
      {"Blues Guitar 【MV】 Official", "Blues Guitar"},
      {"Blues Guitar – Topic", "Blues Guitar"},
      {"Blues Guitar 60fps UHD", "Blues Guitar"},
  };
  for (const auto& c : cases) {
    const SfResult r = rules().apply(c.in);
    EXPECT_EQ(r.text, c.out) << c.in;
    EXPECT_TRUE(r.kept) << c.in << " -> " << r.text;
    EXPECT_EQ(r.reason, "") << c.in;
    EXPECT_FALSE(r.removed.empty()) << c.in;
  }
}

TEST(SfRules, DecimalsAndNumbersThatAreNotBoilerplateStay) {
  EXPECT_EQ(cleaned("3.5 hours of relaxing piano"), "3.5 hours of relaxing piano");
  EXPECT_EQ(cleaned("80s synthpop and 1990s rock"), "80s synthpop and 1990s rock");
  EXPECT_EQ(cleaned("120 bpm techno"), "120 bpm techno");
  EXPECT_EQ(cleaned("Symphony No. 9 in D minor"), "Symphony No. 9 in D minor");
}

TEST(SfRules, HashtagsLoseTheirHashOnly) {
  const SfResult r = rules().apply("#jazz #piano #NewMusic #3");
  EXPECT_EQ(r.text, "jazz piano");
  EXPECT_TRUE(r.kept);
  EXPECT_EQ(cleaned("#hiphop"), "hiphop");
  EXPECT_TRUE(rules().apply("#hiphop").kept);  // "hip hop" matches with no space
  EXPECT_EQ(cleaned("C# minor prelude"), "C# minor prelude");  // the '#' does not start a word
  EXPECT_EQ(cleaned("##lofi"), "lofi");
}

TEST(SfRules, ArtistNamesStayAndTextsWithoutMusicGo) {
  SfResult r = rules().apply("Miles Davis - So What (Official Audio) | Jazz");
  EXPECT_TRUE(r.kept);
  EXPECT_EQ(r.text, "Miles Davis - So What | Jazz");
  r = rules().apply("Miles Davis - So What (Official Audio)");
  EXPECT_FALSE(r.kept);
  EXPECT_EQ(r.text, "Miles Davis - So What");
  EXPECT_EQ(r.reason, "no music words left");
  EXPECT_EQ(r.tokens_before, 6);
  EXPECT_EQ(r.tokens_after, 4);
  r = rules().apply("Official Video HD [4K]");
  EXPECT_FALSE(r.kept);
  EXPECT_EQ(r.reason, "empty");
  EXPECT_EQ(r.text, "");
  EXPECT_EQ(r.tokens_after, 0);
  r = rules().apply("🔥🔥 | 🔥");
  EXPECT_FALSE(r.kept);
  EXPECT_EQ(r.reason, "empty");
  r = rules().apply("");
  EXPECT_FALSE(r.kept);
  EXPECT_EQ(r.reason, "empty");
  // Generic words are not music.
  EXPECT_FALSE(rules().apply("Best Music Album Song Track").kept);
}

TEST(SfRules, HardCasesAroundNew) {
  // "new" is boilerplate, but not in a name or a genre.
  EXPECT_EQ(cleaned("New Orleans jazz"), "New Orleans jazz");
  EXPECT_EQ(cleaned("NEW Song | New Orleans jazz"), "New Orleans jazz");
  EXPECT_EQ(cleaned("New Order - Blue Monday (New Song) synth-pop"), "New Order - Blue Monday synth-pop");
  EXPECT_EQ(cleaned("New Wave classics"), "New Wave classics");
  EXPECT_TRUE(rules().apply("new age meditation").kept);
  EXPECT_EQ(cleaned("New jazz single"), "jazz single");
  // "video" goes, "video game music" stays; "free" alone is not removed ("free jazz").
  EXPECT_EQ(cleaned("Video Game Music - chiptune (HD Video)"), "Video Game Music - chiptune");
  EXPECT_EQ(cleaned("Free Jazz (Free Download)"), "Free Jazz");
  // "clean version" goes, the synthetic corpus's "clean guitar" stays.
  EXPECT_EQ(cleaned("clean guitar (Clean Version)"), "clean guitar");
  // "lyrics" goes, "lyrical" is another word.
  EXPECT_EQ(cleaned("lyrical violin (Lyrics)"), "lyrical violin");
  // A removal is skipped only inside a protected phrase, not where it overlaps one: "rock
  // music" is music, and "Music Video" still goes.
  EXPECT_EQ(cleaned("ROCK Music Video"), "ROCK");
  // Gaps: "R & B" is "r&b", "Lo_Fi" is "lo-fi"; other characters must match.
  EXPECT_TRUE(rules().apply("Smooth R & B").kept);
  EXPECT_TRUE(rules().apply("Lo_Fi").kept);
  EXPECT_EQ(cleaned("Title M/V"), "Title");
  EXPECT_EQ(cleaned("Title M V"), "Title M V");
  // New York is a place: not music on its own.
  const SfResult ny = rules().apply("New York, New York");
  EXPECT_EQ(ny.text, "New York, New York");
  EXPECT_FALSE(ny.kept);
}

TEST(SfRules, ExplainNamesTheRuleAndItsLine) {
  const SfResult r = rules().apply("Jazz Piano (Official Video) #3 2024");
  ASSERT_EQ(r.removed.size(), 3u);
  // Regexes first (year, then "#3" in file order), then phrases.
  EXPECT_EQ(r.removed[0].rfind("2024 <- regex ", 0), 0u) << r.removed[0];
  EXPECT_EQ(r.removed[1].rfind("#3 <- regex ", 0), 0u) << r.removed[1];
  EXPECT_EQ(r.removed[2].rfind("Official Video <- phrase 'official video' (data/mining/sf-rules.txt:", 0), 0u)
      << r.removed[2];
  // The line named is the phrase's line in the file.
  const std::string& entry = r.removed[2];
  const size_t colon = entry.rfind(':');
  const int line = std::stoi(entry.substr(colon + 1));
  std::ifstream in(std::string(MULAN_SOURCE_DIR) + "/data/mining/sf-rules.txt");
  std::string text;
  for (int i = 0; i < line && std::getline(in, text); ++i) {
  }
  EXPECT_EQ(text, "official video");
}

// Separator tokens and empty brackets, as the contract forbids them in a cleaned text.
bool is_separator_word(const std::string& w) {
  static const std::set<std::string> seps = {"-", "–", "—", "|", ":", "·", "•", "/", "~", ",", ";", "&", "+"};
  return seps.count(w) > 0;
}

void expect_tidy(const std::string& in, const std::string& out) {
  EXPECT_EQ(out.find("  "), std::string::npos) << in << " -> " << out;
  if (!out.empty()) {
    EXPECT_NE(out.front(), ' ') << in << " -> " << out;
    EXPECT_NE(out.back(), ' ') << in << " -> " << out;
  }
  for (const char* empty : {"()", "( )", "[]", "[ ]", "【】", "【 】", "{}", "\"\"", "\" \""})
    EXPECT_EQ(out.find(empty), std::string::npos) << in << " -> " << out;
  std::istringstream words(out);
  std::vector<std::string> w;
  for (std::string x; words >> x;) w.push_back(x);
  if (!w.empty()) {
    EXPECT_FALSE(is_separator_word(w.front())) << in << " -> " << out;
    EXPECT_FALSE(is_separator_word(w.back())) << in << " -> " << out;
    for (const char* edge : {"-", "|", ":", ",", "·", "•"}) {
      EXPECT_NE(w.back().rfind(edge), w.back().size() - std::string(edge).size()) << in << " -> " << out;
      EXPECT_NE(w.front().find(edge), 0u) << in << " -> " << out;
    }
  }
  for (size_t i = 1; i < w.size(); ++i)
    EXPECT_FALSE(is_separator_word(w[i - 1]) && is_separator_word(w[i])) << in << " -> " << out;
}

TEST(SfRules, EveryContractBoilerplateGoesAndLeavesATidyText) {
  // The contract's list (mine_contract.md), each with its token count.
  struct Boilerplate {
    std::string text;
    int tokens;
  };
  const std::vector<Boilerplate> boilerplate = {
      {"official video", 2},  {"Official Music Video", 3}, {"OFFICIAL AUDIO", 2},  {"Official Lyric Video", 3},
      {"lyric video", 2},     {"Lyrics", 1},               {"with lyrics", 2},     {"Audio", 1},
      {"Video", 1},           {"Music Video", 2},          {"Visualizer", 1},      {"HD", 1},
      {"hq", 1},              {"4K", 1},                   {"1080p", 1},           {"720p", 1},
      {"Full Album", 2},      {"full song", 2},            {"Remastered", 1},      {"remaster", 1},
      {"Remastered 2011", 2}, {"remastered 1997", 2},      {"Explicit", 1},        {"Clean Version", 2},
      {"Free Download", 2},   {"download", 1},             {"Subscribe", 1},       {"NEW", 1},
      {"New Song", 2},        {"Premiere", 1},             {"exclusive", 1},       {"Out Now", 2},
      {"VEVO", 1},            {"Topic", 1},                {"uploaded by", 2},     {"2019", 1},
      {"2022", 1},            {"2026", 1},                 {"2021-03-04", 1},      {"03/04/2021", 1},
      {"4 March 2021", 3},    {"https://www.youtube.com/watch?v=abc", 1},         {"http://x.io/a", 1},
      {"www.example.com/a.b", 1},                          {"@mulan_music", 1},    {"@some.one", 1},
  };
  const std::vector<std::string> wrappers = {"(%)", "[%]", "【%】", "- %", "| %", "· %", "• %", "%", "(% 🔥)", "[ % ]"};
  const std::vector<std::string> artists = {"Miles Davis", "Sigur Rós", "坂本龍一", "New Order", "Ana Tijoux"};
  const std::vector<std::string> music = {"smooth jazz", "Sad Piano", "lo-fi hip hop", "ROCK", "calm harp"};
  struct Prefix {
    std::string text;
    int tokens;
  };
  const std::vector<Prefix> prefixes = {{"", 0}, {"01. ", 1}, {"01 - ", 1}, {"Track 3 - ", 2}, {"#3 ", 1}};
  int checked = 0;
  for (size_t i = 0; i < boilerplate.size(); ++i) {
    for (size_t k = 0; k < 3; ++k) {
      const size_t j = i * 3 + k;
      const Boilerplate& b = boilerplate[i];
      const Boilerplate& b2 = boilerplate[(i * 7 + k + 3) % boilerplate.size()];
      const Prefix& p = prefixes[j % prefixes.size()];
      std::string w = wrappers[j % wrappers.size()];
      w.replace(w.find('%'), 1, b.text);
      std::string w2 = wrappers[(j + 3) % wrappers.size()];
      w2.replace(w2.find('%'), 1, b2.text);
      const std::string& artist = artists[j % artists.size()];
      const std::string& m = music[(j / 2) % music.size()];
      const std::string title = p.text + artist + " - Night Drive " + m + " " + w + " " + w2;
      const SfResult r = rules().apply(title);
      EXPECT_TRUE(r.kept) << title << " -> " << r.text;
      EXPECT_EQ(r.text, artist + " - Night Drive " + m) << title;
      EXPECT_EQ(r.tokens_before - r.tokens_after, b.tokens + b2.tokens + p.tokens) << title << " -> " << r.text;
      expect_tidy(title, r.text);
      // Alone, each is nothing but boilerplate.
      const SfResult alone = rules().apply(w);
      EXPECT_EQ(alone.tokens_after, 0) << w << " -> " << alone.text;
      EXPECT_FALSE(alone.kept) << w;
      ++checked;
    }
  }
  EXPECT_EQ(checked, static_cast<int>(boilerplate.size() * 3));
}

TEST(SfRules, SeparatorsAndBracketsAreTidied) {
  EXPECT_EQ(cleaned("Jazz - - Piano | | Trio"), "Jazz - Piano | Trio");
  EXPECT_EQ(cleaned("| Jazz Piano |"), "Jazz Piano");
  EXPECT_EQ(cleaned("Jazz Piano: Official Video"), "Jazz Piano");
  EXPECT_EQ(cleaned("Jazz Piano ( - HD - )"), "Jazz Piano");
  EXPECT_EQ(cleaned("Jazz Piano ([Official Video])"), "Jazz Piano");
  EXPECT_EQ(cleaned("Jazz Piano \"Official Audio\" 🔥"), "Jazz Piano 🔥");
  EXPECT_EQ(cleaned("\"Jazz\" \"Piano\""), "\"Jazz\" \"Piano\"");  // quotes with words in them stay
  EXPECT_EQ(cleaned("Jazz Piano (feat. Someone) [HD]"), "Jazz Piano (feat. Someone)");
  EXPECT_EQ(cleaned("Jazz Piano Vol. 2..."), "Jazz Piano Vol. 2...");
}

TEST(SfRules, EverySyntheticTagIsMusic) {
  const auto& tags = synth::all_tags();
  ASSERT_GE(tags.size(), 40u);
  for (const auto& tag : tags) {
    const SfResult r = rules().apply(tag);
    EXPECT_TRUE(r.kept) << tag;
    EXPECT_EQ(r.text, tag);
    // As a hashtag, words run together.
    std::string hashtag = "#";
    for (char c : tag)
      if (c != ' ') hashtag += c;
    EXPECT_TRUE(rules().apply(hashtag).kept) << hashtag;
    EXPECT_TRUE(rules().apply("Some Artist - " + tag + " (Official Video)").kept) << tag;
  }
}

TEST(SfRules, TheSyntheticCorpusPhrasingsAreMusicButGeneralWordsAreNot) {
  // Words of the synth's synonym tables that are general English, deliberately not music:
  // kept out so that titles like "Quick Update" or "Island Life" do not pass.
  const std::set<std::string> general = {"island",    "cuban",     "jamaican", "ivories",  "licorice stick",
                                         "unhurried", "leisurely", "moderate", "steady",   "moderately paced",
                                         "walking-pace", "quick",  "rapid",    "brisk",    "driving",
                                         "pumping",   "low-volume", "sunny"};
  int phrasings = 0;
  for (const auto& w : synth::all_words()) {
    std::vector<std::string> all = w.words;
    all.insert(all.end(), w.query_words.begin(), w.query_words.end());
    for (const auto& phrase : all) {
      ++phrasings;
      EXPECT_EQ(rules().apply(phrase).kept, general.count(phrase) == 0) << phrase;
    }
    EXPECT_TRUE(rules().has_music(w.aset)) << w.aset;
  }
  EXPECT_GE(phrasings, 150);
}

// ---------------------------------------------------------------------------------------------
// A user's rules file

std::string write(const test::TempDir& dir, const std::string& name, const std::string& text) {
  const std::string path = dir.file(name);
  test::write_text(path, text);
  return path;
}

TEST(SfRules, AUserFileExtendsTheBuiltinRules) {
  test::TempDir dir;
  const std::string path = write(dir, "my-rules.txt",
                                 "# my additions\n"
                                 "[music]\n"
                                 "zouk\n"
                                 "kompa\n"
                                 "[remove]\n"
                                 "bonus track\n"
                                 "[keep]\n"
                                 "New Kingston\n"
                                 "[remove-regex]\n"
                                 "\\(prod\\. [^)]*\\)\n"
                                 "[strip-prefix]\n"
                                 "~\n");
  SfRules mine = SfRules::builtin();
  EXPECT_FALSE(mine.apply("Zouk Night").kept);
  mine.extend(SfRules::load(path));
  EXPECT_EQ(mine.music_phrases(), rules().music_phrases() + 2);
  EXPECT_EQ(mine.remove_regexes(), rules().remove_regexes() + 1);
  const SfResult r = mine.apply("~Zouk Night (Bonus Track) (Prod. Someone) [Official Video]");
  EXPECT_TRUE(r.kept);
  EXPECT_EQ(r.text, "Zouk Night");
  ASSERT_FALSE(r.removed.empty());
  EXPECT_NE(r.removed[0].find("(" + path + ":10)"), std::string::npos) << r.removed[0];
  EXPECT_EQ(mine.apply("New Kingston kompa").text, "New Kingston kompa");
  // The built-in rules are untouched.
  EXPECT_FALSE(rules().apply("Zouk Night").kept);
  EXPECT_EQ(rules().apply("Jazz (Bonus Track)").text, "Jazz (Bonus Track)");
  // Copies are independent.
  SfRules copy = mine;
  copy.extend(SfRules::parse("[music]\nbachata rosa\n", "inline"));
  EXPECT_EQ(copy.music_phrases(), mine.music_phrases() + 1);
  EXPECT_TRUE(copy.apply("Zouk Night").kept);
}

TEST(SfRules, ParseErrorsNameFileAndLine) {
  test::TempDir dir;
  struct Bad {
    std::string text;
    int line;
    std::string says;
  };
  const std::vector<Bad> bad = {
      {"# nothing yet\njazz\n", 2, "before any section"},
      {"[music]\njazz\n[sounds]\n", 3, "unknown section [sounds]"},
      {"[remove-regex]\n# ok\n(unclosed\n", 3, "U_REGEX_MISMATCHED_PAREN"},
      {"[remove-regex]\nfoo[\n", 2, "bad regular expression (U_REGEX_"},
      {"[remove-regex]\n\\s*\n", 2, "matches empty text"},
      {"[strip-prefix]\n~~\n", 2, "[strip-prefix] takes one character"},
      {"[strip-prefix]\na\n", 2, "[strip-prefix] takes one character"},
      {"[music]\nrock\n - \n", 3, "needs a letter or a digit"},
      {"[music]\nrock\nro\xffk\n", 3, "not valid UTF-8"},
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    const std::string path = write(dir, "bad" + std::to_string(i) + ".txt", bad[i].text);
    const std::string message = error_of([&] { SfRules::load(path); });
    EXPECT_EQ(message.rfind(path + ":" + std::to_string(bad[i].line) + ": ", 0), 0u) << bad[i].text << " -> " << message;
    EXPECT_NE(message.find(bad[i].says), std::string::npos) << message;
  }
  EXPECT_THROW(SfRules::load(dir.file("missing.txt")), FileNotFound);
  // A '#' entry is written "\#"; a plain "#" line is a comment.
  const SfRules hash = SfRules::parse("[strip-prefix]\n\\#\n[music]\njazz\n", "inline");
  EXPECT_EQ(hash.apply("#jazz").text, "jazz");
  const SfRules none = SfRules::parse("[strip-prefix]\n#\n[music]\njazz\n", "inline");
  EXPECT_EQ(none.apply("#jazz").text, "#jazz");
}

TEST(SfRules, LongAndHostileTexts) {
  const size_t n = kSfMaxBytes - 10;
  std::string dots, lines;
  while (dots.size() < n) dots += "a.";
  while (lines.size() < n) lines += "a.\n";
  EXPECT_EQ(rules().apply(std::string(n, 'a')).tokens_after, 1);
  EXPECT_EQ(rules().apply(dots).tokens_after, 1);
  EXPECT_EQ(rules().apply(lines).tokens_after, static_cast<int64_t>((n + 2) / 3));
  EXPECT_EQ(rules().apply(std::string(n, ' ') + "jazz").text, "jazz");
  EXPECT_EQ(rules().apply(std::string(n, '#') + "jazz").text, "jazz");
  EXPECT_EQ(rules().apply("jazz " + std::string(n, '#')).text, "jazz");  // a trailing separator token
  const std::string too_long = error_of([] { rules().apply(std::string(kSfMaxBytes + 1, 'a')); });
  EXPECT_NE(too_long.find("at most " + std::to_string(kSfMaxBytes)), std::string::npos) << too_long;
  // A user's regex that backtracks without bound fails on the text that makes it, by name.
  const SfRules bad = SfRules::parse("[remove-regex]\n(a+)+b\n", "mine.txt");
  EXPECT_EQ(bad.apply("aab").text, "");
  const std::string slow = error_of([&] { bad.apply(std::string(40, 'a')); });
  EXPECT_NE(slow.find("'(a+)+b' (mine.txt:2) takes too long"), std::string::npos) << slow;
}

TEST(SfRules, InvalidUtf8Throws) {
  EXPECT_NE(error_of([] { rules().apply("Jazz \xc0\xaf"); }).find("not valid UTF-8"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Threads: mining calls these from every core at once.

TEST(TextMining, SafeFromManyThreads) {
  const Strings texts = {"Artist - Smooth Jazz (Official Video) 2024 #3", "#jazz #piano",
                         "New Orleans jazz | New Song", "Great song! 🔥🔥 Love it. Mr. Smith agrees.\n0:45 solo",
                         "visit www.example.com/a.b for more. Bye!"};
  std::vector<SfResult> serial_sf;
  std::vector<Strings> serial_split;
  for (const auto& t : texts) {
    serial_sf.push_back(rules().apply(t));
    serial_split.push_back(split_sentences(t));
  }
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int k = 0; k < 4; ++k)
    threads.emplace_back([&, k] {
      for (int round = 0; round < 50; ++round)
        for (size_t i = 0; i < texts.size(); ++i) {
          if (rules().apply(texts[i]).text != serial_sf[i].text) ++mismatches[static_cast<size_t>(k)];
          if (split_sentences(texts[i]) != serial_split[i]) ++mismatches[static_cast<size_t>(k)];
        }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

}  // namespace
}  // namespace mulan::text::mining_test
