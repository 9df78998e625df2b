// The composer: a style's patterns and a clip's factors -> notes on four channels -> MIDI
// events. Time runs on a grid of 16th notes (16 a bar, 4/4), swung per style; the tempo sets
// how long a 16th lasts, so a fast clip has proportionally more notes a second.
#include <algorithm>
#include <cmath>

#include "synth/draw.h"
#include "synth/harmony.h"
#include "synth/styles.h"
#include "mulan/synth.h"

namespace mulan::synth {
namespace {

struct Note {
  double start = 0, end = 0;  // seconds
  int channel = 0, key = 60, velocity = 80;
};

class Composer {
 public:
  Composer(const Factors& f, double seconds, uint64_t seed)
      : f_(f),
        style_(style(f.style)),
        lead_(instrument(f.lead)),
        accomp_(instrument(f.accomp)),
        seed_(seed),
        rng_(seed) {
    bar_seconds_ = 240.0 / f.bpm;
    bars_ = static_cast<int>(std::ceil(seconds / bar_seconds_)) + 1;
    minor_ = f.mode == Mode::Minor;
    velocity_scale_ = f.dynamics == Dynamics::Loud ? 1.0 : 0.65;
    const auto& progs = minor_ ? style_.minor_progressions : style_.major_progressions;
    progression_ = parse_progression(pick(rng_, progs));
  }

  // Each part draws from its own stream, so the melody of a clip does not change with the
  // number of drum hits before it (a slow and a fast version share their motifs).
  std::vector<Note> notes() {
    if (f_.drums) rng_ = Rng(derive_seed(seed_, 0, 1)), drums();
    rng_ = Rng(derive_seed(seed_, 0, 2)), bass();
    rng_ = Rng(derive_seed(seed_, 0, 3)), comp();
    rng_ = Rng(derive_seed(seed_, 0, 4)), melody();
    return std::move(notes_);
  }

 private:
  // Seconds at a 16th-note step (steps count from the start of the clip), with swing.
  double time_of(int step) const {
    const int bar = step / 16, s = step % 16, beat = s / 4, sub = s % 4;
    const double r = style_.swing;
    double off;  // within the beat
    if (style_.swing16)
      off = (sub / 2) * 0.5 + (sub % 2 ? r * 0.5 : 0.0);
    else
      off = sub == 0 ? 0 : sub == 1 ? r / 2 : sub == 2 ? r : r + (1 - r) / 2;
    return (bar * 4 + beat + off) * 60.0 / f_.bpm;
  }
  const Chord& chord_at(int bar) const {
    return progression_[static_cast<size_t>(bar / style_.bars_per_chord) % progression_.size()];
  }
  int velocity(double base, double jitter = 6) {
    const double v = (base + (rng_.uniform() * 2 - 1) * jitter) * velocity_scale_;
    return std::clamp(static_cast<int>(std::lround(v)), 1, 127);
  }
  void add(int channel, int key, int step, int length, int vel, double legato = 1.0) {
    Note n;
    n.channel = channel, n.key = std::clamp(key, 0, 127), n.velocity = vel;
    n.start = time_of(step);
    n.end = n.start + (time_of(step + length) - n.start) * legato;
    notes_.push_back(n);
  }
  // Pitch class -> key at or above `low`.
  int key_at_or_above(int pitch_class, int low) const {
    int k = low;
    while (((k - f_.key) % 12 + 12) % 12 != pitch_class) ++k;
    return k;
  }

  void drums() {
    for (int bar = 0; bar < bars_; ++bar) {
      const bool fill = style_.fills && bar % 4 == 3;
      for (const auto& line : style_.drums) {
        for (int s = 0; s < 16; ++s) {
          if (fill && s >= 12 && line.key != 36) continue;
          const char c = line.hits[static_cast<size_t>(bar * 16 + s) % line.hits.size()];
          if (c == '.') continue;
          add(kDrumChannel, line.key, bar * 16 + s, 1, velocity(c == 'X' ? 118 : c == 'x' ? 98 : 52));
        }
      }
      if (fill) {
        static const int toms[4] = {50, 48, 47, 45};
        for (int s = 12; s < 16; ++s) add(kDrumChannel, toms[s - 12], bar * 16 + s, 1, velocity(105));
      }
      if (style_.crash_every > 0 && bar % style_.crash_every == 0) add(kDrumChannel, 49, bar * 16, 4, velocity(110));
    }
  }

