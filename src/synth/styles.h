// The tables the synthetic corpus is made from: instruments (General MIDI programs, each with
// its tag) and styles (each with its own drums, groove, harmony, bass line, accompaniment
// rhythm, melody feel and typical instruments). compose.cpp turns a style and the other
// factors into MIDI events; text.cpp turns the same factors into words.
//
// Rhythm patterns are strings with one character per 16th note (16 a bar; 32 for two bars),
// looped over the clip:
//   drums:  'X' accent, 'x' hit, 'g' ghost note, '.' nothing
//   comp:   'x' chord, 'X' accented chord, 's' short stab (one 16th), '-' hold the previous,
//           '.' silence, '0'..'4' one chord tone (0 = root upwards: an arpeggio)
//   bass:   '1' root, '3' third, '5' fifth, '6' sixth, '7' seventh, '8' octave, 'w' walking
//           note, 'a' approach to the next chord's root, '-' hold, '.' silence
#pragma once

#include <array>
#include <string>
#include <vector>

namespace mulan::synth {

struct Instrument {
  std::string tag;            // the tag it carries, e.g. "electric piano"
  int program = 0;            // General MIDI program, 0-based (0 = Acoustic Grand Piano)
  int low = 60, high = 84;    // the range a melody on it keeps to (MIDI keys)
  std::string comp;           // accompaniment pattern that overrides the style's ("" = style's)
  bool power_chords = false;  // accompanies with root-fifth-octave, not full chords
};

struct DrumLine {
  int key = 36;      // GM percussion key on channel 10 (36 kick, 38 snare, 42 closed hat, ...)
  std::string hits;  // pattern, 16 or 32 characters (see above)
};

struct Style {
  std::string tag;                   // "jazz"
  std::vector<std::string> leads;    // lead instruments seen in training, most typical first
  std::string held_out_lead;         // (style, this lead) occurs only in the test split
  std::vector<std::string> accomps;  // accompaniment instruments
  int bass_program = 33;             // GM program of the bass line
  int bass_low = 28;                 // lowest bass root (MIDI key)
  int drum_kit = 0;                  // GM drum kit (program on channel 10: 0 standard, 16 power...)
  std::vector<DrumLine> drums;       // the groove, one line per drum
  bool fills = false;                // a tom fill on the last beat of every fourth bar
  int crash_every = 0;               // crash cymbal on the first beat every N bars (0: never)
  std::string comp;                  // accompaniment rhythm
  std::string bass;                  // bass rhythm
  int melody_grid = 2;               // melody slot in 16ths (1: 16ths, 2: 8ths, 4: quarters)
  double melody_density = 0.5;       // chance that a slot starts a note
  double legato = 0.9;               // fraction of its slot time a melody note sounds
  bool pentatonic = false;           // melody on the pentatonic scale of the mode
  double swing = 0.5;                // where the off-beat 8th falls, in beats (0.5 straight)
  bool swing16 = false;              // swing the 16ths instead of the 8ths
  int bars_per_chord = 1;            // harmonic rhythm
  std::vector<std::string> major_progressions, minor_progressions;  // Roman numerals
  double p_drums = 0.8;                                             // chance of a drum part
  double p_minor = 0.5;                                             // chance of the minor mode
  double p_loud = 0.5;                                              // chance of loud dynamics
  std::array<double, 3> tempo_weights{1, 1, 1};                     // slow, medium, fast
};

const std::vector<Instrument>& instruments();
const std::vector<Style>& styles();
// Lookup by tag; throw mulan::Error for an unknown tag.
const Instrument& instrument(const std::string& tag);
const Style& style(const std::string& tag);

// Bpm range of each tempo class: slow, medium, fast.
struct TempoRange {
  int low, high;
};
TempoRange tempo_range(int tempo_class);

}  // namespace mulan::synth
