// mulan mel FILE --frontend resnet|ast --out OUT.npy: the log-mel spectrogram [F, T] of the
// file's 16 kHz mono signal, as a float32 NumPy file.
#include <ATen/core/Tensor.h>

#include <iostream>

#include "commands.h"
#include "mulan/audio.h"
#include "mulan/audio_embed.h"
#include "mulan/error.h"
#include "mulan/frontend_config.h"
#include "mulan/npy.h"

namespace mulan::cli {

namespace {
struct MelArgs {
  std::string path, frontend, out;
  double offset_s = 0.0, duration_s = 0.0;
};

void run_mel(const MelArgs& a) {
  const audio::FrontendConfig config = audio::FrontendConfig::named(a.frontend);
  audio::DecodeOptions opts;
  opts.offset_s = a.offset_s;
  opts.duration_s = a.duration_s;
  opts.sample_rate = config.sample_rate;
  std::vector<float> pcm = audio::decode(a.path, opts);
  const double seconds = static_cast<double>(pcm.size()) / config.sample_rate;
  // The library's log-mel of the decoded range (the same as mulan.mel in Python).
  const at::Tensor mel = log_mel(AudioSource::pcm(std::move(pcm), config.sample_rate, 1, a.path), config);
  write_npy(a.out, mel);
  std::cerr << "mel: wrote " << a.out << ": [" << mel.size(0) << ", " << mel.size(1) << "] float32 (" << a.frontend
            << " front end, " << seconds << " s)\n";
}
}  // namespace

void register_mel(CLI::App& app) {
  auto* cmd = app.add_subcommand("mel", "Write the log-mel spectrogram [F, T] of a file's 16 kHz mono "
                                        "signal to a float32 .npy (F = 64 for resnet, 128 for ast)");
  auto a = std::make_shared<MelArgs>();
  cmd->add_option("FILE", a->path, "Audio file")->required();
  cmd->add_option("--frontend", a->frontend, "Front end of docs/mulan-spec.md 1.1")
      ->required()
      ->check(CLI::IsMember({"resnet", "ast"}));
  cmd->add_option("--offset", a->offset_s, "Start, seconds from the start of the file")->capture_default_str();
  cmd->add_option("--duration", a->duration_s, "Seconds to decode; 0 = to the end")->capture_default_str();
  cmd->add_option("--out", a->out, "Output .npy path")->required();
  cmd->callback([a] { run_mel(*a); });
}

}  // namespace mulan::cli