  void bass() {
    const std::string& pat = style_.bass;
    int prev = -1;
    for (int bar = 0; bar < bars_; ++bar) {
      const Chord& ch = chord_at(bar);
      const Chord& next = chord_at(bar + 1);
      const int root = key_at_or_above(ch.root, style_.bass_low);
      const bool minor_chord = std::find(ch.intervals.begin(), ch.intervals.end(), 3) != ch.intervals.end();
      for (int s = 0; s < 16; ++s) {
        const int step = bar * 16 + s;
        const char c = pat[static_cast<size_t>(step) % pat.size()];
        if (c == '-' || c == '.') continue;
        int key = root;
        switch (c) {
          case '3': key = root + (minor_chord ? 3 : 4); break;
          case '5': key = root + 7; break;
          case '6': key = root + (minor_chord ? 8 : 9); break;
          case '7': key = root + (ch.intervals.size() > 3 && ch.intervals[3] == 11 ? 11 : 10); break;
          case '8': key = root + 12; break;
          case 'a': key = key_at_or_above(next.root, style_.bass_low) + (chance(rng_, 0.5) ? -1 : 1); break;
          case 'w': key = walking(ch, next, root, s, prev); break;
          default: break;
        }
        int len = 1;
        while (s + len < 16 && pat[static_cast<size_t>(step + len) % pat.size()] == '-') ++len;
        add(kBassChannel, key, step, len, velocity(s % 4 == 0 ? 96 : 86), 0.85);
        prev = key;
      }
    }
  }
  // A walking bass: the root on the chord's first beat, a semitone approach to the next root
  // on the last beat before a change, chord tones in between.
  int walking(const Chord& ch, const Chord& next, int root, int s, int prev) {
    if (s == 0) return root;
    if (s >= 12) {
      const int target = key_at_or_above(next.root, style_.bass_low);
      return target + (chance(rng_, 0.5) ? -1 : 1);
    }
    std::vector<int> options;
    for (int iv : ch.intervals)
      if (iv > 0) options.push_back(root + iv);
    options.push_back(root + 12);
    int best = options[0];
    const int want = prev < 0 ? root + 7 : prev + (chance(rng_, 0.5) ? 3 : -3);
    for (int o : options)
      if (std::abs(o - want) < std::abs(best - want)) best = o;
    return best;
  }

  // The chord voiced in the accompaniment's register.
  std::vector<int> voicing(const Chord& ch) const {
    std::vector<int> keys;
    if (accomp_.power_chords) {
      const int root = key_at_or_above(ch.root, 40);
      return {root, root + 7, root + 12};
    }
    const int root = key_at_or_above(ch.root, 72);
    for (int iv : ch.intervals)
      if (iv < 12) keys.push_back(root + iv);
    return keys;
  }

  void comp() {
    const std::string& pat = accomp_.comp.empty() ? style_.comp : accomp_.comp;
    for (int bar = 0; bar < bars_; ++bar) {
      const std::vector<int> keys = voicing(chord_at(bar));
      for (int s = 0; s < 16; ++s) {
        const int step = bar * 16 + s;
        const char c = pat[static_cast<size_t>(step) % pat.size()];
        if (c == '-' || c == '.') continue;
        int len = 1;
        while (s + len < 16 && pat[static_cast<size_t>(step + len) % pat.size()] == '-') ++len;
        if (c == 's') {
          for (int k : keys) add(kCompChannel, k, step, 1, velocity(80), 0.6);
        } else if (c == 'x' || c == 'X') {
          for (int k : keys) add(kCompChannel, k, step, len, velocity(c == 'X' ? 88 : 72), 0.8);
        } else if (c >= '0' && c <= '9') {
          const size_t i = static_cast<size_t>(c - '0');
          const int k = keys[i % keys.size()] + 12 * static_cast<int>(i / keys.size());
          add(kCompChannel, k, step, len, velocity(s % 4 == 0 ? 76 : 66), 1.0);
        }
      }
    }
  }

