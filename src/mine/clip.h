// Where a recording's clip lies (docs/mining.md): the middle clip_seconds by default, or a
// uniformly drawn offset from the seed and the row's id; a recording shorter than a clip is
// kept whole.
#pragma once

#include <cstdint>
#include <string>

namespace mulan::mine {

struct ClipPlan {
  double offset_s = 0, duration_s = 0, source_s = 0;
};

// Offsets are rounded to milliseconds.
ClipPlan plan_clip(double source_s, double clip_s, const std::string& position, uint64_t seed, const std::string& id);

// FNV-1a of a row's id: what repeated ids are found by and what a random
// clip position is drawn from, so that neither depends on the row's place in the crawl.
uint64_t id_hash(const std::string& id);

// "clips/NNN/NNNNNNNN.flac" for a data row's 0-based index (1000 clips a folder). Clip names
// never come from ids, which the crawl controls.
std::string clip_path(int64_t index);

}  // namespace mulan::mine
