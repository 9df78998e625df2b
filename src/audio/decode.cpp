// Decoding through libsndfile: look at the first bytes (a path or a buffer in memory) and refuse
// what no libsndfile format starts with, open, validate the header, seek to the requested
// offset, read in blocks, downmix to mono, check every sample is finite, resample to the output
// rate. Memory stays bounded by the block size. Nothing here touches process-wide state (file
// descriptor 2 included): several threads may decode at once.
#include <fcntl.h>
#include <sndfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <string>
#include <system_error>

#include "mulan/audio.h"
#include "audio/downmix.h"
#include "mulan/error.h"

namespace mulan::audio {

// A file held in memory, read through libsndfile's virtual I/O. Outside the anonymous
// namespace: AudioReader::Impl holds one (GCC warns about that in a unity build).
struct MemoryFile {
  const unsigned char* data = nullptr;
  sf_count_t size = 0;
  sf_count_t pos = 0;
};
// An open file, read with pread() through libsndfile's virtual I/O.
struct FdFile {
  int fd = -1;
  sf_count_t size = 0;
  sf_count_t pos = 0;
};

namespace {

constexpr sf_count_t kBlockFrames = 16384;

sf_count_t mem_length(void* user) { return static_cast<MemoryFile*>(user)->size; }
sf_count_t mem_seek(sf_count_t offset, int whence, void* user) {
  auto* m = static_cast<MemoryFile*>(user);
  sf_count_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? m->pos : m->size;
  sf_count_t target = base + offset;
  if (target < 0) return -1;
  m->pos = std::min(target, m->size);
  return m->pos;
}
sf_count_t mem_read(void* ptr, sf_count_t count, void* user) {
  auto* m = static_cast<MemoryFile*>(user);
  const sf_count_t n = std::max<sf_count_t>(0, std::min(count, m->size - m->pos));
  if (n > 0) std::memcpy(ptr, m->data + m->pos, static_cast<size_t>(n));
  m->pos += n;
  return n;
}
sf_count_t mem_write(const void*, sf_count_t, void*) { return 0; }
sf_count_t mem_tell(void* user) { return static_cast<MemoryFile*>(user)->pos; }

// An open file read through libsndfile's virtual I/O with pread(): libsndfile never holds the
// descriptor, so it can never close it. (Given a descriptor with sf_open_fd, libsndfile 1.2
// closes it when an open fails, whatever close_desc says; closing it again here then closed
// whichever file another thread had opened under the same number meanwhile.)
sf_count_t fd_length(void* user) { return static_cast<FdFile*>(user)->size; }
sf_count_t fd_seek(sf_count_t offset, int whence, void* user) {
  auto* f = static_cast<FdFile*>(user);
  const sf_count_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? f->pos : f->size;
  const sf_count_t target = base + offset;
  if (target < 0) return -1;
  f->pos = target;
  return f->pos;
}
sf_count_t fd_read(void* ptr, sf_count_t count, void* user) {
  auto* f = static_cast<FdFile*>(user);
  sf_count_t done = 0;
  while (done < count) {
    const ssize_t n = ::pread(f->fd, static_cast<char*>(ptr) + done, static_cast<size_t>(count - done), f->pos);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += n;
    f->pos += n;
  }
  return done;
}
sf_count_t fd_tell(void* user) { return static_cast<FdFile*>(user)->pos; }

// Seconds for a message: 1e+300 rather than 309 digits.
std::string seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", s);
  return buf;
}

std::string format_extension(int format) {
  SF_FORMAT_INFO fi{};
  fi.format = format & SF_FORMAT_TYPEMASK;
  if (sf_command(nullptr, SFC_GET_FORMAT_INFO, &fi, sizeof(fi)) == 0 && fi.extension) {
    return fi.extension;
  }
  return "unknown";
}

std::string encoding_name(int format) {
  SF_FORMAT_INFO fi{};
  fi.format = format & SF_FORMAT_SUBMASK;
  if (sf_command(nullptr, SFC_GET_FORMAT_INFO, &fi, sizeof(fi)) == 0 && fi.name) return fi.name;
  return "unknown";
}

// A text tag of the file, made printable (bad UTF-8 and control characters escaped) and cut to
// kMaxTagBytes at a character boundary.
std::string file_tag(SNDFILE* file, int which) {
  const char* raw = sf_get_string(file, which);
  if (raw == nullptr) return "";
  std::string text = printable(std::string_view(raw, strnlen(raw, 4 * kMaxTagBytes)));
  if (text.size() > kMaxTagBytes) {
    std::size_t cut = kMaxTagBytes;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // not mid-character
    text.resize(cut);
  }
  const auto first = text.find_first_not_of(' ');
  return first == std::string::npos ? "" : text.substr(first, text.find_last_not_of(' ') - first + 1);
}

// libsndfile quietly trims a WAV or AIFF data chunk that promises more bytes than the file
// holds, and says so only in its log ("data : 32000 (should be 10000)"). Streaming writers
// leave 0 or 0xFFFFFFFF there on purpose; those are not truncation.
bool header_promises_more_data(SNDFILE* file) {
  std::string log(16384, '\0');
  sf_command(file, SFC_GET_LOG_INFO, log.data(), static_cast<int>(log.size()));
  for (const char* chunk : {"data :", "SSND :"}) {
    for (size_t pos = log.find(chunk); pos != std::string::npos; pos = log.find(chunk, pos + 1)) {
      unsigned long long said = 0, should = 0;
      if (std::sscanf(log.c_str() + pos + 6, " %llu (should be %llu)", &said, &should) == 2 &&
          said > should && said != 0xFFFFFFFFull && said != 0xFFFFFFFFull - 1) {
        return true;
      }
    }
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Sniffing: what libsndfile is allowed to see.
//
// libsndfile hands data that starts with an MPEG frame sync (after any ID3v2 tags) to libmpg123,
// which prints "Note: ..." and "Warning: ..." lines on stderr about damaged streams, and no
// library call turns that off. Rather than muting stderr for the whole process, we look at
// the bytes first: data must start (after ID3v2 tags) with a marker of a container libsndfile
// recognises (its guess_file_type, sndfile.c), or be an MPEG stream whose frame headers chain
// from the first to the last byte, whose last frame is whole and whose Xing/Info header, if
// any, agrees with the stream's length. Everything else is refused here, in our words.

// Reads bytes at an offset of the data being opened (a file through pread, or a buffer).
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual uint64_t size() const = 0;
  // Up to n bytes at offset; fewer at the end of the data.
  virtual std::size_t read_at(uint64_t offset, unsigned char* out, std::size_t n) const = 0;
};

class FdSource final : public ByteSource {
 public:
  FdSource(int fd, uint64_t size, std::string path) : fd_(fd), size_(size), path_(std::move(path)) {}
  uint64_t size() const override { return size_; }
  std::size_t read_at(uint64_t offset, unsigned char* out, std::size_t n) const override {
    std::size_t got = 0;
    while (got < n) {
      const ssize_t r = ::pread(fd_, out + got, n - got, static_cast<off_t>(offset + got));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) throw Error(file_error(path_, std::string("read failed: ") + std::strerror(errno)));
      if (r == 0) break;
      got += static_cast<std::size_t>(r);
    }
    return got;
  }

 private:
  int fd_;
  uint64_t size_;
  std::string path_;
};

class BufferSource final : public ByteSource {
 public:
  BufferSource(const unsigned char* data, uint64_t size) : data_(data), size_(size) {}
  uint64_t size() const override { return size_; }
  std::size_t read_at(uint64_t offset, unsigned char* out, std::size_t n) const override {
    if (offset >= size_) return 0;
    const std::size_t k = static_cast<std::size_t>(std::min<uint64_t>(n, size_ - offset));
    std::memcpy(out, data_ + offset, k);
    return k;
  }

