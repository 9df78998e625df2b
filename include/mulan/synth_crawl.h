// A noisy synthetic crawl around the synthetic corpus, with its ground truth: what `mulan mine`
// is tested on (docs/mining.md; the contract is the crawl manifest plus crawl-truth.json).
//
//   mulan::synth::CrawlOptions o;
//   o.out_dir = "crawl"; o.recordings = 60; o.seed = 1;
//   const auto summary = mulan::synth::make_crawl(o);  // crawl/crawl.jsonl, audio/, crawl-truth.json
//
// Non-music audio comes from Debian programs run as subprocesses (no shell): speech from
// espeak-ng (en, de, fr, es, it, pt; several voices, speeds and pitches), noise and tones from
// sox (run with -R, so its output repeats). Each writes a temporary WAV that is read back with
// libsndfile and resampled with soxr when its rate is not the one asked for. A missing program
// throws mulan::Error naming it and scripts/install-deps.sh.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace mulan::synth {

// What a non-music recording holds. speech_over_music: speech at full level over a synthetic
// clip about 20 dB below it (RMS), which a music detector must still call non-music.
enum class NonMusic { speech, noise, tone, speech_over_music };

// Mono samples at sample_rate, exactly round(seconds * sample_rate) of them; the same arguments
// give the same samples. speech: one or two espeak-ng voices of one language, sentences from a
// pool per language, short pauses between them. noise: white, pink or brown (sox), sometimes
// band-limited. tone: a sine or square tone or sweep (sox). speech_over_music needs a SoundFont
// ("" looks in the usual places, see find_soundfont). Throws mulan::UsageError for bad
// arguments, mulan::Error when a program is missing or fails.
std::vector<float> make_nonmusic(NonMusic kind, double seconds, uint64_t seed, int sample_rate,
                                 const std::string& soundfont = "");

// Speech for the first (1 - music_fraction) of `seconds`, then a synthetic music clip for the
// rest (music_fraction in [0, 1]).
std::vector<float> make_part_music(double seconds, double music_fraction, uint64_t seed, int sample_rate,
                                   const std::string& soundfont = "");

// "speech", "noise", "tone" or "speech_over_music".
const char* to_string(NonMusic kind);

// Tokens by the mining contract's rule: maximal runs of non-whitespace (Unicode White_Space)
// that contain at least one letter or digit (Unicode categories L*, N*). "[Official" is one,
// "-", "|" and an emoji are none. Invalid UTF-8 bytes count as neither letters nor spaces.
int count_tokens(std::string_view text);

// Relative weights of the kinds of recording in a crawl (contract: crawl-truth.json "kinds").
// The counts follow the weights by largest remainder; when recordings >= 20 every kind with a
// positive weight gets at least one.
struct CrawlMix {
  double music = 40, speech = 5, noise = 3, tone = 2, speech_over_music = 3, part_music = 4, unreadable = 2,
         too_short = 1;
};

struct CrawlOptions {
  std::string out_dir;       // output folder (created)
  int recordings = 60;       // rows of crawl.jsonl
  double seconds_min = 20;   // each recording's length is drawn in [seconds_min, seconds_max]
  double seconds_max = 60;   // (too_short recordings: 1 to 2.5 s)
  uint64_t seed = 1;         // everything random derives from it
  std::string soundfont;     // SoundFont path; "" looks in the usual places
  int jobs = 0;              // rendering threads; 0 = one per core this process may use
  int sample_rate = 22050;   // rate of every audio file (espeak-ng speaks at 22050 Hz)
  CrawlMix mix;
};

struct CrawlSummary {
  int recordings = 0, non_music = 0, playlists = 0, jobs = 0;
  std::map<std::string, int> kinds;  // kind -> recordings, every kind of the contract
  int sf_texts = 0, sf_tokens = 0, boilerplate_tokens = 0, sf_texts_without_music = 0;
  int lf_sentences = 0, lf_music_sentences = 0, pl_texts = 0;
  double audio_seconds = 0, wall_seconds = 0;
  std::string soundfont;
};

// Writes out_dir/audio/* (FLAC, WAV and Ogg Vorbis; some stereo), out_dir/crawl.jsonl (one row
// per recording: id, audio, title, tags, description, comments, playlists; tags, comments and
// playlists left out when empty) and, last, out_dir/crawl-truth.json (the mining contract's
// format), every file atomically. The truth's rows also carry audio, format ("garbage" for
// unreadable), channels, sample_rate, frames and seconds (what libsndfile decodes), playlists,
// and each LF sentence its tokens (an emoji-only comment is a sentence of 0 tokens); "pl" also
// counts the distinct playlists. unreadable rows: music false, music_fraction 0, no clip_tags;
// too_short rows: music true (their audio is a synthetic clip), under 3 s. The same options
// give the same bytes, whatever jobs. progress(done, total) is called from the calling thread
// while recordings render. Throws mulan::UsageError (OptionError) for bad options,
// mulan::Error otherwise.
CrawlSummary make_crawl(const CrawlOptions& o, const std::function<void(int, int)>& progress = {});

}  // namespace mulan::synth
