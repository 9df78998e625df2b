// The crawl's audio makers (crawl_audio.cpp), for make_crawl (crawl.cpp) and the public
// make_nonmusic / make_part_music (synth_crawl.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mulan/synth.h"

namespace mulan::synth::crawl {

// Each returns exactly `frames` mono samples at sample_rate, the same for the same seed.
std::vector<float> speech(int64_t frames, uint64_t seed, int sample_rate);
std::vector<float> noise(int64_t frames, uint64_t seed, int sample_rate);
std::vector<float> tone(int64_t frames, uint64_t seed, int sample_rate);
// A synthetic clip of the factors (compose + render with the renderer, whose rate is sample_rate).
std::vector<float> music(const Factors& f, int64_t frames, uint64_t seed, int sample_rate, Renderer& renderer);
// Speech at full level with the music under it at -20 dB (RMS); both the same length.
std::vector<float> speech_over(const std::vector<float>& speech, const std::vector<float>& music);
// Speech for the first speech_frames of `frames`, music after it.
std::vector<float> part_music(int64_t frames, int64_t speech_frames, const Factors& f, uint64_t seed,
                              int sample_rate, Renderer& renderer);

enum class FileFormat { flac, wav16, wav24, ogg };
const char* extension(FileFormat f);  // "flac", "wav", "ogg"
// The file's bytes: mono samples written with `channels` channels (2: the second a little
// quieter) in the format. Ogg pages get the stream serial number `serial` (libsndfile draws one
// from the clock), so the bytes depend on the arguments only.
std::string encode(const std::vector<float>& mono, int sample_rate, int channels, FileFormat format,
                   uint32_t serial);
// Whether libsndfile opens the bytes as audio (and reads at least one frame).
bool sndfile_opens(const std::string& bytes);

}  // namespace mulan::synth::crawl
