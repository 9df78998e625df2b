// The synthetic music-text corpus: procedurally composed clips, rendered through a General MIDI
// synthesiser (libfluidsynth and a SoundFont), with text in the paper's four forms (spec 3).
//
//   mulan::synth::CorpusOptions o;
//   o.out_dir = "corpus"; o.clips = 300; o.seconds = 30; o.seed = 1;
//   const auto summary = mulan::synth::make_corpus(o);   // corpus/manifest.jsonl, ...
//
// The parts, each usable alone:
//   sample_factors  the musical factors of a clip (style, instruments, tempo, mode, ...)
//   compose         factors -> MIDI events (compose.cpp, harmony.cpp)
//   Renderer        MIDI events -> mono float audio (render.cpp, one fluid_synth each)
//   make_texts      factors -> SF / LF / PL / ASET texts (text.cpp, words.cpp)
//   make_corpus     the driver: splits, parallel rendering, manifest, tags, queries
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mulan/random.h"

namespace mulan::synth {

enum class Tempo : uint8_t { Slow = 0, Medium = 1, Fast = 2 };
enum class Mode : uint8_t { Major, Minor };
enum class Dynamics : uint8_t { Soft, Loud };

// What a clip is made of. Every field is audible and shows up in the tags.
struct Factors {
  std::string style = "rock";            // a Style tag (styles.h)
  std::string lead = "electric guitar";  // Instrument tag of the melody
  std::string accomp = "piano";          // Instrument tag of the chords
  Tempo tempo = Tempo::Medium;           // tempo class; bpm lies in its range
  int bpm = 104;                         // beats per minute
  Mode mode = Mode::Major;               // major or minor key
  int key = 0;                           // tonic pitch class, 0 = C ... 11 = B
  Dynamics dynamics = Dynamics::Loud;    // velocity and channel volume
  bool drums = true;                     // a drum part on MIDI channel 10 (index 9)
};

// Draws the factors of one clip. held_out: the style's held-out lead (a test-only pair) with
// one of the style's accompaniments. Otherwise one of the style's own leads and
// accompaniments, or with chance kGuestChance each a guest from all_leads() / all_accomps();
// never the style's held-out instrument (no training clip has both the style's tag and its
// held-out instrument's tag).
Factors sample_factors(Rng& rng, bool held_out);
constexpr double kGuestChance = 0.35;
// Every instrument that leads (or accompanies) some style, in table order.
const std::vector<std::string>& all_leads();
const std::vector<std::string>& all_accomps();

// The tags of a clip, in the order of all_tags(): style, instruments, tempo, mode, moods,
// dynamics, drums. Moods follow from the mode ("happy" / "sad") and the tempo ("calm" when
// slow, "energetic" when fast).
std::vector<std::string> tags_of(const Factors& f);
// The full tag vocabulary, grouped by category.
const std::vector<std::string>& all_tags();
// "style", "instrument", "tempo", "mode", "mood", "dynamics" or "drums".
std::string tag_category(const std::string& tag);
const char* tempo_tag(Tempo t);  // "slow", "medium tempo", "fast"

// MIDI channels of the parts.
constexpr int kLeadChannel = 0, kCompChannel = 1, kBassChannel = 2, kDrumChannel = 9;
// Events fall on multiples of this many frames: fluidsynth renders in blocks of 64 and
// applies events at block boundaries, so quantising makes rendering independent of how
// the output is cut into calls.
constexpr int kBlockFrames = 64;

struct MidiEvent {
  // At equal frames, events apply in this order (a note off before a new note on).
  enum Kind : uint8_t { Program = 0, Control = 1, NoteOff = 2, NoteOn = 3 };
  int64_t frame = 0;  // when, in frames at the composition's sample rate
  Kind kind = NoteOn;
  uint8_t channel = 0;
  uint8_t data1 = 0;  // key, program or controller number
  uint8_t data2 = 0;  // velocity or controller value
};

struct Composition {
  Factors factors;
  int sample_rate = 16000;
  int64_t frames = 0;             // length of the clip
  std::vector<MidiEvent> events;  // sorted by (frame, kind); all frames < frames
};

// Composes a clip of the given length: drums, bass, chords and melody for the factors.
// The same (factors, seconds, seed, sample_rate) give the same events.
Composition compose(const Factors& f, double seconds, uint64_t seed, int sample_rate = 16000);

struct RenderOptions {
  int sample_rate = 16000;  // output rate (Hz); compositions must use the same
  int polyphony = 96;       // voices per synthesiser (fluidsynth synth.polyphony)
  double gain = 0.6;        // master gain (synth.gain); loud clips peak around 0.3 to 0.9
  double ceiling = 0.98;    // a clip whose peak would exceed this is scaled down to it
};

// One fluidsynth instance with the SoundFont loaded; not thread-safe, make one per thread.
// Reverb and chorus are off; rendering is offline (no audio driver) and deterministic.
class Renderer {
 public:
  explicit Renderer(const std::string& soundfont, RenderOptions options = {});
  ~Renderer();
  Renderer(const Renderer&) = delete;
  Renderer& operator=(const Renderer&) = delete;
  // Mono samples, composition.frames of them, in [-ceiling, ceiling], faded in and out over
  // 10 ms so that neither end clicks.
  std::vector<float> render(const Composition& c);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The SoundFont to use: `requested` if given (it must exist), else the first of
// /usr/share/sounds/sf2/{FluidR3_GM,default-GM,TimGM6mb}.sf2 that exists; throws mulan::Error
// naming what it looked for.
std::string find_soundfont(const std::string& requested);

// 16-bit FLAC bytes of mono samples (values outside [-1, 1] are clipped).
std::string encode_flac(const std::vector<float>& samples, int sample_rate);

// The four text forms of spec 3, several variants each, in training phrasing.
struct ClipTexts {
  std::vector<std::string> sf;    // title plus tags
  std::vector<std::string> lf;    // a description of a few sentences, not all about the music
  std::vector<std::string> pl;    // playlist titles
  std::vector<std::string> aset;  // AudioSet-style label lists
};
ClipTexts make_texts(const Factors& f, Rng& rng);

// A retrieval query in test phrasing (templates never used in training text). With
// unseen_words, each tag is said with a synonym that no training text uses; otherwise with
// the tag's own words.
std::string make_query_text(const std::vector<std::string>& tags, bool unseen_words, Rng& rng);
// Every query-only synonym, for checks that training text never uses them.
std::vector<std::string> query_only_phrases();

struct CorpusOptions {
  std::string out_dir;      // output folder (created)
  int clips = 100;          // number of clips
  double seconds = 30;      // length of each clip
  uint64_t seed = 1;        // everything random derives from it
  std::string soundfont;    // SoundFont path; "" looks in the usual places
  int jobs = 0;             // rendering threads; 0 = one per core this process may use
  int sample_rate = 16000;  // output rate (Hz)
};

struct CorpusSummary {
  int clips = 0, train = 0, val = 0, test = 0;
  int tags = 0, queries = 0, jobs = 0;
  double audio_seconds = 0, wall_seconds = 0;
  std::string soundfont;
};

// Writes out_dir/{audio/*.flac, tags.txt, queries.jsonl, synth.json, manifest.jsonl}
// (manifest last, every file atomically). progress(done, total) is called from the calling
// thread while clips render. Throws mulan::UsageError for bad options, mulan::Error otherwise.
CorpusSummary make_corpus(const CorpusOptions& o, const std::function<void(int, int)>& progress = {});

// The split of clip `index` (0-based): 2 in 10 "test", 1 in 10 "val", the rest "train".
std::string split_of(int index);

}  // namespace mulan::synth
