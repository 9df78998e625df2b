#include "synth/harmony.h"

#include <algorithm>
#include <cctype>
#include <sstream>

#include "mulan/error.h"

namespace mulan::synth {

Chord parse_chord(const std::string& numeral) {
  const auto bad = [&] { return Error("synth: bad chord numeral '" + numeral + "'"); };
  size_t i = 0;
  int shift = 0;
  if (i < numeral.size() && (numeral[i] == 'b' || numeral[i] == '#')) shift = numeral[i++] == 'b' ? -1 : 1;
  size_t j = i;
  while (j < numeral.size() && std::string("IViv").find(numeral[j]) != std::string::npos) ++j;
  std::string roman = numeral.substr(i, j - i), suffix = numeral.substr(j);
  if (roman.empty()) throw bad();
  const bool upper = std::isupper(static_cast<unsigned char>(roman[0])) != 0;
  std::string lower = roman;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static const std::vector<std::pair<std::string, int>> degrees = {{"i", 0}, {"ii", 2}, {"iii", 4}, {"iv", 5},
                                                                   {"v", 7}, {"vi", 9}, {"vii", 11}};
  int root = -1;
  for (const auto& [name, semis] : degrees)
    if (name == lower) root = semis;
  if (root < 0) throw bad();
  Chord c;
  c.root = (root + shift + 12) % 12;
  if (suffix.empty())
    c.intervals = upper ? std::vector<int>{0, 4, 7} : std::vector<int>{0, 3, 7};
  else if (suffix == "7")
    c.intervals = upper ? std::vector<int>{0, 4, 7, 10} : std::vector<int>{0, 3, 7, 10};
  else if (suffix == "9")
    c.intervals = upper ? std::vector<int>{0, 4, 7, 10, 14} : std::vector<int>{0, 3, 7, 10, 14};
  else if (suffix == "maj7")
    c.intervals = {0, 4, 7, 11};
  else if (suffix == "m7b5")
    c.intervals = {0, 3, 6, 10};
  else if (suffix == "o")
    c.intervals = {0, 3, 6};
  else if (suffix == "5")
    c.intervals = {0, 7, 12};
  else
    throw bad();
  return c;
}

std::vector<Chord> parse_progression(const std::string& text) {
  std::istringstream in(text);
  std::vector<Chord> out;
  for (std::string tok; in >> tok;) out.push_back(parse_chord(tok));
  if (out.empty()) throw Error("synth: empty chord progression");
  return out;
}

std::vector<int> scale_of(bool minor, bool pentatonic) {
  if (pentatonic) return minor ? std::vector<int>{0, 3, 5, 7, 10} : std::vector<int>{0, 2, 4, 7, 9};
  return minor ? std::vector<int>{0, 2, 3, 5, 7, 8, 10} : std::vector<int>{0, 2, 4, 5, 7, 9, 11};
}

std::vector<int> chord_classes(const Chord& chord) {
  std::vector<int> pcs;
  for (int iv : chord.intervals) {
    const int pc = (chord.root + iv) % 12;
    if (std::find(pcs.begin(), pcs.end(), pc) == pcs.end()) pcs.push_back(pc);
  }
  return pcs;
}

std::vector<int> scale_over(const std::vector<int>& scale, const Chord& chord) {
  // A chord tone outside the scale is a chromatic alteration of its neighbour: raised (the
  // leading tone of V in minor replaces the flat seventh) or, failing that, lowered.
  std::vector<int> out = scale;
  const auto has = [&](int pc) { return std::find(out.begin(), out.end(), pc) != out.end(); };
  const std::vector<int> tones = chord_classes(chord);
  for (int t : tones) {
    if (has(t)) continue;
    const int below = (t + 11) % 12, above = (t + 1) % 12;
    const bool below_free = has(below) && std::find(tones.begin(), tones.end(), below) == tones.end();
    const bool above_free = has(above) && std::find(tones.begin(), tones.end(), above) == tones.end();
    if (below_free)
      *std::find(out.begin(), out.end(), below) = t;
    else if (above_free)
      *std::find(out.begin(), out.end(), above) = t;
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace mulan::synth
