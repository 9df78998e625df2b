// mulan synth --out DIR --clips N [--seconds 30] [--seed S] [--soundfont SF2] [--jobs J]
// mulan synth --crawl DIR [--recordings N] [--seed S] [--seconds-min A --seconds-max B] [--jobs J]
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "commands.h"
#include "mulan/error.h"
#include "mulan/synth.h"
#include "mulan/synth_crawl.h"

namespace mulan::cli {

namespace {

void draw_progress(int done, int total, const char* unit) {
  constexpr int kWidth = 30;
  const int filled = total > 0 ? done * kWidth / total : kWidth;
  std::string bar(static_cast<size_t>(filled), '#');
  bar.resize(kWidth, '-');
  std::fprintf(stderr, "\rsynth [%s] %d/%d %s", bar.c_str(), done, total, unit);
  std::fflush(stderr);
}

void draw_clip_progress(int done, int total) { draw_progress(done, total, "clips"); }

void run_crawl(const synth::CrawlOptions& o) {
  const bool tty = isatty(fileno(stderr)) != 0;
  std::function<void(int, int)> progress;
  if (tty) progress = [](int d, int t) { draw_progress(d, t, "recordings"); };
  const synth::CrawlSummary s = synth::make_crawl(o, progress);
  if (tty) {
    draw_progress(s.recordings, s.recordings, "recordings");
    std::fputc('\n', stderr);
  }
  std::string kinds;
  for (const auto& [kind, n] : s.kinds) kinds += (kinds.empty() ? "" : ", ") + std::to_string(n) + " " + kind;
  std::fprintf(stderr,
               "synth: crawl of %d recordings (%s; %d non-music), %.1f min of audio, %d playlists, %d SF texts "
               "(%d of %d tokens boilerplate), %d LF sentences (%d about music) -> %s in %.1f s on %d thread%s\n",
               s.recordings, kinds.c_str(), s.non_music, s.audio_seconds / 60, s.playlists, s.sf_texts,
               s.boilerplate_tokens, s.sf_tokens, s.lf_sentences, s.lf_music_sentences, o.out_dir.c_str(),
               s.wall_seconds, s.jobs, s.jobs == 1 ? "" : "s");
}

void run_synth(const synth::CorpusOptions& o) {
  const bool tty = isatty(fileno(stderr)) != 0;
  std::function<void(int, int)> progress;
  if (tty) progress = draw_clip_progress;
  const synth::CorpusSummary s = synth::make_corpus(o, progress);
  if (tty) {
    draw_clip_progress(s.clips, s.clips);
    std::fputc('\n', stderr);
  }
  std::fprintf(stderr,
               "synth: %d clips (%d train, %d val, %d test), %.1f min of audio, %d tags, %d queries -> %s "
               "in %.1f s on %d thread%s (%s)\n",
               s.clips, s.train, s.val, s.test, s.audio_seconds / 60, s.tags, s.queries, o.out_dir.c_str(),
               s.wall_seconds, s.jobs, s.jobs == 1 ? "" : "s", s.soundfont.c_str());
}

}  // namespace

void register_synth(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "synth",
      "Synthesise a music-text corpus: procedurally composed clips (12 styles, 18 instruments, tempo, mode, "
      "dynamics, drums) rendered with fluidsynth to 16 kHz mono FLAC, with SF/LF/PL/ASET texts. Writes "
      "DIR/audio/*.flac, DIR/manifest.jsonl, DIR/tags.txt, DIR/queries.jsonl (test-split retrieval queries) and "
      "DIR/synth.json. The same seed gives the same bytes, whatever --jobs. With --crawl DIR instead: a noisy "
      "crawl to try `mulan mine` on (music, speech from espeak-ng, noise and tones from sox, speech over music, "
      "part music, unreadable and too short files; titles, tags, descriptions, comments and playlists with "
      "boilerplate and chatter): DIR/crawl.jsonl, DIR/audio/*, DIR/crawl-truth.json");
  auto o = std::make_shared<synth::CorpusOptions>();
  auto c = std::make_shared<synth::CrawlOptions>();
  auto* out = cmd->add_option("--out", o->out_dir, "Output folder (created)");
  auto* clips =
      cmd->add_option("--clips", o->clips, "Number of clips (2 in 10 go to the test split, 1 in 10 to val)");
  auto* seconds = cmd->add_option("--seconds", o->seconds, "Length of each clip in seconds")->capture_default_str();
  cmd->add_option("--seed", o->seed, "Random seed")->capture_default_str();
  cmd->add_option("--soundfont", o->soundfont,
                  "SoundFont (.sf2); default: /usr/share/sounds/sf2/FluidR3_GM.sf2, default-GM.sf2 or TimGM6mb.sf2");
  cmd->add_option("--jobs", o->jobs, "Rendering threads (0: one per core this process may use)")->capture_default_str();
  auto* crawl = cmd->add_option("--crawl", c->out_dir,
                                "Write a synthetic crawl with its ground truth to this folder (instead of a corpus)");
  auto* recordings =
      cmd->add_option("--recordings", c->recordings, "Crawl: number of recordings")->capture_default_str();
  auto* smin = cmd->add_option("--seconds-min", c->seconds_min, "Crawl: shortest recording (s)")->capture_default_str();
  auto* smax = cmd->add_option("--seconds-max", c->seconds_max, "Crawl: longest recording (s)")->capture_default_str();
  auto* rate = cmd->add_option("--sample-rate", c->sample_rate, "Crawl: sample rate of the audio files (Hz)")
                   ->capture_default_str();
  for (auto* opt : {out, clips, seconds}) opt->excludes(crawl);
  for (auto* opt : {recordings, smin, smax, rate}) opt->needs(crawl);
  cmd->callback([o, c, crawl, out, clips] {
    if (crawl->count() > 0) {
      c->seed = o->seed, c->soundfont = o->soundfont, c->jobs = o->jobs;
      run_crawl(*c);
      return;
    }
    if (out->count() == 0) throw UsageError("synth: --out is required (or --crawl DIR for a crawl)");
    if (clips->count() == 0) throw UsageError("synth: --clips is required (or --crawl DIR for a crawl)");
    run_synth(*o);
  });
}

}  // namespace mulan::cli
