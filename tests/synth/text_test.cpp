// The four text forms and the query phrasing: variety in training text, and query words and
// templates that training text never uses.
#include <gtest/gtest.h>

#include <cctype>
#include <set>

#include "mulan/synth.h"
#include "support/test_support.h"
#include "synth/words.h"

namespace mulan::synth {
namespace {

using mulan::test::has_phrase;

std::vector<std::string> all_texts(const ClipTexts& t) {
  std::vector<std::string> v;
  for (const auto* form : {&t.sf, &t.lf, &t.pl, &t.aset}) v.insert(v.end(), form->begin(), form->end());
  return v;
}

TEST(SynthText, EveryClipGetsTheFourFormsInSeveralVariants) {
  Rng rng(1);
  for (int i = 0; i < 200; ++i) {
    const Factors f = sample_factors(rng, i % 5 == 0);
    const ClipTexts t = make_texts(f, rng);
    EXPECT_GE(t.sf.size(), 2u);
    EXPECT_GE(t.lf.size(), 2u);
    EXPECT_GE(t.pl.size(), 2u);
    EXPECT_GE(t.aset.size(), 2u);
    for (const auto& s : all_texts(t)) EXPECT_FALSE(s.empty());
    // The ASET form lists the clip's own tags (one variant by tag name).
    for (const auto& tag : tags_of(f)) EXPECT_TRUE(has_phrase(t.aset.back(), tag)) << t.aset.back() << " / " << tag;
    EXPECT_TRUE(has_phrase(t.aset.front(), words_for(f.style).aset)) << t.aset.front();
  }
}

TEST(SynthText, SynonymsVaryAcrossClips) {
  // Fast clips are called fast in many ways, not one.
  Rng rng(2);
  std::set<std::string> used;
  for (int i = 0; i < 400; ++i) {
    Factors f = sample_factors(rng, false);
    f.tempo = Tempo::Fast;
    for (const auto& s : all_texts(make_texts(f, rng)))
      for (const auto& w : words_for("fast").words)
        if (has_phrase(s, w)) used.insert(w);
  }
  EXPECT_GE(used.size(), 4u);
}

TEST(SynthText, LongFormMixesMusicWithOtherTalk) {
  Rng rng(3);
  int off_topic = 0;
  for (int i = 0; i < 200; ++i)
    for (const auto& lf : make_texts(sample_factors(rng, false), rng).lf)
      off_topic += has_phrase(lf, "thanks for listening") || has_phrase(lf, "subscribe") || has_phrase(lf, "comment");
  EXPECT_GT(off_topic, 20);
}

TEST(SynthText, TrainingTextNeverUsesQueryOnlyWords) {
  Rng rng(4);
  std::string corpus;
  for (int i = 0; i < 3000; ++i)
    for (const auto& s : all_texts(make_texts(sample_factors(rng, i % 5 == 0), rng))) corpus += s + "\n";
  const auto phrases = query_only_phrases();
  EXPECT_GE(phrases.size(), 80u);
  for (const auto& p : phrases) EXPECT_FALSE(has_phrase(corpus, p)) << p;
  // Nor a query's opening words.
  for (const char* p : {"looking for", "i want to hear", "play me", "find me", "recommend me", "search for",
                        "need some", "show me", "put on some", "queue up"})
    EXPECT_FALSE(has_phrase(corpus, p)) << p;
}

TEST(SynthText, QueriesSayEachTagInTheChosenWords) {
  Rng rng(5);
  for (int i = 0; i < 300; ++i) {
    const auto tags = tags_of(sample_factors(rng, true));
    const std::vector<std::string> chosen = {tags[0], tags[static_cast<size_t>(1 + i % (tags.size() - 1))]};
    const std::string seen = make_query_text(chosen, false, rng), unseen = make_query_text(chosen, true, rng);
    for (const auto& t : chosen) {
      EXPECT_TRUE(has_phrase(seen, words_for(t).words.front())) << seen << " / " << t;
      bool any = false;
      for (const auto& q : words_for(t).query_words) any = any || has_phrase(unseen, q);
      EXPECT_TRUE(any) << unseen << " / " << t;
    }
  }
}

}  // namespace
}  // namespace mulan::synth
