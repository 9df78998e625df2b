// Decoding and resampling: any file libsndfile reads (WAV, FLAC, OGG/Vorbis, Opus, MP3, ...)
// to mono float samples in [-1, 1] at 16 kHz. No LibTorch here: this layer is also built into
// the fuzzers on its own.
//
//   mulan::audio::DecodeOptions opts;
//   opts.offset_s = 30.0;  opts.duration_s = 10.0;     // decode only this part
//   std::vector<float> pcm = mulan::audio::decode("song.mp3", opts);   // 16 kHz mono
//
// For long recordings, AudioReader streams the same samples in bounded chunks.
//
// Safe to call from several threads at once (each call its own reader); each refusal is a
// mulan::Error naming its own file, in one line. Decoding writes nothing to stderr: data is
// looked at before libsndfile gets it, and what no format libsndfile reads starts with is
// refused, so that libmpg123 (libsndfile's MP3 decoder, which prints its complaints on stderr)
// only ever sees MPEG streams whose frame headers chain from the first byte to the last, whose
// last frame is whole and whose Xing/Info header, if any, agrees with the length. Damaged,
// cut and free-format MP3s are therefore refused rather than decoded in part. One case remains
// where libmpg123 may still print: valid frame headers around damaged frame contents (bit
// errors inside a frame), which only decoding finds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mulan::audio {

inline constexpr int kModelSampleRate = 16000;  // every front end works at 16 kHz

// What a file's header says, as libsndfile reads it.
struct AudioInfo {
  std::string path;         // as given
  int sample_rate = 0;      // Hz
  int channels = 0;
  int64_t frames = 0;       // samples per channel; -1 where the header does not say (probe counts them)
  double duration_s = 0.0;  // frames / sample_rate; -1 where frames is
  std::string format;       // container, as a file extension: "wav", "flac", "oga", "mp3", ...
  std::string encoding;     // libsndfile's name of the sample encoding ("Signed 16 bit PCM", ...)
  // The file's own text tags where libsndfile exposes them (WAV/AIFF INFO chunks, FLAC and Ogg
  // Vorbis comments, MP3 ID3); "" when absent. Valid UTF-8, control characters dropped, at most
  // kMaxTagBytes each.
  std::string title, artist, album, genre;
};

inline constexpr std::size_t kMaxTagBytes = 1024;

// File name extensions (lower case, without the dot) of every container this build of
// libsndfile reads, as it lists them, plus the aliases users meet ("opus", "oga", "aif", ...).
const std::vector<std::string>& readable_extensions();

struct DecodeOptions {
  double offset_s = 0.0;    // where to start, in seconds from the start of the file
  double duration_s = 0.0;  // how much to decode, in seconds; 0 decodes to the end
  int sample_rate = kModelSampleRate;  // output rate; resampled with libsoxr (high quality)
};

// Reads a file's header. Throws mulan::Error naming the file when it is missing, not a regular
// file (a FIFO or a device), empty, not audio, or has an absurd header. Where the header does
// not give the length (a cut Ogg stream), the file is decoded to count its frames.
AudioInfo probe(const std::string& path);

// Streams mono, resampled samples of one file (or of a buffer in memory) in chunks, so that
// memory stays bounded whatever the file's length.
class AudioReader {
 public:
  explicit AudioReader(const std::string& path, const DecodeOptions& options = {});
  // A file held in memory; name is used in error messages only.
  AudioReader(const void* data, std::size_t size, const std::string& name,
              const DecodeOptions& options = {});
  ~AudioReader();
  AudioReader(AudioReader&&) noexcept;
  AudioReader& operator=(AudioReader&&) noexcept;

  const AudioInfo& info() const;

  // Appends up to max_samples output samples to out and returns how many it appended; 0 means
  // the end of the requested range. Throws mulan::Error on a decode error, a truncated file or
  // a non-finite sample.
  std::size_t read(std::vector<float>& out, std::size_t max_samples);

  // Samples held inside the reader: decoded but not yet handed out, plus the spent ones not
  // yet dropped. Bounded by a few blocks and the largest max_samples asked for, whatever the
  // file's length.
  std::size_t buffered_samples() const;

 private:
  friend AudioInfo probe(const std::string& path);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Decodes the requested range of a file at once. Throws mulan::Error when the range holds no
// samples at all.
std::vector<float> decode(const std::string& path, const DecodeOptions& options = {});
std::vector<float> decode_memory(const void* data, std::size_t size, const std::string& name,
                                 const DecodeOptions& options = {});

// Sample-rate conversion with libsoxr at its high-quality setting (SOXR_HQ), streaming.
class Resampler {
 public:
  Resampler(double in_rate, double out_rate);
  ~Resampler();
  Resampler(Resampler&&) noexcept;
  Resampler& operator=(Resampler&&) noexcept;

  // Appends the output for n more input samples to out.
  void process(const float* in, std::size_t n, std::vector<float>& out);
  // Appends what the filter still holds once the input has ended.
  void flush(std::vector<float>& out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One-shot conversion of a whole signal.
std::vector<float> resample(const std::vector<float>& in, double in_rate, double out_rate);

}  // namespace mulan::audio
