// Harmony for the composer: Roman-numeral chords relative to the tonic, scales of the two
// modes, and the scale a melody uses over a given chord.
#pragma once

#include <string>
#include <vector>

namespace mulan::synth {

struct Chord {
  int root = 0;                // semitones above the tonic, 0..11
  std::vector<int> intervals;  // semitones above the root, ascending, first 0
};

// One Roman numeral: an optional accidental ('b' or '#'), the numeral (upper case major,
// lower case minor) and an optional suffix: "7" (dominant 7th on upper case, minor 7th on
// lower case), "maj7", "m7b5", "o" (diminished), "5" (power chord), "9".
// "bVII" in C is B-flat major, "iim7b5" is D half-diminished. Throws mulan::Error.
Chord parse_chord(const std::string& numeral);
// A progression: numerals separated by spaces.
std::vector<Chord> parse_progression(const std::string& text);

// Pitch classes (semitones above the tonic) of the mode's scale: major (Ionian), minor
// (Aeolian), or their pentatonic subsets.
std::vector<int> scale_of(bool minor, bool pentatonic);
// The scale bent to fit a chord: a chord tone outside the scale replaces the scale tone a
// semitone below it (the raised seventh over V in minor), else the one a semitone above.
std::vector<int> scale_over(const std::vector<int>& scale, const Chord& chord);
// Pitch classes of the chord, relative to the tonic.
std::vector<int> chord_classes(const Chord& chord);

}  // namespace mulan::synth
