#include "mine/clip.h"

#include <cmath>
#include <cstdio>

#include "mulan/random.h"

namespace mulan::mine {

ClipPlan plan_clip(double source_s, double clip_s, const std::string& position, uint64_t seed, const std::string& id) {
  ClipPlan p;
  p.source_s = source_s;
  if (source_s <= clip_s) {
    p.duration_s = source_s;
    return p;
  }
  const double room = source_s - clip_s;
  double offset = room / 2;
  if (position == "random") {
    Rng rng(derive_seed(seed, id_hash(id), 0xC11B));
    offset = room * rng.uniform();
  }
  p.offset_s = std::min(room, std::floor(offset * 1000.0 + 0.5) / 1000.0);
  p.duration_s = clip_s;
  return p;
}

uint64_t id_hash(const std::string& id) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : id) h = (h ^ c) * 1099511628211ULL;
  return h;
}

std::string clip_path(int64_t index) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "clips/%03lld/%08lld.flac", static_cast<long long>(index / 1000), static_cast<long long>(index));
  return buf;
}

}  // namespace mulan::mine
