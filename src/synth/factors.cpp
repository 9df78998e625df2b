// The factors of a clip and the tags they imply.
#include <algorithm>

#include "synth/draw.h"
#include "synth/styles.h"
#include "mulan/synth.h"

namespace mulan::synth {

Factors sample_factors(Rng& rng, bool held_out) {
  const auto& all = styles();
  const Style& s = all[static_cast<size_t>(rng.uniform_int(0, static_cast<int64_t>(all.size()) - 1))];
  Factors f;
  f.style = s.tag;
  // A guest: now and then a style borrows a lead or an accompaniment that another style
  // uses, as real bands do. Without guests every instrument is heard in two or three styles
  // only, and a model can tell instruments apart by the style around them instead of by
  // their sound, which fails exactly on the test split's new pairs.
  const auto guest = [&](const std::vector<std::string>& pool, const std::string& avoid) {
    std::vector<std::string> options;
    for (const auto& x : pool)
      if (x != avoid && x != s.held_out_lead) options.push_back(x);
    return pick(rng, options);
  };
  if (held_out)
    f.lead = s.held_out_lead;
  else
    f.lead = chance(rng, kGuestChance) ? guest(all_leads(), "") : pick(rng, s.leads);
  std::vector<std::string> accomps;
  // Outside the test split the held-out instrument is not heard in this style at all, so
  // no training clip carries both tags.
  for (const auto& a : s.accomps)
    if (a != f.lead && (held_out || a != s.held_out_lead)) accomps.push_back(a);
  f.accomp = !held_out && chance(rng, kGuestChance) ? guest(all_accomps(), f.lead) : pick(rng, accomps);
  f.tempo = static_cast<Tempo>(pick_weighted(rng, {s.tempo_weights.begin(), s.tempo_weights.end()}));
  const TempoRange range = tempo_range(static_cast<int>(f.tempo));
  f.bpm = static_cast<int>(rng.uniform_int(range.low, range.high));
  f.mode = chance(rng, s.p_minor) ? Mode::Minor : Mode::Major;
  f.key = static_cast<int>(rng.uniform_int(0, 11));
  f.dynamics = chance(rng, s.p_loud) ? Dynamics::Loud : Dynamics::Soft;
  f.drums = chance(rng, s.p_drums);
  return f;
}

namespace {
void add_unique(std::vector<std::string>& v, const std::string& x) {
  if (std::find(v.begin(), v.end(), x) == v.end()) v.push_back(x);
}
}  // namespace

const std::vector<std::string>& all_leads() {
  static const std::vector<std::string> leads = [] {
    std::vector<std::string> v;
    for (const auto& s : styles()) {
      for (const auto& l : s.leads) add_unique(v, l);
      add_unique(v, s.held_out_lead);
    }
    return v;
  }();
  return leads;
}

const std::vector<std::string>& all_accomps() {
  static const std::vector<std::string> accomps = [] {
    std::vector<std::string> v;
    for (const auto& s : styles())
      for (const auto& a : s.accomps) add_unique(v, a);
    return v;
  }();
  return accomps;
}

const char* tempo_tag(Tempo t) {
  switch (t) {
    case Tempo::Slow: return "slow";
    case Tempo::Medium: return "medium tempo";
    case Tempo::Fast: return "fast";
  }
  return "medium tempo";
}

const std::vector<std::string>& all_tags() {
  static const std::vector<std::string> tags = [] {
    std::vector<std::string> t;
    for (const auto& s : styles()) t.push_back(s.tag);
    for (const auto& i : instruments()) t.push_back(i.tag);
    for (const char* x : {"slow", "medium tempo", "fast", "major", "minor", "happy", "sad", "calm", "energetic", "soft",
                          "loud", "drums", "no drums"})
      t.push_back(x);
    return t;
  }();
  return tags;
}

std::string tag_category(const std::string& tag) {
  for (const auto& s : styles())
    if (s.tag == tag) return "style";
  for (const auto& i : instruments())
    if (i.tag == tag) return "instrument";
  if (tag == "slow" || tag == "medium tempo" || tag == "fast") return "tempo";
  if (tag == "major" || tag == "minor") return "mode";
  if (tag == "happy" || tag == "sad" || tag == "calm" || tag == "energetic") return "mood";
  if (tag == "soft" || tag == "loud") return "dynamics";
  if (tag == "drums" || tag == "no drums") return "drums";
  throw Error("synth: unknown tag '" + tag + "'");
}

std::vector<std::string> tags_of(const Factors& f) {
  std::vector<std::string> t = {f.style, f.lead, f.accomp, tempo_tag(f.tempo)};
  const bool minor = f.mode == Mode::Minor;
  t.push_back(minor ? "minor" : "major");
  t.push_back(minor ? "sad" : "happy");
  if (f.tempo == Tempo::Slow) t.push_back("calm");
  if (f.tempo == Tempo::Fast) t.push_back("energetic");
  t.push_back(f.dynamics == Dynamics::Loud ? "loud" : "soft");
  t.push_back(f.drums ? "drums" : "no drums");
  const auto& order = all_tags();
  const auto rank = [&](const std::string& x) { return std::find(order.begin(), order.end(), x) - order.begin(); };
  std::sort(t.begin(), t.end(), [&](const std::string& a, const std::string& b) { return rank(a) < rank(b); });
  t.erase(std::unique(t.begin(), t.end()), t.end());
  return t;
}

}  // namespace mulan::synth
