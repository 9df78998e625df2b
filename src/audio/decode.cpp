// Decoding through libsndfile: open (a path or a buffer in memory), validate the header,
// seek to the requested offset, read in blocks, downmix to mono, check every sample is finite,
// resample to the output rate. Memory stays bounded by the block size.
#include <fcntl.h>
#include <sndfile.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <string>
#include <system_error>

#include "mulan/audio.h"
#include "mulan/error.h"

namespace mulan::audio {

// A file held in memory, read through libsndfile's virtual I/O. Outside the anonymous
// namespace: AudioReader::Impl holds one (GCC warns about that in a unity build).
struct MemoryFile {
  const unsigned char* data = nullptr;
  sf_count_t size = 0;
  sf_count_t pos = 0;
};

namespace {

constexpr int kMinSampleRate = 1000;
constexpr int kMaxSampleRate = 1'000'000;
constexpr int kMaxChannels = 1024;
constexpr sf_count_t kBlockFrames = 16384;
// Full scale is 1. Float files written at an integer scale reach about 2.1e9 (32 bit); past
// 1e10 the power spectrum of a frame could overflow float32 and the log-mel become NaN.
constexpr float kMaxSampleMagnitude = 1e10f;

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

// libsndfile's reason for refusing to open, in words that fit a file we know exists.
std::string open_error_reason() {
  const std::string raw = sf_strerror(nullptr);
  if (sf_error(nullptr) == SF_ERR_UNRECOGNISED_FORMAT || raw.find("does not exist") != std::string::npos) {
    return "unrecognised format or corrupt header";
  }
  if (raw.find("SF_INFO struct incomplete") != std::string::npos) return "the header gives an absurd sample rate";
  return "libsndfile: " + raw;
}

// When libsndfile cannot place a file it lets libmpg123 try, which prints "Note: ..." lines on
// stderr. The CLI promises one line per error, so stderr is muted while a file is opened.
// Process-wide, hence the lock; opening takes microseconds.
class MuteStderr {
 public:
  MuteStderr() : lock_(mutex()) {
    std::fflush(stderr);
    saved_ = dup(STDERR_FILENO);
    const int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (saved_ >= 0 && null >= 0) dup2(null, STDERR_FILENO);
    if (null >= 0) close(null);
  }
  ~MuteStderr() {
    if (saved_ >= 0) {
      std::fflush(stderr);
      dup2(saved_, STDERR_FILENO);
      close(saved_);
    }
  }
  MuteStderr(const MuteStderr&) = delete;
  MuteStderr& operator=(const MuteStderr&) = delete;

 private:
  static std::mutex& mutex() {
    static std::mutex m;
    return m;
  }
  std::lock_guard<std::mutex> lock_;
  int saved_ = -1;
};

SNDFILE* open_quietly(const std::string& path, SF_INFO* info) {
  MuteStderr mute;
  return sf_open(path.c_str(), SFM_READ, info);
}

SNDFILE* open_quietly(SF_VIRTUAL_IO* vio, SF_INFO* info, void* user) {
  MuteStderr mute;
  return sf_open_virtual(vio, SFM_READ, info, user);
}

// Rejects a missing path, a directory or an empty file before libsndfile sees it, so that the
// message says what is wrong instead of libsndfile's generic one.
void check_path(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) throw Error(file_error(path, "no such file"));
  if (fs::is_directory(status)) throw Error(file_error(path, "is a directory, not an audio file"));
  if (fs::is_regular_file(status) && fs::file_size(path, ec) == 0 && !ec) {
    throw Error(file_error(path, "is empty (0 bytes)"));
  }
}

}  // namespace

struct AudioReader::Impl {
  AudioInfo info;
  DecodeOptions options;
  MemoryFile memory;
  SF_VIRTUAL_IO vio{mem_length, mem_seek, mem_read, mem_write, mem_tell};
  SNDFILE* file = nullptr;
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
  }

  void open(SNDFILE* f, SF_INFO& sfi);
  void read_block();
  [[noreturn]] void fail(const std::string& what) const { throw Error(file_error(info.path, what)); }
};

void AudioReader::Impl::open(SNDFILE* f, SF_INFO& sfi) {
  if (f == nullptr) fail("not a readable audio file (" + open_error_reason() + ")");
  file = f;
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
  const float scale = 1.0f / static_cast<float>(ch);
  for (sf_count_t i = 0; i < got; ++i) {
    const float* frame = interleaved.data() + i * ch;
    float sum = 0.0f;
    for (int c = 0; c < ch; ++c) sum += frame[c];
    const float v = ch == 1 ? sum : sum * scale;
    if (!std::isfinite(v)) {
      fail("non-finite sample (NaN or Inf) at " +
           std::to_string(double(start_frame + frames_read + i) / info.sample_rate) + " s");
    }
    if (std::fabs(v) > kMaxSampleMagnitude) {
      char value[32];
      std::snprintf(value, sizeof value, "%g", static_cast<double>(v));
      fail(std::string("sample value ") + value + " at " + std::to_string(double(start_frame + frames_read + i) / info.sample_rate) +
           " s is far outside full scale (1): not a valid recording");
    }
    mono[static_cast<size_t>(i)] = v;
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
  check_path(path);
  SF_INFO sfi{};
  impl_->open(open_quietly(path, &sfi), sfi);
}

AudioReader::AudioReader(const void* data, std::size_t size, const std::string& name,
                         const DecodeOptions& options)
    : impl_(std::make_unique<Impl>()) {
  impl_->info.path = name;
  impl_->options = options;
  if (size == 0) impl_->fail("is empty (0 bytes)");
  impl_->memory = MemoryFile{static_cast<const unsigned char*>(data), static_cast<sf_count_t>(size), 0};
  SF_INFO sfi{};
  impl_->open(open_quietly(&impl_->vio, &sfi, &impl_->memory), sfi);
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
