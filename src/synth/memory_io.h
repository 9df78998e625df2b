// libsndfile virtual I/O over a string: audio is encoded into memory, so that files can be
// written atomically (encode_flac, the crawl's audio), and decoded from memory (checks).
#pragma once

#include <sndfile.h>

#include <algorithm>
#include <cstring>
#include <string>

namespace mulan::synth::memio {

struct Memory {
  std::string data;
  sf_count_t pos = 0;
};
inline sf_count_t length(void* u) { return static_cast<sf_count_t>(static_cast<Memory*>(u)->data.size()); }
inline sf_count_t seek(sf_count_t offset, int whence, void* u) {
  auto* m = static_cast<Memory*>(u);
  const sf_count_t base = whence == SEEK_SET   ? 0
                          : whence == SEEK_CUR ? m->pos
                                               : static_cast<sf_count_t>(m->data.size());
  if (base + offset < 0) return -1;
  m->pos = base + offset;
  return m->pos;
}
inline sf_count_t read(void* ptr, sf_count_t count, void* u) {
  auto* m = static_cast<Memory*>(u);
  const sf_count_t size = static_cast<sf_count_t>(m->data.size());
  const sf_count_t n = std::max<sf_count_t>(0, std::min(count, size - m->pos));
  if (n > 0) std::memcpy(ptr, m->data.data() + m->pos, static_cast<size_t>(n));
  m->pos += n;
  return n;
}
inline sf_count_t write(const void* ptr, sf_count_t count, void* u) {
  auto* m = static_cast<Memory*>(u);
  const auto end = static_cast<size_t>(m->pos + count);
  if (end > m->data.size()) m->data.resize(end);
  std::memcpy(m->data.data() + m->pos, ptr, static_cast<size_t>(count));
  m->pos += count;
  return count;
}
inline sf_count_t tell(void* u) { return static_cast<Memory*>(u)->pos; }
inline SF_VIRTUAL_IO io() { return SF_VIRTUAL_IO{length, seek, read, write, tell}; }

}  // namespace mulan::synth::memio