 private:
  const unsigned char* data_;
  uint64_t size_;
};

constexpr const char* kUnrecognised = "not a readable audio file (unrecognised format or corrupt header)";

constexpr uint32_t marker(char a, char b, char c, char d) {
  return uint32_t(uint8_t(a)) << 24 | uint32_t(uint8_t(b)) << 16 | uint32_t(uint8_t(c)) << 8 | uint32_t(uint8_t(d));
}
uint32_t be32(const unsigned char* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }

// The containers of libsndfile 1.2's guess_file_type (sndfile.c), in its order, read from the
// first 12 bytes as three big-endian words; file_length for HTK, which has no marker.
bool libsndfile_container_marker(const unsigned char* b, uint64_t file_length) {
  const uint32_t w0 = be32(b), w1 = be32(b + 4), w2 = be32(b + 8);
  if ((w0 == marker('R', 'I', 'F', 'F') || w0 == marker('R', 'I', 'F', 'X')) && w2 == marker('W', 'A', 'V', 'E')) return true;
  if (w0 == marker('F', 'O', 'R', 'M')) {
    return w2 == marker('A', 'I', 'F', 'F') || w2 == marker('A', 'I', 'F', 'C') || w2 == marker('8', 'S', 'V', 'X') ||
           w2 == marker('1', '6', 'S', 'V');
  }
  if (w0 == marker('.', 's', 'n', 'd') || w0 == marker('d', 'n', 's', '.')) return true;                       // AU
  if (w0 == marker('f', 'a', 'p', ' ') || w0 == marker(' ', 'p', 'a', 'f')) return true;                       // PAF
  if (w0 == marker('N', 'I', 'S', 'T')) return true;                                                          // NIST
  if (w0 == marker('C', 'r', 'e', 'a') && w1 == marker('t', 'i', 'v', 'e')) return true;                      // VOC
  if ((w0 & 0xFFFFF8FFu) == 0x64A30000u || (w0 & 0xFFF8FFFFu) == 0x0000A364u) return true;                    // IRCAM
  if (w0 == marker('r', 'i', 'f', 'f')) return true;                                                          // W64
  if (w0 == 0x000003E8u && w1 == 1u && w2 == 1u) return true;                                                 // MAT4
  if (w0 == 0u && w1 == 0x01000000u && w2 == 0x01000000u) return true;                                        // MAT4
  if (w0 == marker('M', 'A', 'T', 'L') && w1 == marker('A', 'B', ' ', '5')) return true;                      // MAT5
  if (w0 == marker('P', 'V', 'F', '1')) return true;                                                          // PVF
  if (w0 == marker('E', 'x', 't', 'e') && w1 == marker('n', 'd', 'e', 'd') && w2 == marker(' ', 'I', 'n', 's')) return true;  // XI
  if (w0 == marker('c', 'a', 'f', 'f') && w2 == marker('d', 'e', 's', 'c')) return true;                      // CAF
  if (w0 == marker('O', 'g', 'g', 'S')) return true;                                                          // OGG
  if (w0 == marker('A', 'L', 'a', 'w') && w1 == marker('S', 'o', 'u', 'n') && w2 == marker('d', 'F', 'i', 'l')) return true;  // WVE
  if (w0 == marker('D', 'i', 'a', 'm') && w1 == marker('o', 'n', 'd', 'W') && w2 == marker('a', 'r', 'e', ' ')) return true;  // DWD
  if (w0 == marker('L', 'M', '8', '9') || w0 == 0x35330000u) return true;                                     // TXW
  if ((w0 & 0xFFFF80FFu) == 0xF07E0001u) return true;                                                         // SDS
  if ((w0 & 0xFFFF0000u) == 0x01040000u) return true;                                                         // MPC2K
  if (w0 == marker('C', 'A', 'T', ' ') && w2 == marker('R', 'E', 'X', '2')) return true;                      // REX2
  if (w2 == 0x00020000u && 2 * static_cast<uint64_t>(w0) + 12 == file_length) return true;                    // HTK
  if (w0 == marker('f', 'L', 'a', 'C')) return true;                                                          // FLAC
  if (w0 == marker('2', 'B', 'I', 'T')) return true;                                                          // AVR
  if (w0 == marker('R', 'F', '6', '4') && w2 == marker('W', 'A', 'V', 'E')) return true;                      // RF64
  return false;
}

// One MPEG audio frame header (ISO 11172-3 / 13818-3, and the MPEG 2.5 extension), checked the
// way libmpg123's head_check does: sync, no reserved version, layer, bitrate or sample rate.
struct MpegHeader {
  int version = 0;      // 3 = MPEG 1, 2 = MPEG 2, 0 = MPEG 2.5
  int layer = 0;        // 1, 2 or 3
  int sample_rate = 0;  // Hz
  bool mono = false;
  uint64_t length = 0;  // bytes, header included; 0 for a free-format frame
};

bool parse_mpeg_header(const unsigned char* h, MpegHeader& out) {
  if (h[0] != 0xFF || (h[1] & 0xE0) != 0xE0) return false;
  const int version = (h[1] >> 3) & 3, layer_bits = (h[1] >> 1) & 3, bitrate_index = h[2] >> 4, rate_index = (h[2] >> 2) & 3;
  if (version == 1 || layer_bits == 0 || bitrate_index == 15 || rate_index == 3) return false;
  static constexpr int kBitrate[2][3][15] = {  // kbit/s: [MPEG 1, MPEG 2/2.5][layer - 1][index]
      {{0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448},
       {0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384},
       {0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320}},
      {{0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256},
       {0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160},
       {0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160}}};
  static constexpr int kRate[3] = {44100, 48000, 32000};
  out.version = version;
  out.layer = 4 - layer_bits;
  out.sample_rate = kRate[rate_index] >> (version == 3 ? 0 : version == 2 ? 1 : 2);
  out.mono = (h[3] >> 6) == 3;
  const uint64_t kbps = static_cast<uint64_t>(kBitrate[version == 3 ? 0 : 1][out.layer - 1][bitrate_index]);
  const uint64_t padding = (h[2] >> 1) & 1;
  const uint64_t rate = static_cast<uint64_t>(out.sample_rate);
  if (kbps == 0) {
    out.length = 0;
  } else if (out.layer == 1) {
    out.length = (12000 * kbps / rate + padding) * 4;
  } else if (out.layer == 3 && version != 3) {
    out.length = 72000 * kbps / rate + padding;
  } else {
    out.length = 144000 * kbps / rate + padding;
  }
  return true;
}

bool starts_with_mpeg_sync(const unsigned char* b) { return b[0] == 0xFF && (b[1] & 0xE0) == 0xE0; }

// Why an MPEG stream starting at `start` would not decode cleanly, or "" when its frames chain
// to the end (trailing ID3v1, APE or Lyrics3 tags allowed). A free-format stream (no bitrate in
// the header) cannot be walked without decoding, and is refused: encoders hardly ever write one.
std::string mpeg_stream_problem(const ByteSource& src, uint64_t start) {
  const uint64_t end = src.size();
  unsigned char h[4];
  MpegHeader first, cur;
  if (src.read_at(start, h, 4) < 4 || !parse_mpeg_header(h, first)) {
    return kUnrecognised;
  }
  if (first.length == 0) {
    return "not a readable audio file (free-format MPEG audio, without a bitrate in its frame headers, is not supported)";
  }
  uint64_t pos = start, frames = 0;
  while (pos < end) {
    unsigned char t[11] = {};
    const std::size_t got = src.read_at(pos, t, sizeof t);
    if (got >= 4 && parse_mpeg_header(t, cur) && cur.version == first.version && cur.layer == first.layer &&
        cur.sample_rate == first.sample_rate && cur.length > 0) {
      if (pos + cur.length > end) {
        return "truncated: the MPEG frame at byte " + std::to_string(pos) + " needs " + std::to_string(cur.length) +
               " bytes, the file ends after " + std::to_string(end - pos);
      }
      pos += cur.length;
      ++frames;
      continue;
    }
    const std::string tag(reinterpret_cast<const char*>(t), got);
    if (frames > 0 && (tag.starts_with("TAG") || tag.starts_with("APETAGEX") || tag.starts_with("LYRICSBEGIN") || tag.starts_with("ID3"))) break;
    if (frames == 0) return kUnrecognised;
    if (got < 4) return "truncated: the MPEG stream ends in a partial frame header at byte " + std::to_string(pos);
    return "not a readable audio file (damaged MPEG audio: no frame header at byte " + std::to_string(pos) + " after " +
           std::to_string(frames) + (frames == 1 ? " frame)" : " frames)");
  }
  // A Xing/Info frame (LAME, most encoders) gives the stream's length in bytes; libmpg123 warns
  // when the file disagrees by more than 1%, as a cut file at a frame boundary does.
  const uint64_t side_info = first.version == 3 ? (first.mono ? 17 : 32) : (first.mono ? 9 : 17);
  unsigned char x[16] = {};
  if (first.layer == 3 && src.read_at(start + 4 + side_info, x, sizeof x) == sizeof x &&
      (be32(x) == marker('X', 'i', 'n', 'g') || be32(x) == marker('I', 'n', 'f', 'o')) && (be32(x + 4) & 2)) {
    const uint64_t promised = be32(x + ((be32(x + 4) & 1) ? 12 : 8));
    const uint64_t held = pos - start;
    const auto off = [&](uint64_t n) { return promised > 0 && (n > promised ? n - promised : promised - n) * 100 > promised; };
    if (promised > held && off(held)) {
      return "truncated: the Xing header promises " + std::to_string(promised) + " bytes of MPEG audio, the file holds " +
             std::to_string(held);
    }
    if (off(held)) {
      return "not a readable audio file (damaged MPEG audio: the Xing header gives " + std::to_string(promised) +
             " bytes, the stream has " + std::to_string(held) + ")";
    }
  }
  return "";
}

// Headerless formats libsndfile picks by the file name's extension (its format_from_extension),
// set up the same way here, since the file reaches libsndfile as a descriptor without a name.
bool raw_by_extension(const std::string& path, SF_INFO* info) {
  std::string ext = std::filesystem::path(path).extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  int format = 0, rate = 8000;
  if (ext == ".au" || ext == ".snd") format = SF_FORMAT_RAW | SF_FORMAT_ULAW;
  if (ext == ".vox" || ext == ".vox8" || ext == ".vox6") format = SF_FORMAT_RAW | SF_FORMAT_VOX_ADPCM;
  if (ext == ".vox6") rate = 6000;
  if (ext == ".gsm") format = SF_FORMAT_RAW | SF_FORMAT_GSM610;
  if (format == 0) return false;
  if (info) {
    *info = SF_INFO{};
    info->format = format;
    info->samplerate = rate;
    info->channels = 1;
  }
  return true;
}

// "" when libsndfile may open the data (it then never hands it to libmpg123 unless it is a
// well-formed MPEG stream), else the reason to refuse it. A headerless file that libsndfile
// would place by its name's extension sets *raw (only when path names a file).
std::string sniff(const ByteSource& src, const std::string& path, SF_INFO* raw) {
  uint64_t start = 0;
  // ID3v2 tags, as libsndfile's id3_skip reads them: 10 bytes plus a syncsafe size (a
  // footer is not counted); it skips a tag only when data follows it.
  for (int tags = 0; tags < 16; ++tags) {
    unsigned char h[10] = {};
    if (src.read_at(start, h, 10) < 10 || h[0] != 'I' || h[1] != 'D' || h[2] != '3') break;
    const uint64_t len = 10 + ((uint64_t(h[6] & 0x7f) << 21) | (uint64_t(h[7] & 0x7f) << 14) | (uint64_t(h[8] & 0x7f) << 7) | (h[9] & 0x7f));
    if (start + len >= src.size()) return "not a readable audio file (an ID3 tag and no audio after it)";
    start += len;
  }
  unsigned char b[12] = {};
  const std::size_t got = src.read_at(start, b, sizeof b);
  if (got >= 2 && starts_with_mpeg_sync(b)) return mpeg_stream_problem(src, start);
  if (got == sizeof b && libsndfile_container_marker(b, src.size() - start)) return "";
  if (start == 0 && raw && raw_by_extension(path, raw)) return "";
  return kUnrecognised;
}

// A Sound Designer II file keeps its header in a resource fork, which libsndfile finds on Linux
// as an AppleDouble file beside the data ("._NAME" or ".AppleDouble/NAME"); the data has no
// marker of its own. Such a file is opened by name.
bool has_resource_fork(const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path p(path);
  std::error_code ec;
  return fs::is_regular_file(p.parent_path() / ("._" + p.filename().string()), ec) ||
         fs::is_regular_file(p.parent_path() / ".AppleDouble" / p.filename(), ec);
}

// libsndfile keeps the reason an open failed in one global (sf_error(NULL)), overwritten by
// every open in the process; it is read under the same lock as the open, so that concurrent
// decodes each report their own.
std::mutex& open_mutex() {
  static std::mutex m;
  return m;
}

// libsndfile's reason for refusing to open, in words that fit a file we know exists. Called
// with open_mutex() held.
std::string open_error_reason_locked() {
  const std::string raw = sf_strerror(nullptr);
  if (sf_error(nullptr) == SF_ERR_UNRECOGNISED_FORMAT || raw.find("does not exist") != std::string::npos) {
    return "unrecognised format or corrupt header";
  }
  if (raw.find("SF_INFO struct incomplete") != std::string::npos) return "the header gives an absurd sample rate";
  return "libsndfile: " + raw;
}

// An open that either succeeds or says why not, the reason belonging to this call.
struct Opened {
  SNDFILE* file = nullptr;
  std::string reason;  // when file is null
};

template <typename OpenFn>
Opened open_with_reason(OpenFn open) {
  std::lock_guard<std::mutex> lock(open_mutex());
  Opened o;
  o.file = open();
  if (o.file == nullptr) o.reason = open_error_reason_locked();
  return o;
}

// Opens a path for reading after refusing a missing path, a directory, anything but a regular
// file (a FIFO would block, and could not be looked at twice) and an empty file, so that the
// message says what is wrong instead of libsndfile's generic one. Returns the descriptor and
// sets *size.
int open_regular_file(const std::string& path, uint64_t* size) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) throw FileNotFound(file_error(path, "no such file"));
  if (fs::is_directory(status)) throw Error(file_error(path, "is a directory, not an audio file"));
  if (!fs::is_regular_file(status)) throw Error(file_error(path, "is not a regular file (a FIFO or a device), not an audio file"));
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(file_error(path, std::string("cannot open: ") + std::strerror(errno)));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error(file_error(path, "is not a regular file, not an audio file"));
  }
  if (st.st_size == 0) {
    ::close(fd);
    throw Error(file_error(path, "is empty (0 bytes)"));
  }
  *size = static_cast<uint64_t>(st.st_size);
  return fd;
}

}  // namespace

