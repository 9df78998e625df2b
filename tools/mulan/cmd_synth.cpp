// mulan synth --out DIR --clips N [--seconds 30] [--seed S] [--soundfont SF2] [--jobs J]
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "commands.h"
#include "mulan/synth.h"

namespace mulan::cli {

namespace {

void draw_progress(int done, int total) {
  constexpr int kWidth = 30;
  const int filled = total > 0 ? done * kWidth / total : kWidth;
  std::string bar(static_cast<size_t>(filled), '#');
  bar.resize(kWidth, '-');
  std::fprintf(stderr, "\rsynth [%s] %d/%d clips", bar.c_str(), done, total);
  std::fflush(stderr);
}

void run_synth(const synth::CorpusOptions& o) {
  const bool tty = isatty(fileno(stderr)) != 0;
  std::function<void(int, int)> progress;
  if (tty) progress = draw_progress;
  const synth::CorpusSummary s = synth::make_corpus(o, progress);
  if (tty) {
    draw_progress(s.clips, s.clips);
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
      "DIR/synth.json. The same seed gives the same bytes, whatever --jobs");
  auto o = std::make_shared<synth::CorpusOptions>();
  cmd->add_option("--out", o->out_dir, "Output folder (created)")->required();
  cmd->add_option("--clips", o->clips, "Number of clips (2 in 10 go to the test split, 1 in 10 to val)")->required();
  cmd->add_option("--seconds", o->seconds, "Length of each clip in seconds")->capture_default_str();
  cmd->add_option("--seed", o->seed, "Random seed")->capture_default_str();
  cmd->add_option("--soundfont", o->soundfont,
                  "SoundFont (.sf2); default: /usr/share/sounds/sf2/FluidR3_GM.sf2, default-GM.sf2 or TimGM6mb.sf2");
  cmd->add_option("--jobs", o->jobs, "Rendering threads (0: one per core this process may use)")->capture_default_str();
  cmd->callback([o] { run_synth(*o); });
}

}  // namespace mulan::cli