  // One two-bar motif: onsets (in melody slots) and scale-step moves.
  struct Motif {
    std::vector<int> onsets;
    std::vector<int> moves;
  };
  Motif make_motif(int slots) {
    Motif m;
    for (int i = 0; i < slots - 1; ++i)
      if (i == 0 || chance(rng_, style_.melody_density)) m.onsets.push_back(i);
    static const std::vector<int> steps = {-2, -1, -1, 0, 1, 1, 2, -3, 3};
    for (size_t i = 0; i < m.onsets.size(); ++i)
      m.moves.push_back(chance(rng_, 0.1) ? pick(rng_, std::vector<int>{-4, 4}) : pick(rng_, steps));
    return m;
  }

  void melody() {
    const int grid = style_.melody_grid, slots_per_bar = 16 / grid, motif_slots = 2 * slots_per_bar;
    const std::vector<int> scale = scale_of(minor_, style_.pentatonic);
    Motif a = make_motif(motif_slots), b = make_motif(motif_slots);
    int key = (lead_.low + lead_.high) / 2;
    for (int bar = 0; bar + 1 < bars_; bar += 2) {
      const int section = (bar / 2) % 4;  // A A B A'
      Motif m = section == 2 ? b : a;
      if (section == 3) {
        for (size_t i = m.moves.size() / 2; i < m.moves.size(); ++i)
          m.moves[i] = pick(rng_, std::vector<int>{-2, -1, 1, 2});
      }
      for (size_t i = 0; i < m.onsets.size(); ++i) {
        const int slot = m.onsets[i];
        const int end_slot = i + 1 < m.onsets.size() ? m.onsets[i + 1] : std::min(motif_slots, slot + 4 / grid + 1);
        const int step = bar * 16 + slot * grid;
        const Chord& ch = chord_at(step / 16);
        key = move_in_scale(key, m.moves[i], scale_over(scale, ch));
        if ((slot * grid) % 8 == 0) key = nearest_chord_tone(key, ch);
        add(kLeadChannel, key, step, (end_slot - slot) * grid, velocity((slot * grid) % 16 == 0 ? 100 : 90),
            style_.legato);
      }
    }
  }
  // Moves `key` by `moves` steps along the scale (pitch classes above the tonic), kept inside
  // the lead's range.
  int move_in_scale(int key, int moves, const std::vector<int>& scale) const {
    std::vector<int> keys;
    for (int k = lead_.low; k <= lead_.high; ++k)
      if (std::find(scale.begin(), scale.end(), ((k - f_.key) % 12 + 12) % 12) != scale.end()) keys.push_back(k);
    size_t at = 0;
    for (size_t i = 0; i < keys.size(); ++i)
      if (std::abs(keys[i] - key) < std::abs(keys[at] - key)) at = i;
    int target = static_cast<int>(at) + moves;
    if (target < 0 || target >= static_cast<int>(keys.size())) target = static_cast<int>(at) - moves;  // turn back
    return keys[static_cast<size_t>(std::clamp(target, 0, static_cast<int>(keys.size()) - 1))];
  }
  int nearest_chord_tone(int key, const Chord& ch) const {
    const std::vector<int> pcs = chord_classes(ch);
    int best = key, dist = 99;
    for (int k = std::max(lead_.low, key - 6); k <= std::min(lead_.high, key + 6); ++k) {
      const int pc = ((k - f_.key) % 12 + 12) % 12;
      if (std::find(pcs.begin(), pcs.end(), pc) != pcs.end() && std::abs(k - key) < dist)
        best = k, dist = std::abs(k - key);
    }
    return best;
  }