struct AudioReader::Impl {
  AudioInfo info;
  DecodeOptions options;
  MemoryFile memory;
  SF_VIRTUAL_IO vio{mem_length, mem_seek, mem_read, mem_write, mem_tell};
  FdFile fd_file;
  SF_VIRTUAL_IO fd_vio{fd_length, fd_seek, fd_read, mem_write, fd_tell};
  SNDFILE* file = nullptr;
  int fd = -1;  // the file being read (libsndfile reads it but does not own it)
  std::unique_ptr<Resampler> resampler;
  sf_count_t start_frame = 0;
  sf_count_t remaining = -1;  // input frames still to read; -1 = to the end of the file
  sf_count_t frames_read = 0;
  bool input_done = false;
  bool flushed = false;
  std::vector<float> interleaved, mono, pending;
  std::size_t pending_pos = 0;

  ~Impl() {
    if (file) sf_close(file);
    if (fd >= 0) ::close(fd);
  }

  void open(const Opened& opened, SF_INFO& sfi);
  void read_block();
  [[noreturn]] void fail(const std::string& what) const { throw Error(file_error(info.path, what)); }
};

void AudioReader::Impl::open(const Opened& opened, SF_INFO& sfi) {
  if (opened.file == nullptr) fail("not a readable audio file (" + opened.reason + ")");
  file = opened.file;
  if (sfi.samplerate < kMinSampleRate || sfi.samplerate > kMaxSampleRate) {
    fail("absurd sample rate " + std::to_string(sfi.samplerate) + " Hz in the header");
  }
  if (sfi.channels < 1 || sfi.channels > kMaxChannels) {
    fail("absurd channel count " + std::to_string(sfi.channels) + " in the header");
  }
  if (sfi.frames < 0) fail("absurd frame count " + std::to_string(sfi.frames) + " in the header");
  // libsndfile says SF_COUNT_MAX when the length is unknown (a cut Ogg stream, for one).
  const bool length_known = sfi.frames != SF_COUNT_MAX;
  if (header_promises_more_data(file)) {
    fail("truncated: the header promises more audio data than the file holds");
  }
  info.sample_rate = sfi.samplerate;
  info.channels = sfi.channels;
  info.frames = length_known ? sfi.frames : -1;
  info.duration_s = length_known ? static_cast<double>(sfi.frames) / sfi.samplerate : -1.0;
  info.format = format_extension(sfi.format);
  info.encoding = encoding_name(sfi.format);
  info.title = file_tag(file, SF_STR_TITLE);
  info.artist = file_tag(file, SF_STR_ARTIST);
  info.album = file_tag(file, SF_STR_ALBUM);
  info.genre = file_tag(file, SF_STR_GENRE);

  const DecodeOptions& o = options;
  if (!std::isfinite(o.offset_s) || o.offset_s < 0) {
    throw UsageError("offset must be a finite number of seconds >= 0, got " + seconds(o.offset_s));
  }
  if (!std::isfinite(o.duration_s) || o.duration_s < 0) {
    throw UsageError("duration must be a finite number of seconds >= 0 (0 = to the end), got " +
                     seconds(o.duration_s));
  }
  // In double first: a rounding of 1e300 s to a frame count would overflow.
  const double start = std::round(o.offset_s * sfi.samplerate);
  if (start > 0 && length_known && start >= static_cast<double>(sfi.frames)) {
    fail("offset " + seconds(o.offset_s) + " s is past the end of the recording (" + seconds(info.duration_s) + " s)");
  }
  if (start >= 9e18) fail("offset " + seconds(o.offset_s) + " s is past the end of the recording");
  start_frame = static_cast<sf_count_t>(start);
  const double length = std::round(o.duration_s * sfi.samplerate);
  if (o.duration_s > 0 && length < 9e18) remaining = std::max<sf_count_t>(1, static_cast<sf_count_t>(length));
  if (start_frame > 0) {
    if (sfi.seekable) {
      if (sf_seek(file, start_frame, SEEK_SET) < 0) {
        fail("cannot seek to " + seconds(o.offset_s) + " s: " + sf_strerror(file));
      }
    } else {  // read and drop
      std::vector<float> skip(static_cast<size_t>(kBlockFrames) * sfi.channels);
      for (sf_count_t left = start_frame; left > 0;) {
        const sf_count_t n = sf_readf_float(file, skip.data(), std::min(left, kBlockFrames));
        if (n <= 0) fail("offset is past the end of the recording");
        left -= n;
      }
    }
  }
  resampler = std::make_unique<Resampler>(sfi.samplerate, o.sample_rate);
}

