// Rendering through libfluidsynth, offline: no audio driver, fluid_synth_write_float in steps
// between events (which fall on 64-frame block boundaries), reverb and chorus off, one core.
// Deterministic: every clip gets a fresh synthesiser. (A reused one is not: after
// fluid_synth_system_reset or all-sounds-off, fluidsynth 2.3's recycled voices start their
// next note from leftover state, so a clip would depend on the clips rendered before it.)
// The SoundFont is parsed once per Renderer and lent to each clip's synthesiser, which costs
// about a millisecond.
#include <fluidsynth.h>
#include <sndfile.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>

#include "mulan/error.h"
#include "mulan/synth.h"
#include "synth/memory_io.h"

namespace mulan::synth {

struct Renderer::Impl {
  RenderOptions options;
  fluid_settings_t* settings = nullptr;
  fluid_synth_t* owner = nullptr;  // holds the loaded SoundFont; never renders
  fluid_sfont_t* sfont = nullptr;
  int sample_rate = 16000;

  ~Impl() {
    if (owner) delete_fluid_synth(owner);
    if (settings) delete_fluid_settings(settings);
  }
};

namespace {

// Process-wide set-up, once: silence fluidsynth's log, and build its global tables with a
// throwaway synthesiser here, not in two worker threads at the same moment.
void init_fluidsynth() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (int level : {FLUID_PANIC, FLUID_ERR, FLUID_WARN, FLUID_INFO, FLUID_DBG})
      fluid_set_log_function(level, nullptr, nullptr);
    fluid_settings_t* settings = new_fluid_settings();
    if (settings) {
      if (fluid_synth_t* synth = new_fluid_synth(settings)) delete_fluid_synth(synth);
      delete_fluid_settings(settings);
    }
  });
}

// SoundFont 2 files are RIFF files of form "sfbk". Checked before fluidsynth sees the file:
// its DLS fallback (libinstpatch) prints GLib warnings on anything else.
void check_sf2_header(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char head[12] = {};
  in.read(head, sizeof head);
  if (!in || std::memcmp(head, "RIFF", 4) != 0 || std::memcmp(head + 8, "sfbk", 4) != 0)
    throw Error(file_error(path, "cannot load SoundFont (not an SF2 file)"));
}

void apply(fluid_synth_t* s, const MidiEvent& e) {
  switch (e.kind) {
    case MidiEvent::Program: fluid_synth_program_change(s, e.channel, e.data1); break;
    case MidiEvent::Control: fluid_synth_cc(s, e.channel, e.data1, e.data2); break;
    case MidiEvent::NoteOff: fluid_synth_noteoff(s, e.channel, e.data1); break;
    case MidiEvent::NoteOn: fluid_synth_noteon(s, e.channel, e.data1, e.data2); break;
  }
}

}  // namespace

Renderer::Renderer(const std::string& soundfont, RenderOptions options) : impl_(std::make_unique<Impl>()) {
  init_fluidsynth();
  impl_->options = options;
  impl_->sample_rate = options.sample_rate;
  impl_->settings = new_fluid_settings();
  if (!impl_->settings) throw Error("synth: cannot create fluidsynth settings");
  fluid_settings_t* s = impl_->settings;
  fluid_settings_setnum(s, "synth.sample-rate", options.sample_rate);
  fluid_settings_setnum(s, "synth.gain", options.gain);
  fluid_settings_setint(s, "synth.polyphony", options.polyphony);
  fluid_settings_setint(s, "synth.reverb.active", 0);
  fluid_settings_setint(s, "synth.chorus.active", 0);
  fluid_settings_setint(s, "synth.cpu-cores", 1);
  check_sf2_header(soundfont);
  impl_->owner = new_fluid_synth(s);
  if (!impl_->owner) throw Error("synth: cannot create a fluidsynth synthesiser");
  const int id = fluid_synth_sfload(impl_->owner, soundfont.c_str(), 1);
  if (id == FLUID_FAILED) throw Error(file_error(soundfont, "cannot load SoundFont (not an SF2 file?)"));
  impl_->sfont = fluid_synth_get_sfont_by_id(impl_->owner, id);
  if (!impl_->sfont) throw Error(file_error(soundfont, "SoundFont loaded but not found"));
}

Renderer::~Renderer() = default;

