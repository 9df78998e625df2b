// The composer and the factor tables: drums only when asked, tempo sets note density, the mode
// shows in the thirds, held-out pairs stay out of training draws. No audio here.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "mulan/error.h"
#include "synth/harmony.h"
#include "synth/styles.h"
#include "mulan/synth.h"

namespace mulan::synth {
namespace {

Factors medium_factors_for(const Style& s) {
  Factors f;
  f.style = s.tag;
  f.lead = s.leads.front();
  for (const auto& a : s.accomps)
    if (a != f.lead) {
      f.accomp = a;
      break;
    }
  f.tempo = Tempo::Medium;
  f.bpm = 104;
  f.key = 2;
  return f;
}

int count(const Composition& c, MidiEvent::Kind kind, int channel) {
  int n = 0;
  for (const auto& e : c.events) n += e.kind == kind && e.channel == channel;
  return n;
}

int note_ons(const Composition& c) {
  int n = 0;
  for (const auto& e : c.events) n += e.kind == MidiEvent::NoteOn;
  return n;
}

TEST(SynthCompose, DrumlessClipsHaveNoDrumChannelEventsAndDrumClipsDo) {
  for (const Style& s : styles()) {
    Factors f = medium_factors_for(s);
    f.drums = false;
    const Composition without = compose(f, 8, 1);
    for (const auto& e : without.events) EXPECT_NE(e.channel, kDrumChannel) << s.tag;
    f.drums = true;
    const Composition with = compose(f, 8, 1);
    EXPECT_EQ(count(with, MidiEvent::Program, kDrumChannel), 1) << s.tag;
    // At least one drum hit a beat: 8 s at 104 bpm is about 14 beats.
    EXPECT_GE(count(with, MidiEvent::NoteOn, kDrumChannel), 14) << s.tag;
  }
}

TEST(SynthCompose, SameSeedSameEventsAnotherSeedOtherEvents) {
  const Factors f = medium_factors_for(style("jazz"));
  const Composition a = compose(f, 10, 42), b = compose(f, 10, 42), c = compose(f, 10, 43);
  ASSERT_EQ(a.events.size(), b.events.size());
  for (size_t i = 0; i < a.events.size(); ++i) {
    EXPECT_EQ(a.events[i].frame, b.events[i].frame);
    EXPECT_EQ(a.events[i].kind, b.events[i].kind);
    EXPECT_EQ(a.events[i].data1, b.events[i].data1);
    EXPECT_EQ(a.events[i].data2, b.events[i].data2);
  }
  bool differs = a.events.size() != c.events.size();
  for (size_t i = 0; !differs && i < a.events.size(); ++i)
    differs = a.events[i].data1 != c.events[i].data1 || a.events[i].frame != c.events[i].frame;
  EXPECT_TRUE(differs);
}

TEST(SynthCompose, EventsAreOrderedOnBlockBoundariesAndNeverRestrikeASoundingKey) {
  for (const Style& s : styles()) {
    for (Tempo t : {Tempo::Slow, Tempo::Fast}) {
      Factors f = medium_factors_for(s);
      f.tempo = t;
      f.bpm = t == Tempo::Slow ? 64 : 160;
      const Composition c = compose(f, 12, 7);
      EXPECT_EQ(c.frames, 12 * 16000);
      std::map<std::pair<int, int>, bool> on;
      for (size_t i = 0; i < c.events.size(); ++i) {
        const MidiEvent& e = c.events[i];
        ASSERT_EQ(e.frame % kBlockFrames, 0) << s.tag;
        ASSERT_GE(e.frame, 0);
        ASSERT_LT(e.frame, c.frames) << s.tag;
        if (i > 0) {
          ASSERT_LE(c.events[i - 1].frame, e.frame) << s.tag;
        }
        const std::pair<int, int> key(e.channel, e.data1);
        if (e.kind == MidiEvent::NoteOn) {
          ASSERT_GE(e.data2, 1);
          ASSERT_LE(e.data2, 127);
          ASSERT_FALSE(on[key]) << s.tag << ": key " << key.second << " struck while sounding";
          on[key] = true;
        } else if (e.kind == MidiEvent::NoteOff) {
          on[key] = false;
        }
      }
    }
  }
}

TEST(SynthCompose, FastTempoPlaysProportionallyMoreNotesASecond) {
  for (const Style& s : styles()) {
    Factors f = medium_factors_for(s);
    f.tempo = Tempo::Slow, f.bpm = 70;
    const double slow = note_ons(compose(f, 20, 3)) / 20.0;
    f.tempo = Tempo::Fast, f.bpm = 150;
    const double fast = note_ons(compose(f, 20, 3)) / 20.0;
    EXPECT_GT(fast, 1.7 * slow) << s.tag << ": " << slow << " vs " << fast << " notes/s";
  }
}

TEST(SynthCompose, TheModeShowsInTheThirdAboveTheTonic) {
  for (const Style& s : styles()) {
    for (Mode m : {Mode::Major, Mode::Minor}) {
      Factors f = medium_factors_for(s);
      f.mode = m;
      int major_thirds = 0, minor_thirds = 0;
      for (uint64_t seed = 1; seed <= 3; ++seed) {
        const Composition c = compose(f, 20, seed);
        for (const auto& e : c.events) {
          if (e.kind != MidiEvent::NoteOn || e.channel == kDrumChannel) continue;
          const int pc = ((e.data1 - f.key) % 12 + 12) % 12;
          major_thirds += pc == 4;
          minor_thirds += pc == 3;
        }
      }
      if (m == Mode::Major)
        EXPECT_GT(major_thirds, 2 * minor_thirds) << s.tag;
      else
        EXPECT_GT(minor_thirds, 2 * major_thirds) << s.tag;
    }
  }
}

TEST(SynthFactors, HeldOutPairsAreDrawnOnlyForTheTestSplit) {
  std::set<std::string> training_leads;
  std::map<std::string, std::set<std::string>> styles_of_lead;
  int guests = 0;
  Rng rng(11);
  const int n = 3000;
  for (int i = 0; i < n; ++i) {
    const Factors f = sample_factors(rng, false);
    styles_of_lead[f.lead].insert(f.style);
    const auto& own = style(f.style).leads;
    if (std::find(own.begin(), own.end(), f.lead) == own.end()) ++guests;
    EXPECT_NE(f.lead, style(f.style).held_out_lead);
    EXPECT_NE(f.accomp, style(f.style).held_out_lead);
    EXPECT_NE(f.lead, f.accomp);
    training_leads.insert(f.lead);
    const Factors t = sample_factors(rng, true);
    EXPECT_EQ(t.lead, style(t.style).held_out_lead);
    EXPECT_NE(t.lead, t.accomp);
  }
  // Every held-out lead is still heard in training, with other styles.
  for (const Style& s : styles()) EXPECT_TRUE(training_leads.count(s.held_out_lead)) << s.held_out_lead;
  // Guests: a style's lead comes from outside its own list at about kGuestChance times the
  // share of all_leads() outside it, and so every lead is heard with most styles.
  EXPECT_GT(guests, n / 10);
  EXPECT_LT(guests, n * kGuestChance);
  for (const std::string& lead : all_leads())
    EXPECT_GE(styles_of_lead[lead].size(), styles().size() - 2) << lead;
}

TEST(SynthFactors, AtLeastFortyTagsAllReachableInTraining) {
  const auto& tags = all_tags();
  EXPECT_GE(tags.size(), 40u);
  EXPECT_EQ(std::set<std::string>(tags.begin(), tags.end()).size(), tags.size());
  EXPECT_GE(styles().size(), 10u);
  std::set<std::string> seen;
  Rng rng(5);
  for (int i = 0; i < 5000; ++i)
    for (const auto& t : tags_of(sample_factors(rng, false))) seen.insert(t);
  for (const auto& t : tags) EXPECT_TRUE(seen.count(t)) << t;
  for (const auto& t : tags) EXPECT_NO_THROW(tag_category(t));
}

TEST(SynthFactors, MoodsFollowModeAndTempo) {
  Factors f = medium_factors_for(style("rock"));
  f.mode = Mode::Minor, f.tempo = Tempo::Slow, f.drums = false, f.dynamics = Dynamics::Soft;
  auto t = tags_of(f);
  for (const char* x : {"minor", "sad", "calm", "slow", "no drums", "soft"})
    EXPECT_NE(std::find(t.begin(), t.end(), x), t.end()) << x;
  f.mode = Mode::Major, f.tempo = Tempo::Fast, f.drums = true, f.dynamics = Dynamics::Loud;
  t = tags_of(f);
  for (const char* x : {"major", "happy", "energetic", "fast", "drums", "loud"})
    EXPECT_NE(std::find(t.begin(), t.end(), x), t.end()) << x;
  EXPECT_EQ(std::find(t.begin(), t.end(), "sad"), t.end());
}

TEST(SynthHarmony, ParsesRomanNumeralsRelativeToTheTonic) {
  Chord c = parse_chord("bVII");
  EXPECT_EQ(c.root, 10);
  EXPECT_EQ(c.intervals, (std::vector<int>{0, 4, 7}));
  c = parse_chord("iim7b5");
  EXPECT_EQ(c.root, 2);
  EXPECT_EQ(c.intervals, (std::vector<int>{0, 3, 6, 10}));
  c = parse_chord("V7");
  EXPECT_EQ(c.root, 7);
  EXPECT_EQ(c.intervals, (std::vector<int>{0, 4, 7, 10}));
  EXPECT_EQ(parse_chord("vi").intervals, (std::vector<int>{0, 3, 7}));
  // Over V in minor, the melody's scale takes the raised seventh.
  EXPECT_EQ(scale_over(scale_of(true, false), parse_chord("V")), (std::vector<int>{0, 2, 3, 5, 7, 8, 11}));
  EXPECT_THROW(parse_chord("X7"), Error);
  EXPECT_THROW(parse_chord("Isus"), Error);
  for (const Style& s : styles()) {
    for (const auto& p : s.major_progressions) EXPECT_NO_THROW(parse_progression(p)) << p;
    for (const auto& p : s.minor_progressions) EXPECT_NO_THROW(parse_progression(p)) << p;
  }
}

}  // namespace
}  // namespace mulan::synth