void AudioReader::Impl::read_block() {
  sf_count_t want = kBlockFrames;
  if (remaining >= 0) want = std::min(want, remaining);
  const int ch = info.channels;
  interleaved.resize(static_cast<size_t>(want) * ch);
  const sf_count_t got = want > 0 ? sf_readf_float(file, interleaved.data(), want) : 0;
  if (got < 0) fail(std::string("decode error: ") + sf_strerror(file));
  if (got == 0) {
    input_done = true;
    const int err = sf_error(file);
    if (err != SF_ERR_NO_ERROR) {
      fail("decode error after " + std::to_string(double(start_frame + frames_read) / info.sample_rate) +
           " s: " + sf_strerror(file));
    }
    // libsndfile trims a WAV header that promises more data than there is, but a stream that
    // stops early (FLAC, Vorbis, Opus) shows up here. MP3 frame counts are estimates.
    const sf_count_t expected = remaining >= 0 || info.frames < 0 ? -1 : info.frames - start_frame;
    if (expected > 0 && frames_read < expected && info.format != "mp3") {
      fail("truncated: the header promises " + std::to_string(info.frames) +
           " frames, the data ends after " + std::to_string(start_frame + frames_read));
    }
    return;
  }
  mono.resize(static_cast<size_t>(got));
  if (const int64_t i = downmix(interleaved.data(), got, ch, mono.data()); i >= 0) {
    const float v = mono[static_cast<size_t>(i)];
    const std::string at = std::to_string(double(start_frame + frames_read + i) / info.sample_rate) + " s";
    if (!std::isfinite(v)) fail("non-finite sample (NaN or Inf) at " + at);
    char value[32];
    std::snprintf(value, sizeof value, "%g", static_cast<double>(v));
    fail(std::string("sample value ") + value + " at " + at + " is far outside full scale (1): not a valid recording");
  }
  frames_read += got;
  if (remaining >= 0) {
    remaining -= got;
    if (remaining == 0) input_done = true;
  }
  resampler->process(mono.data(), mono.size(), pending);
}

