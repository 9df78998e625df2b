// mulan info FILE: what the file's header says, as one JSON object.
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "mulan/audio.h"

namespace mulan::cli {

void register_info(CLI::App& app) {
  auto* cmd = app.add_subcommand("info", "Print an audio file's header as JSON "
                                         "(sample_rate, channels, frames, duration_s, format)");
  auto path = std::make_shared<std::string>();
  cmd->add_option("FILE", *path, "Audio file (WAV, FLAC, OGG/Vorbis, Opus, MP3, ...)")->required();
  cmd->callback([path] {
    const audio::AudioInfo info = audio::probe(*path);
    const nlohmann::json j = {{"path", info.path},         {"sample_rate", info.sample_rate},
                              {"channels", info.channels}, {"frames", info.frames},
                              {"duration_s", info.duration_s}, {"format", info.format},
                              {"encoding", info.encoding}};
    std::cout << j.dump() << "\n";
  });
}

}  // namespace mulan::cli
