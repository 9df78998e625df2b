// WebDataset shards of a mined set (the layout data/shards.h reads): OUT/shards/mined-NNNNN.tar,
// each with KEY.flac and KEY.json per clip (KEY = the clip's file stem), the JSON holding the
// manifest row without "audio".
#pragma once

#include <filesystem>

namespace mulan::mine {

// Rewrites OUT/shards from OUT/manifest.jsonl (clips_per_shard clips a tar, each tar atomically).
void write_shards(const std::filesystem::path& out, int clips_per_shard);

}  // namespace mulan::mine