AudioReader::AudioReader(const std::string& path, const DecodeOptions& options)
    : impl_(std::make_unique<Impl>()) {
  impl_->info.path = path;
  impl_->options = options;
  uint64_t size = 0;
  impl_->fd = open_regular_file(path, &size);
  SF_INFO sfi{};
  std::string problem = sniff(FdSource(impl_->fd, size, path), path, &sfi);
  // The data fork of an SD2 file: not an MPEG sync (sniff would have said so), so libmpg123
  // never sees it; libsndfile needs the name to find the resource fork.
  const bool by_name = problem == kUnrecognised && has_resource_fork(path);
  if (by_name) problem.clear();
  if (!problem.empty()) impl_->fail(problem);
  impl_->fd_file = FdFile{impl_->fd, static_cast<sf_count_t>(size), 0};
  Impl& s = *impl_;
  impl_->open(open_with_reason([&] {
                return by_name ? sf_open(path.c_str(), SFM_READ, &sfi) : sf_open_virtual(&s.fd_vio, SFM_READ, &sfi, &s.fd_file);
              }),
              sfi);
}

AudioReader::AudioReader(const void* data, std::size_t size, const std::string& name,
                         const DecodeOptions& options)
    : impl_(std::make_unique<Impl>()) {
  impl_->info.path = name;
  impl_->options = options;
  if (size == 0) impl_->fail("is empty (0 bytes)");
  impl_->memory = MemoryFile{static_cast<const unsigned char*>(data), static_cast<sf_count_t>(size), 0};
  const std::string problem = sniff(BufferSource(impl_->memory.data, size), name, nullptr);
  if (!problem.empty()) impl_->fail(problem);
  SF_INFO sfi{};
  Impl& s = *impl_;
  s.open(open_with_reason([&] { return sf_open_virtual(&s.vio, SFM_READ, &sfi, &s.memory); }), sfi);
}

