// Writes the fuzzer's seed corpus: short files of every container the decoder reads.
#include <sndfile.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  struct Seed {
    const char* name;
    int format, channels, rate;
  } seeds[] = {
      {"pcm16.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 2, 44100},
      {"float.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 1, 16000},
      {"ulaw.wav", SF_FORMAT_WAV | SF_FORMAT_ULAW, 1, 8000},
      {"a.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 2, 48000},
      {"a.ogg", SF_FORMAT_OGG | SF_FORMAT_VORBIS, 2, 22050},
      {"a.opus", SF_FORMAT_OGG | SF_FORMAT_OPUS, 1, 48000},
      {"a.mp3", SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III, 2, 44100},
      {"a.aiff", SF_FORMAT_AIFF | SF_FORMAT_PCM_24, 1, 32000},
  };
  for (const Seed& s : seeds) {
    const int frames = s.rate / 5;  // 200 ms
    std::vector<float> x(static_cast<size_t>(frames) * s.channels);
    for (int i = 0; i < frames; ++i)
      for (int c = 0; c < s.channels; ++c) x[size_t(i) * s.channels + c] = 0.5f * std::sin(0.05f * i * (c + 1));
    SF_INFO info{};
    info.channels = s.channels;
    info.samplerate = s.rate;
    info.format = s.format;
    const std::string path = dir + "/" + s.name;
    SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
    if (!f) {
      std::fprintf(stderr, "make_seeds: %s: %s\n", path.c_str(), sf_strerror(nullptr));
      return 1;
    }
    sf_writef_float(f, x.data(), frames);
    sf_close(f);
  }
  return 0;
}