  Factors f_;
  const Style& style_;
  const Instrument& lead_;
  const Instrument& accomp_;
  uint64_t seed_;
  Rng rng_;
  double bar_seconds_ = 2;
  int bars_ = 1;
  bool minor_ = false;
  double velocity_scale_ = 1;
  std::vector<Chord> progression_;
  std::vector<Note> notes_;
};

int64_t to_frame(double seconds, int sample_rate) {
  return static_cast<int64_t>(std::llround(seconds * sample_rate / kBlockFrames)) * kBlockFrames;
}

}  // namespace

Composition compose(const Factors& f, double seconds, uint64_t seed, int sample_rate) {
  if (!(seconds > 0)) throw Error("synth: clip length must be positive");
  Composition c;
  c.factors = f;
  c.sample_rate = sample_rate;
  c.frames = static_cast<int64_t>(std::llround(seconds * sample_rate));
  std::vector<Note> notes = Composer(f, seconds, seed).notes();

  // Channel set-up at frame 0. Volume (CC7) carries the dynamics with the velocities.
  const double volume = f.dynamics == Dynamics::Loud ? 1.0 : 0.7;
  const auto setup = [&](int ch, int program, int level) {
    c.events.push_back({0, MidiEvent::Program, static_cast<uint8_t>(ch), static_cast<uint8_t>(program), 0});
    c.events.push_back(
        {0, MidiEvent::Control, static_cast<uint8_t>(ch), 7, static_cast<uint8_t>(std::lround(level * volume))});
    c.events.push_back({0, MidiEvent::Control, static_cast<uint8_t>(ch), 10, 64});
  };
  setup(kLeadChannel, instrument(f.lead).program, 112);
  setup(kCompChannel, instrument(f.accomp).program, 90);
  setup(kBassChannel, style(f.style).bass_program, 104);
  if (f.drums) setup(kDrumChannel, style(f.style).drum_kit, 100);

  // Quantise to blocks; a note cut short by a later one of the same key ends where it starts,
  // so that its note-off never silences the newer note.
  struct Q {
    int64_t on, off;
    const Note* n;
  };
  std::vector<Q> q;
  for (const Note& n : notes) {
    const int64_t on = to_frame(n.start, sample_rate);
    const int64_t off = std::max(on + kBlockFrames, to_frame(n.end, sample_rate));
    if (on < c.frames) q.push_back({on, off, &n});
  }
  std::stable_sort(q.begin(), q.end(), [](const Q& a, const Q& b) {
    if (a.n->channel != b.n->channel) return a.n->channel < b.n->channel;
    if (a.n->key != b.n->key) return a.n->key < b.n->key;
    return a.on < b.on;
  });
  for (size_t i = 0; i < q.size(); ++i) {
    if (i + 1 < q.size() && q[i + 1].n->channel == q[i].n->channel && q[i + 1].n->key == q[i].n->key &&
        q[i].off > q[i + 1].on)
      q[i].off = q[i + 1].on;
    if (q[i].off <= q[i].on) continue;  // two notes on the same key at the same time: keep the later
    const auto ch = static_cast<uint8_t>(q[i].n->channel), key = static_cast<uint8_t>(q[i].n->key);
    c.events.push_back({q[i].on, MidiEvent::NoteOn, ch, key, static_cast<uint8_t>(q[i].n->velocity)});
    if (q[i].off < c.frames) c.events.push_back({q[i].off, MidiEvent::NoteOff, ch, key, 0});
  }
  std::stable_sort(c.events.begin(), c.events.end(), [](const MidiEvent& a, const MidiEvent& b) {
    if (a.frame != b.frame) return a.frame < b.frame;
    if (a.kind != b.kind) return a.kind < b.kind;
    if (a.channel != b.channel) return a.channel < b.channel;
    return a.data1 < b.data1;
  });
  return c;
}

}  // namespace mulan::synth