AudioReader::~AudioReader() = default;
AudioReader::AudioReader(AudioReader&&) noexcept = default;
AudioReader& AudioReader::operator=(AudioReader&&) noexcept = default;

const AudioInfo& AudioReader::info() const { return impl_->info; }

std::size_t AudioReader::read(std::vector<float>& out, std::size_t max_samples) {
  Impl& s = *impl_;
  while (s.pending.size() - s.pending_pos < max_samples && !s.flushed) {
    if (!s.input_done) {
      s.read_block();
    } else {
      s.resampler->flush(s.pending);
      s.flushed = true;
    }
  }
  const std::size_t n = std::min(max_samples, s.pending.size() - s.pending_pos);
  out.insert(out.end(), s.pending.begin() + static_cast<std::ptrdiff_t>(s.pending_pos),
             s.pending.begin() + static_cast<std::ptrdiff_t>(s.pending_pos + n));
  s.pending_pos += n;
  // Drop what has been handed out once it is most of the buffer, so that the buffer stays a
  // few blocks long however long the file is.
  if (s.pending_pos >= s.pending.size() / 2) {
    s.pending.erase(s.pending.begin(), s.pending.begin() + static_cast<std::ptrdiff_t>(s.pending_pos));
    s.pending_pos = 0;
  }
  return n;
}

