// The style and instrument tables. Each style differs from the others in every audible
// respect a listener would name: drum kit and groove, swing, harmony, bass line, how the
// accompaniment plays, how busy the melody is, which instruments take part.
#include "synth/styles.h"

#include "mulan/error.h"

namespace mulan::synth {

const std::vector<Instrument>& instruments() {
  // Arpeggio and pad overrides: a harp plays broken chords and strings or pads hold them,
  // whatever the style's comping rhythm.
  static const std::vector<Instrument> table = {
      {"piano", 0, 60, 84, "", false},
      {"electric piano", 4, 57, 81, "", false},
      {"organ", 16, 55, 81, "", false},
      {"acoustic guitar", 25, 52, 76, "", false},
      {"electric guitar", 27, 55, 79, "", false},
      {"distorted guitar", 30, 52, 76, "", true},
      {"violin", 40, 62, 91, "", false},
      {"trumpet", 56, 58, 80, "", false},
      {"saxophone", 65, 55, 77, "", false},
      {"flute", 73, 64, 91, "", false},
      {"clarinet", 71, 55, 82, "", false},
      {"synth lead", 81, 55, 81, "", false},
      {"harmonica", 22, 60, 82, "", false},
      {"vibraphone", 11, 60, 84, "", false},
      {"strings", 48, 55, 79, "x---x---x---x---", false},
      {"synth pad", 89, 55, 79, "x-------x-------", false},
      {"brass section", 61, 55, 77, "", false},
      {"harp", 46, 55, 84, "0-1-2-3-4-3-2-1-", false},
  };
  return table;
}

namespace {

std::vector<Style> make_styles() {
  std::vector<Style> s;
  {
    Style r;
    r.tag = "rock";
    r.leads = {"electric guitar", "distorted guitar", "piano", "synth lead", "harmonica"};
    r.held_out_lead = "organ";
    r.accomps = {"distorted guitar", "electric guitar", "organ", "piano"};
    r.bass_program = 34, r.drum_kit = 16;
    r.drums = {{36, "x.......x.x....."}, {38, "....X.......X..."}, {42, "x.x.x.x.x.x.x.x."}};
    r.fills = true, r.crash_every = 4;
    r.comp = "x-x-x-x-x-x-x-x-", r.bass = "1-1-1-1-1-1-1-1-";
    r.melody_grid = 2, r.melody_density = 0.55, r.legato = 0.9, r.pentatonic = true;
    r.major_progressions = {"I IV I V", "I V IV I", "I I IV V"};
    r.minor_progressions = {"i iv i v", "i bVI iv i", "i i iv v"};
    r.tempo_weights = {0.6, 1, 1};
    s.push_back(r);
  }
  {
    Style j;
    j.tag = "jazz";
    j.leads = {"saxophone", "trumpet", "piano", "vibraphone", "electric guitar", "clarinet"};
    j.held_out_lead = "flute";
    j.accomps = {"piano", "electric piano", "electric guitar"};
    j.bass_program = 32, j.drum_kit = 40;
    j.drums = {{51, "x...x.x.x...x.x."}, {44, "....x.......x..."}, {36, "g..............."}, {38, "......g.......g."}};
    j.crash_every = 0;
    j.comp = "x-....x-........", j.bass = "w---w---w---w---";
    j.melody_grid = 2, j.melody_density = 0.7, j.legato = 0.8;
    j.swing = 0.66;
    j.major_progressions = {"Imaj7 Imaj7 ii7 V7", "Imaj7 IVmaj7 Imaj7 V7"};
    j.minor_progressions = {"i7 i7 iim7b5 V7", "i7 iv7 i7 V7"};
    s.push_back(j);
  }
  {
    Style c;
    c.tag = "classical";
    c.leads = {"violin", "flute", "piano", "trumpet", "harp"};
    c.held_out_lead = "clarinet";
    c.accomps = {"strings", "piano", "harp", "organ"};
    c.bass_program = 45, c.bass_low = 36, c.drum_kit = 48;  // pizzicato strings
    // Orchestra kit: concert bass drum, a timpani stroke (41) and a cymbal now and then.
    c.drums = {{36, "x.......g......."}, {41, "x...............x.......g...g..."}};
    c.crash_every = 8;
    c.comp = "0-2-1-2-0-2-1-2-", c.bass = "1---5---1---5---";
    c.melody_grid = 2, c.melody_density = 0.6, c.legato = 0.85;
    c.major_progressions = {"I IV V I", "I IV I V", "I ii V I"};
    c.minor_progressions = {"i iv V i", "i iv i V", "i iio V i"};
    c.p_drums = 0.2;
    c.tempo_weights = {1, 1, 0.6};
    s.push_back(c);
  }
  {
    Style e;
    e.tag = "electronic";
    e.leads = {"synth lead", "piano", "vibraphone"};
    e.held_out_lead = "electric piano";
    e.accomps = {"synth pad", "electric piano", "piano"};
    e.bass_program = 38, e.drum_kit = 24;
    e.drums = {{36, "x...x...x...x..."}, {39, "....x.......x..."}, {46, "..x...x...x...x."}, {42, ".g.g.g.g.g.g.g.g"}};
    e.crash_every = 8;
    e.comp = "0213021302130213", e.bass = "1-8-1-8-1-8-1-8-";
    e.melody_grid = 1, e.melody_density = 0.35, e.legato = 0.7;
    e.major_progressions = {"I IV I V", "I V IV I"};
    e.minor_progressions = {"i iv i v", "i bVI iv i"};
    e.tempo_weights = {0.5, 1, 1};
    s.push_back(e);
  }
  {
    Style a;
    a.tag = "ambient";
    a.leads = {"flute", "piano", "synth lead", "vibraphone"};
    a.held_out_lead = "violin";
    a.accomps = {"synth pad", "strings", "harp"};
    a.bass_program = 39, a.drum_kit = 24;
    a.drums = {{36, "g.......g......."}, {70, "..g...g...g...g."}, {81, "x..............................."}};
    a.comp = "x---------------", a.bass = "1-------1-------";
    a.melody_grid = 4, a.melody_density = 0.55, a.legato = 1.0;
    a.bars_per_chord = 2;
    a.major_progressions = {"Imaj7 IVmaj7", "I IV I V"};
    a.minor_progressions = {"i7 iv7", "i iv i bVI"};
    a.p_drums = 0.35, a.p_loud = 0.3;
    a.tempo_weights = {1, 0.7, 0.4};
    s.push_back(a);
  }
  {
    Style h;
    h.tag = "hip hop";
    h.leads = {"piano", "electric piano", "saxophone", "synth lead", "flute"};
    h.held_out_lead = "trumpet";
    h.accomps = {"electric piano", "piano", "strings", "synth pad"};
    h.bass_program = 38, h.drum_kit = 25;
    h.drums = {{36, "x......x..x....."}, {38, "....x.......x..."}, {42, "x.x.x.x.x.x.x.x."}, {46, ".............x.."}};
    h.comp = "x-------..x-----", h.bass = "1-------..1-1---";
    h.melody_grid = 2, h.melody_density = 0.4, h.legato = 0.8, h.pentatonic = true;
    h.swing = 0.58, h.swing16 = true;
    h.major_progressions = {"Imaj7 IVmaj7", "Imaj7 ii7 V7 Imaj7"};
    h.minor_progressions = {"i7 iv7", "i7 iv7 v7 i7"};
    h.p_drums = 0.9;
    h.tempo_weights = {1, 1, 0.5};
    s.push_back(h);
  }
  {
    Style f;
    f.tag = "folk";
    f.leads = {"acoustic guitar", "violin", "flute", "piano", "clarinet"};
    f.held_out_lead = "harmonica";
    f.accomps = {"acoustic guitar", "piano", "strings"};
    f.bass_program = 32, f.drum_kit = 8;
    f.drums = {{36, "x.......x......."}, {37, "....x.......x..."}, {54, "..x...x...x...x."}};
    f.comp = "0-2-3-1-0-2-3-1-", f.bass = "1-------5-------";
    f.melody_grid = 2, f.melody_density = 0.55, f.legato = 0.9, f.pentatonic = true;
    f.major_progressions = {"I IV I V", "I V IV I", "I IV V I"};
    f.minor_progressions = {"i iv i v", "i bVII iv i"};
    f.p_drums = 0.6;
    s.push_back(f);
  }
  {
    Style m;
    m.tag = "metal";
    m.leads = {"distorted guitar", "violin", "organ"};
    m.held_out_lead = "synth lead";
    m.accomps = {"distorted guitar", "strings", "organ"};
    m.bass_program = 34, m.drum_kit = 16;
    m.drums = {{36, "x.x.x.x.x.x.xxxx"}, {38, "....X.......X..."}, {51, "x.x.x.x.x.x.x.x."}};
    m.fills = true, m.crash_every = 2;
    m.comp = "s.sss.sss.sss.ss", m.bass = "1.111.111.111.11";
    m.melody_grid = 1, m.melody_density = 0.45, m.legato = 0.8;
    m.major_progressions = {"I5 IV5 V5 I5", "I5 bVII5 IV5 I5"};
    m.minor_progressions = {"i5 bVI5 bVII5 i5", "i5 bII5 i5 bVII5", "i5 iv5 bVI5 V5"};
    m.p_drums = 0.9, m.p_minor = 0.75, m.p_loud = 0.75;
    m.tempo_weights = {0.5, 0.8, 1};
    s.push_back(m);
  }
  {
    Style g;
    g.tag = "reggae";
    g.leads = {"organ", "electric guitar", "trumpet", "piano", "harmonica"};
    g.held_out_lead = "saxophone";
    g.accomps = {"electric guitar", "organ", "piano"};
    g.bass_program = 33, g.drum_kit = 0;
    g.drums = {{36, "........x......."}, {37, "........x......."}, {42, "x.x.x.x.x.x.x.x."}, {46, "..............x."}};
    g.comp = "....s.......s...", g.bass = "1--.....1-.5.3..";
    g.melody_grid = 2, g.melody_density = 0.45, g.legato = 0.7, g.pentatonic = true;
    g.swing = 0.56;
    g.major_progressions = {"I IV I V", "I IV V IV"};
    g.minor_progressions = {"i iv i iv", "i iv i v"};
    g.tempo_weights = {1, 1, 0.6};
    s.push_back(g);
  }
  {
    Style l;
    l.tag = "latin";
    l.leads = {"acoustic guitar", "trumpet", "flute", "saxophone", "vibraphone"};
    l.held_out_lead = "piano";
    l.accomps = {"acoustic guitar", "piano", "brass section"};
    l.bass_program = 32, l.drum_kit = 0;
    // Son clave 3-2 over two bars, conga tumbao, cowbell, maracas, a light kick.
    l.drums = {{75, "x.....x.....x.......x...x......."},
               {62, "....x.......x..."},
               {63, "......x.......x."},
               {56, "x...x...x...x..."},
               {70, "x.g.x.g.x.g.x.g."},
               {36, "x..x....x..x...."}};
    l.comp = "x..x..x...x..x..", l.bass = "......1-....5---";
    l.melody_grid = 2, l.melody_density = 0.6, l.legato = 0.8;
    l.major_progressions = {"Imaj7 ii7 V7 Imaj7", "I IV V7 IV"};
    l.minor_progressions = {"i7 iv7 V7 i7", "i iv V i"};
    s.push_back(l);
  }
  {
    Style b;
    b.tag = "blues";
    b.leads = {"harmonica", "electric guitar", "piano", "organ", "trumpet"};
    b.held_out_lead = "saxophone";
    b.accomps = {"piano", "organ", "electric guitar"};
    b.bass_program = 33, b.drum_kit = 0;
    b.drums = {{36, "x.......x......."}, {38, "....x.......x..."}, {42, "x.x.x.x.x.x.x.x."}};
    b.crash_every = 12;
    b.comp = "s.s.s.s.s.s.s.s.", b.bass = "1-3-5-6-8-6-5-3-";
    b.melody_grid = 2, b.melody_density = 0.5, b.legato = 0.85, b.pentatonic = true;
    b.swing = 0.66;
    b.major_progressions = {"I7 I7 I7 I7 IV7 IV7 I7 I7 V7 IV7 I7 V7"};
    b.minor_progressions = {"i7 i7 i7 i7 iv7 iv7 i7 i7 bVI7 V7 i7 V7"};
    b.tempo_weights = {1, 1, 0.7};
    s.push_back(b);
  }
  {
    Style k;
    k.tag = "funk";
    k.leads = {"electric guitar", "saxophone", "trumpet", "synth lead", "electric piano"};
    k.held_out_lead = "organ";
    k.accomps = {"electric guitar", "electric piano", "brass section", "organ"};
    k.bass_program = 36, k.drum_kit = 0;
    k.drums = {{36, "x.....x...x..x.."}, {38, "....x..g.g..x..g"}, {42, "xgxgxgxgxgxgxgxg"}, {46, "..............x."}};
    k.crash_every = 8;
    k.comp = "s..s..s.s.s..s.s", k.bass = "1-.1..8-.11..8.5";
    k.melody_grid = 1, k.melody_density = 0.4, k.legato = 0.5, k.pentatonic = true;
    k.major_progressions = {"I7 I7 IV7 I7", "I7 IV7"};
    k.minor_progressions = {"i7 i7 iv7 i7", "i7 iv7 i7 v7"};
    k.tempo_weights = {0.5, 1, 1};
    s.push_back(k);
  }
  return s;
}

}  // namespace

const std::vector<Style>& styles() {
  static const std::vector<Style> table = make_styles();
  return table;
}

const Instrument& instrument(const std::string& tag) {
  for (const auto& i : instruments())
    if (i.tag == tag) return i;
  throw Error("synth: unknown instrument '" + tag + "'");
}

const Style& style(const std::string& tag) {
  for (const auto& s : styles())
    if (s.tag == tag) return s;
  throw Error("synth: unknown style '" + tag + "'");
}

TempoRange tempo_range(int tempo_class) {
  static const TempoRange ranges[3] = {{62, 80}, {96, 116}, {136, 164}};
  if (tempo_class < 0 || tempo_class > 2) throw Error("synth: tempo class out of range");
  return ranges[tempo_class];
}

}  // namespace mulan::synth