std::vector<float> Renderer::render(const Composition& c) {
  if (c.sample_rate != impl_->sample_rate)
    throw Error("synth: renderer runs at " + std::to_string(impl_->sample_rate) + " Hz, composition at " +
                std::to_string(c.sample_rate));
  // A fresh synthesiser for this clip, borrowing the SoundFont.
  std::unique_ptr<fluid_synth_t, void (*)(fluid_synth_t*)> synth(new_fluid_synth(impl_->settings), delete_fluid_synth);
  if (!synth) throw Error("synth: cannot create a fluidsynth synthesiser");
  fluid_synth_t* s = synth.get();
  if (fluid_synth_add_sfont(s, impl_->sfont) == FLUID_FAILED) throw Error("synth: cannot attach the SoundFont");
  struct Detach {
    fluid_synth_t* s;
    fluid_sfont_t* f;
    ~Detach() { fluid_synth_remove_sfont(s, f); }  // before the synthesiser goes: the owner frees it
  } detach{s, impl_->sfont};
  fluid_synth_set_interp_method(s, -1, FLUID_INTERP_LINEAR);
  const int64_t padded = (c.frames + kBlockFrames - 1) / kBlockFrames * kBlockFrames;
  std::vector<float> left(static_cast<size_t>(padded)), right(static_cast<size_t>(padded));
  int64_t pos = 0;
  const auto write_until = [&](int64_t frame) {
    while (pos < frame) {
      const int n = static_cast<int>(std::min<int64_t>(frame - pos, 1 << 14));
      if (fluid_synth_write_float(s, n, left.data(), static_cast<int>(pos), 1, right.data(), static_cast<int>(pos),
                                  1) != FLUID_OK)
        throw Error("synth: fluidsynth failed to render");
      pos += n;
    }
  };
  for (const MidiEvent& e : c.events) {
    write_until(std::min(e.frame, padded));
    apply(s, e);
  }
  write_until(padded);

  std::vector<float> mono(static_cast<size_t>(c.frames));
  for (size_t i = 0; i < mono.size(); ++i) {
    mono[i] = 0.5f * (left[i] + right[i]);
    if (!std::isfinite(mono[i])) throw Error("synth: fluidsynth produced a non-finite sample");
  }
  const size_t fade = std::min(mono.size() / 2, static_cast<size_t>(impl_->sample_rate / 100));
  for (size_t i = 0; i < fade; ++i) {
    const float g = static_cast<float>(i) / static_cast<float>(fade);
    mono[i] *= g;
    mono[mono.size() - 1 - i] *= g;
  }
  float peak = 0;
  for (float x : mono) peak = std::max(peak, std::fabs(x));
  const auto ceiling = static_cast<float>(impl_->options.ceiling);
  if (peak > ceiling)
    for (float& x : mono) x *= ceiling / peak;
  return mono;
}

std::string find_soundfont(const std::string& requested) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!requested.empty()) {
    if (!fs::is_regular_file(requested, ec)) throw Error(file_error(requested, "SoundFont not found"));
    return requested;
  }
  static const char* candidates[] = {"/usr/share/sounds/sf2/FluidR3_GM.sf2", "/usr/share/sounds/sf2/default-GM.sf2",
                                     "/usr/share/sounds/sf2/TimGM6mb.sf2"};
  for (const char* c : candidates)
    if (fs::is_regular_file(c, ec)) return c;
  throw Error(
      "no SoundFont found (looked for /usr/share/sounds/sf2/{FluidR3_GM,default-GM,TimGM6mb}.sf2); install "
      "fluid-soundfont-gm or name a SoundFont file (the soundfont option)");
}

std::string encode_flac(const std::vector<float>& samples, int sample_rate) {
  std::vector<short> pcm(samples.size());
  for (size_t i = 0; i < samples.size(); ++i)
    pcm[i] = static_cast<short>(std::clamp<long>(std::lround(samples[i] * 32768.0f), -32768, 32767));
  memio::Memory out;  // libsndfile writes the FLAC stream into memory: the file is written atomically
  SF_VIRTUAL_IO io = memio::io();
  SF_INFO info{};
  info.samplerate = sample_rate;
  info.channels = 1;
  info.format = SF_FORMAT_FLAC | SF_FORMAT_PCM_16;
  SNDFILE* f = sf_open_virtual(&io, SFM_WRITE, &info, &out);
  if (!f) throw Error(std::string("synth: cannot start a FLAC stream: ") + sf_strerror(nullptr));
  const auto n = static_cast<sf_count_t>(pcm.size());
  const sf_count_t written = sf_writef_short(f, pcm.data(), n);
  sf_close(f);
  if (written != n) throw Error("synth: FLAC encoding failed");
  return out.data;
}

}  // namespace mulan::synth