std::size_t AudioReader::buffered_samples() const { return impl_->pending.size(); }

const std::vector<std::string>& readable_extensions() {
  static const std::vector<std::string> kExtensions = [] {
    std::vector<std::string> out;
    int count = 0;
    sf_command(nullptr, SFC_GET_FORMAT_MAJOR_COUNT, &count, sizeof(count));
    for (int i = 0; i < count; ++i) {
      SF_FORMAT_INFO fi{};
      fi.format = i;
      if (sf_command(nullptr, SFC_GET_FORMAT_MAJOR, &fi, sizeof(fi)) == 0 && fi.extension) out.push_back(fi.extension);
    }
    // Names users meet that libsndfile lists under another one (it lists "oga" for Ogg, "aiff" for AIFF).
    for (const char* alias : {"ogg", "oga", "opus", "aif", "aiff", "wav", "flac"}) out.push_back(alias);
    if (std::find(out.begin(), out.end(), "mp3") == out.end()) {
      SF_FORMAT_INFO fi{};
      fi.format = SF_FORMAT_MPEG;
      if (sf_command(nullptr, SFC_GET_FORMAT_INFO, &fi, sizeof(fi)) == 0) out.push_back("mp3");
    }
    for (auto& e : out) std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return std::tolower(c); });
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }();
  return kExtensions;
}

AudioInfo probe(const std::string& path) {
  AudioReader reader(path);
  AudioInfo info = reader.info();
  if (info.frames < 0) {  // the header does not say: count them, decoding block by block
    AudioReader::Impl& s = *reader.impl_;
    while (!s.input_done) s.read_block();
    info.frames = s.frames_read;
    info.duration_s = static_cast<double>(s.frames_read) / info.sample_rate;
  }
  return info;
}

namespace {
std::vector<float> read_all(AudioReader& reader) {
  std::vector<float> out;
  constexpr std::size_t kChunk = 1 << 16;
  while (reader.read(out, kChunk) > 0) {
  }
  if (out.empty()) throw Error(file_error(reader.info().path, "has no audio samples (zero length)"));
  return out;
}
}  // namespace

std::vector<float> decode(const std::string& path, const DecodeOptions& options) {
  AudioReader reader(path, options);
  return read_all(reader);
}

std::vector<float> decode_memory(const void* data, std::size_t size, const std::string& name,
                                 const DecodeOptions& options) {
  AudioReader reader(data, size, name, options);
  return read_all(reader);
}

}  // namespace mulan::audio
