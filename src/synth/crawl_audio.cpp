// Non-music audio for the crawl and the detector's training recipe: espeak-ng speaks, sox makes
// noise and tones. Each program runs without a shell (posix_spawnp), writes a temporary WAV in
// a folder of its own, and that file is read back with libsndfile (then resampled with soxr
// when its rate is not the one asked for). Everything drawn from the seed, sox with -R: the
// same arguments give the same samples.
#include <fcntl.h>
#include <sndfile.h>
#include <soxr.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utf8proc.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "mulan/error.h"
#include "mulan/synth.h"
#include "mulan/synth_crawl.h"
#include "synth/crawl_audio.h"
#include "synth/draw.h"
#include "synth/memory_io.h"

extern char** environ;

namespace mulan::synth {
namespace crawl {
namespace {

namespace fs = std::filesystem;

// A temporary folder, removed with everything in it when it goes out of scope.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "mulan-synth-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw Error("synth: cannot create a temporary folder: " + std::string(strerror(errno)));
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (fs::path(path_) / name).string(); }

 private:
  std::string path_;
};

// Runs argv (argv[0] looked up on PATH) with stdin and stdout on /dev/null and stderr into
// err_path; throws when the program is missing, cannot start or exits with a failure.
void run_program(const std::vector<std::string>& argv, const std::string& err_path) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc == ENOENT)
    throw Error("synth: the program '" + argv[0] +
                "' was not found on PATH (it makes the crawl's non-music audio); scripts/install-deps.sh installs "
                "it");
  if (rc != 0) throw Error("synth: cannot run '" + argv[0] + "': " + std::string(strerror(rc)));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw Error("synth: waiting for '" + argv[0] + "' failed: " + std::string(strerror(errno)));
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
  std::ifstream err(err_path);
  std::string line, first;
  while (std::getline(err, line))
    if (!line.empty()) {
      first = line;
      break;
    }
  const std::string how = WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                            : "signal " + std::to_string(WTERMSIG(status));
  throw Error("synth: '" + argv[0] + "' failed (" + how + ")" + (first.empty() ? "" : ": " + first));
}

// The file as mono float samples at sample_rate.
std::vector<float> read_mono(const std::string& path, int sample_rate) {
  SF_INFO info{};
  SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
  if (!f) throw Error(file_error(path, std::string("cannot read the program's output: ") + sf_strerror(nullptr)));
  std::vector<float> inter(static_cast<size_t>(info.frames * info.channels));
  const sf_count_t got = sf_readf_float(f, inter.data(), info.frames);
  sf_close(f);
  std::vector<float> mono(static_cast<size_t>(std::max<sf_count_t>(got, 0)));
  for (size_t i = 0; i < mono.size(); ++i) {
    float s = 0;
    for (int c = 0; c < info.channels; ++c) s += inter[i * static_cast<size_t>(info.channels) + static_cast<size_t>(c)];
    mono[i] = s / static_cast<float>(info.channels);
  }
  if (info.samplerate == sample_rate || mono.empty()) return mono;
  const double ratio = static_cast<double>(sample_rate) / info.samplerate;
  std::vector<float> out(static_cast<size_t>(std::ceil(static_cast<double>(mono.size()) * ratio)) + 16);
  size_t done = 0;
  const soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
  const soxr_error_t e = soxr_oneshot(info.samplerate, sample_rate, 1, mono.data(), mono.size(), nullptr, out.data(),
                                      out.size(), &done, nullptr, &q, nullptr);
  if (e) throw Error(file_error(path, std::string("cannot resample: ") + e));
  out.resize(done);
  return out;
}

// Exactly `frames` samples: cut or padded with silence, the last 10 ms faded out when cut.
void fit(std::vector<float>& x, int64_t frames, int sample_rate) {
  const bool cut = static_cast<int64_t>(x.size()) > frames;
  x.resize(static_cast<size_t>(frames), 0.0f);
  if (cut) {
    const int64_t fade = std::min<int64_t>(frames, sample_rate / 100);
    for (int64_t i = 0; i < fade; ++i)
      x[static_cast<size_t>(frames - 1 - i)] *= static_cast<float>(i) / static_cast<float>(fade);
  }
}

void scale_to_peak(std::vector<float>& x, float target) {
  float peak = 0;
  for (float v : x) peak = std::max(peak, std::fabs(v));
  if (peak > 0)
    for (float& v : x) v *= target / peak;
}

double rms(const std::vector<float>& x) {
  double s = 0;
  for (float v : x) s += static_cast<double>(v) * v;
  return x.empty() ? 0 : std::sqrt(s / static_cast<double>(x.size()));
}

std::string fmt(double v, int decimals) {
  std::ostringstream o;
  o.setf(std::ios::fixed);
  o.precision(decimals);
  o << v;
  return o.str();
}

struct Language {
  std::vector<std::string> voices;  // espeak-ng voice names
  std::vector<std::string> sentences;
};

const std::vector<Language>& languages() {
  static const std::vector<Language> table = {
      {{"en-us", "en-gb", "en-gb-scotland", "en-029"},
       {"Welcome back to the channel, today we are talking about city gardens.",
        "I tried three different coffee makers this week and one of them surprised me.",
        "The train was late again, so I started recording on the platform.",
        "Let me know in the comments what you would like to see next.",
        "This episode is sponsored by nobody, which is honestly a relief.",
        "We drove for six hours and the weather changed four times.",
        "First, unplug everything and wait about thirty seconds.",
        "My grandmother always said that patience is the best tool in the kitchen.",
        "The results of the survey were not what anyone expected.",
        "So that is the plan for the weekend, wish us luck."}},
      {{"de"},
       {"Hallo zusammen und willkommen zurück auf meinem Kanal.",
        "Heute zeige ich euch, wie man ein altes Fahrrad repariert.",
        "Das Wetter war leider den ganzen Tag ziemlich schlecht.",
        "Wir haben lange über die neue Wohnung gesprochen.",
        "Schreibt mir gerne in die Kommentare, was ihr davon haltet.",
        "Der Zug hatte wieder einmal eine Stunde Verspätung.",
        "Zuerst schneiden wir die Zwiebeln in kleine Würfel.",
        "Vielen Dank fürs Zuschauen und bis zum nächsten Mal."}},
      {{"fr-fr", "fr-be"},
       {"Bonjour à tous et bienvenue dans cette nouvelle vidéo.",
        "Aujourd'hui nous allons parler de jardinage en ville.",
        "Il a plu toute la journée, alors nous sommes restés à la maison.",
        "N'oubliez pas de laisser un commentaire si vous avez des questions.",
        "Le marché du samedi est toujours plein de monde.",
        "Nous avons visité trois musées en une seule journée.",
        "Commencez par couper les légumes en petits morceaux.",
        "Merci beaucoup de nous avoir suivis jusqu'ici."}},
      {{"es", "es-419"},
       {"Hola a todos y bienvenidos de nuevo al canal.",
        "Hoy vamos a hablar de cómo ahorrar dinero en el supermercado.",
        "El viaje en autobús duró casi nueve horas.",
        "Dejad vuestras preguntas en los comentarios, por favor.",
        "Mi abuela siempre cocinaba los domingos para toda la familia.",
        "Primero hay que limpiar bien la mesa de trabajo.",
        "La semana que viene os cuento cómo terminó la historia.",
        "Muchas gracias por ver el vídeo hasta el final."}},
      {{"it"},
       {"Ciao a tutti e bentornati sul canale.",
        "Oggi parliamo di come organizzare un viaggio con pochi soldi.",
        "Il treno era in ritardo, come sempre.",
        "Scrivetemi nei commenti cosa ne pensate.",
        "Per prima cosa tagliamo le verdure a pezzetti.",
        "Abbiamo camminato per tutta la mattina sulla spiaggia.",
        "Mia nonna diceva sempre che la pazienza è tutto.",
        "Grazie per aver guardato e alla prossima."}},
      {{"pt", "pt-br"},
       {"Olá a todos e bem-vindos de volta ao canal.",
        "Hoje vamos falar sobre como cuidar de plantas em casa.",
        "A viagem de carro demorou muito mais do que esperávamos.",
        "Deixem as vossas perguntas nos comentários.",
        "Primeiro cortamos a cebola em pedaços pequenos.",
        "O mercado de sábado estava cheio de gente.",
        "A minha avó cozinhava sempre ao domingo.",
        "Muito obrigado por assistirem até ao fim."}},
  };
  return table;
}

const std::vector<std::string> kVariants = {"", "m1", "m2", "m3", "m4", "m5", "m7", "f1", "f2", "f3", "f4"};

struct Voice {
  std::string name;  // "de+f3"
  int speed = 160;   // words per minute
  int pitch = 50;    // 0..99
};

Voice draw_voice(const Language& lang, Rng& rng) {
  Voice v;
  const std::string& variant = pick(rng, kVariants);
  v.name = pick(rng, lang.voices) + (variant.empty() ? "" : "+" + variant);
  v.speed = static_cast<int>(rng.uniform_int(125, 195));
  v.pitch = static_cast<int>(rng.uniform_int(25, 75));
  return v;
}

}  // namespace

std::vector<float> speech(int64_t frames, uint64_t seed, int sample_rate) {
  Rng rng(seed);
  const Language& lang = pick(rng, languages());
  std::vector<Voice> voices = {draw_voice(lang, rng)};
  if (chance(rng, 0.4)) voices.push_back(draw_voice(lang, rng));
  TempDir tmp;
  std::vector<float> out(static_cast<size_t>(rng.uniform_int(0, sample_rate / 4)), 0.0f);
  size_t turn = 0;
  while (static_cast<int64_t>(out.size()) < frames) {
    const Voice& v = voices[turn++ % voices.size()];
    std::string text = pick(rng, lang.sentences);
    if (chance(rng, 0.5)) text += " " + pick(rng, lang.sentences);
    const std::string wav = tmp.file("speech.wav");
    run_program({"espeak-ng", "-v", v.name, "-s", std::to_string(v.speed), "-p", std::to_string(v.pitch), "-w", wav,
                 "--", text},
                tmp.file("stderr.txt"));
    const std::vector<float> said = read_mono(wav, sample_rate);
    out.insert(out.end(), said.begin(), said.end());
    out.resize(out.size() + static_cast<size_t>(rng.uniform_int(sample_rate * 15 / 100, sample_rate * 6 / 10)), 0.0f);
  }
  scale_to_peak(out, static_cast<float>(0.5 + 0.4 * rng.uniform()));
  fit(out, frames, sample_rate);
  return out;
}

std::vector<float> noise(int64_t frames, uint64_t seed, int sample_rate) {
  Rng rng(seed);
  static const std::vector<std::string> colours = {"whitenoise", "pinknoise", "brownnoise"};
  const std::string& colour = pick(rng, colours);
  // sox -R repeats the same noise: start at a seed-drawn offset so recordings differ.
  const int64_t offset = rng.uniform_int(0, static_cast<int64_t>(sample_rate) * 5);
  TempDir tmp;
  const std::string wav = tmp.file("noise.wav");
  std::vector<std::string> argv = {"sox",    "-R",  "-n", "-r", std::to_string(sample_rate), "-c", "1", "-e",
                                   "floating-point", "-b", "32", wav, "synth", std::to_string(frames + offset) + "s",
                                   colour, "trim", std::to_string(offset) + "s"};
  switch (rng.uniform_int(0, 3)) {
    case 0: argv.insert(argv.end(), {"highpass", std::to_string(rng.uniform_int(200, 2000))}); break;
    case 1: argv.insert(argv.end(), {"lowpass", std::to_string(rng.uniform_int(800, 6000))}); break;
    default: break;
  }
  argv.insert(argv.end(), {"norm", fmt(-3 - 12 * rng.uniform(), 1)});
  run_program(argv, tmp.file("stderr.txt"));
  std::vector<float> out = read_mono(wav, sample_rate);
  fit(out, frames, sample_rate);
  return out;
}

std::vector<float> tone(int64_t frames, uint64_t seed, int sample_rate) {
  Rng rng(seed);
  const std::string shape = chance(rng, 0.6) ? "sine" : "square";
  const int nyquist_safe = std::max(200, sample_rate / 2 - 1000);
  const int f1 = static_cast<int>(rng.uniform_int(100, std::min(3000, nyquist_safe)));
  std::string freq = std::to_string(f1);
  switch (rng.uniform_int(0, 2)) {
    case 0: freq += "-" + std::to_string(rng.uniform_int(100, std::min(8000, nyquist_safe))); break;  // linear sweep
    case 1: freq += ":" + std::to_string(rng.uniform_int(100, std::min(8000, nyquist_safe))); break;  // exponential
    default: break;                                                                                      // steady
  }
  TempDir tmp;
  const std::string wav = tmp.file("tone.wav");
  std::vector<std::string> argv = {"sox", "-R", "-n", "-r", std::to_string(sample_rate), "-c", "1", "-e",
                                   "floating-point", "-b", "32", wav, "synth", std::to_string(frames) + "s",
                                   shape, freq};
  if (chance(rng, 0.3)) argv.insert(argv.end(), {"tremolo", fmt(1 + 7 * rng.uniform(), 2), "60"});
  argv.insert(argv.end(), {"norm", fmt(-3 - 12 * rng.uniform(), 1)});
  run_program(argv, tmp.file("stderr.txt"));
  std::vector<float> out = read_mono(wav, sample_rate);
  fit(out, frames, sample_rate);
  return out;
}

std::vector<float> music(const Factors& f, int64_t frames, uint64_t seed, int sample_rate, Renderer& renderer) {
  const double seconds = static_cast<double>(frames) / sample_rate;
  std::vector<float> out = renderer.render(compose(f, seconds, seed, sample_rate));
  fit(out, frames, sample_rate);
  return out;
}

std::vector<float> speech_over(const std::vector<float>& speech, const std::vector<float>& music) {
  const double s = rms(speech), m = rms(music);
  const double gain = m > 0 ? s / m * std::pow(10.0, -20.0 / 20.0) : 0.0;
  std::vector<float> out(speech.size());
  float peak = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = speech[i] + static_cast<float>(gain) * (i < music.size() ? music[i] : 0.0f);
    peak = std::max(peak, std::fabs(out[i]));
  }
  if (peak > 0.98f) scale_to_peak(out, 0.98f);
  return out;
}

std::vector<float> part_music(int64_t frames, int64_t speech_frames, const Factors& f, uint64_t seed,
                              int sample_rate, Renderer& renderer) {
  std::vector<float> out = speech(speech_frames, derive_seed(seed, 0, 0), sample_rate);
  const std::vector<float> m = music(f, frames - speech_frames, derive_seed(seed, 0, 1), sample_rate, renderer);
  out.insert(out.end(), m.begin(), m.end());
  return out;
}

const char* extension(FileFormat f) {
  switch (f) {
    case FileFormat::flac: return "flac";
    case FileFormat::ogg: return "ogg";
    default: return "wav";
  }
}

namespace {

// CRC-32 of Ogg pages: polynomial 0x04c11db7, not reflected, initial value 0, no final xor.
uint32_t ogg_crc(const unsigned char* data, size_t n) {
  static const auto table = [] {
    std::vector<uint32_t> t(256);
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t r = i << 24;
      for (int k = 0; k < 8; ++k) r = (r & 0x80000000u) ? (r << 1) ^ 0x04c11db7u : r << 1;
      t[i] = r;
    }
    return t;
  }();
  uint32_t crc = 0;
  for (size_t i = 0; i < n; ++i) crc = (crc << 8) ^ table[((crc >> 24) ^ data[i]) & 0xff];
  return crc;
}

// Sets every page's stream serial number and recomputes its checksum.
void set_ogg_serial(std::string& bytes, uint32_t serial) {
  size_t pos = 0;
  auto* b = reinterpret_cast<unsigned char*>(bytes.data());
  while (pos + 27 <= bytes.size()) {
    if (std::memcmp(b + pos, "OggS", 4) != 0) throw Error("synth: the Ogg encoder wrote an unexpected page");
    const size_t segments = b[pos + 26];
    if (pos + 27 + segments > bytes.size()) throw Error("synth: the Ogg encoder wrote a truncated page");
    size_t body = 0;
    for (size_t i = 0; i < segments; ++i) body += b[pos + 27 + i];
    const size_t len = 27 + segments + body;
    if (pos + len > bytes.size()) throw Error("synth: the Ogg encoder wrote a truncated page");
    for (int i = 0; i < 4; ++i) b[pos + 14 + static_cast<size_t>(i)] = static_cast<unsigned char>(serial >> (8 * i));
    std::memset(b + pos + 22, 0, 4);
    const uint32_t crc = ogg_crc(b + pos, len);
    for (int i = 0; i < 4; ++i) b[pos + 22 + static_cast<size_t>(i)] = static_cast<unsigned char>(crc >> (8 * i));
    pos += len;
  }
}

}  // namespace

std::string encode(const std::vector<float>& mono, int sample_rate, int channels, FileFormat format,
                   uint32_t serial) {
  std::vector<float> inter(mono.size() * static_cast<size_t>(channels));
  for (size_t i = 0; i < mono.size(); ++i) {
    const float x = std::clamp(mono[i], -1.0f, 1.0f);
    inter[i * static_cast<size_t>(channels)] = x;
    if (channels == 2) inter[i * 2 + 1] = 0.9f * x;
  }
  memio::Memory out;
  SF_VIRTUAL_IO io = memio::io();
  SF_INFO info{};
  info.samplerate = sample_rate;
  info.channels = channels;
  switch (format) {
    case FileFormat::flac: info.format = SF_FORMAT_FLAC | SF_FORMAT_PCM_16; break;
    case FileFormat::wav16: info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16; break;
    case FileFormat::wav24: info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_24; break;
    case FileFormat::ogg: info.format = SF_FORMAT_OGG | SF_FORMAT_VORBIS; break;
  }
  SNDFILE* f = sf_open_virtual(&io, SFM_WRITE, &info, &out);
  if (!f) throw Error(std::string("synth: cannot start a ") + extension(format) + " stream: " + sf_strerror(nullptr));
  sf_command(f, SFC_SET_ADD_PEAK_CHUNK, nullptr, SF_FALSE);
  if (format == FileFormat::ogg) {
    double quality = 0.5;
    sf_command(f, SFC_SET_VBR_ENCODING_QUALITY, &quality, sizeof quality);
  }
  const auto n = static_cast<sf_count_t>(mono.size());
  const sf_count_t written = sf_writef_float(f, inter.data(), n);
  sf_close(f);
  if (written != n) throw Error(std::string("synth: ") + extension(format) + " encoding failed");
  if (format == FileFormat::ogg) set_ogg_serial(out.data, serial);
  return out.data;
}

bool sndfile_opens(const std::string& bytes) {
  memio::Memory in;
  in.data = bytes;
  SF_VIRTUAL_IO io = memio::io();
  SF_INFO info{};
  SNDFILE* f = sf_open_virtual(&io, SFM_READ, &info, &in);
  if (!f) return false;
  float buf[64];
  const sf_count_t got = sf_read_float(f, buf, 64);
  sf_close(f);
  return got > 0;
}

}  // namespace crawl

const char* to_string(NonMusic kind) {
  switch (kind) {
    case NonMusic::speech: return "speech";
    case NonMusic::noise: return "noise";
    case NonMusic::tone: return "tone";
    case NonMusic::speech_over_music: return "speech_over_music";
  }
  return "?";
}

namespace {

int64_t frames_of(double seconds, int sample_rate, const char* what) {
  if (sample_rate < 8000 || sample_rate > 96000)
    throw UsageError(std::string(what) + ": sample rate must be 8000 to 96000 Hz, got " + std::to_string(sample_rate));
  if (!(seconds > 0 && seconds <= 3600))
    throw UsageError(std::string(what) + ": seconds must be in (0, 3600], got " + std::to_string(seconds));
  return std::max<int64_t>(1, std::llround(seconds * sample_rate));
}

}  // namespace

std::vector<float> make_nonmusic(NonMusic kind, double seconds, uint64_t seed, int sample_rate,
                                 const std::string& soundfont) {
  const int64_t frames = frames_of(seconds, sample_rate, "make_nonmusic");
  switch (kind) {
    case NonMusic::speech: return crawl::speech(frames, seed, sample_rate);
    case NonMusic::noise: return crawl::noise(frames, seed, sample_rate);
    case NonMusic::tone: return crawl::tone(frames, seed, sample_rate);
    case NonMusic::speech_over_music: {
      const std::vector<float> s = crawl::speech(frames, derive_seed(seed, 0, 0), sample_rate);
      Rng fr(derive_seed(seed, 0, 1));
      const Factors f = sample_factors(fr, false);
      RenderOptions ro;
      ro.sample_rate = sample_rate;
      Renderer renderer(find_soundfont(soundfont), ro);
      return crawl::speech_over(s, crawl::music(f, frames, derive_seed(seed, 0, 2), sample_rate, renderer));
    }
  }
  throw UsageError("make_nonmusic: unknown kind");
}

std::vector<float> make_part_music(double seconds, double music_fraction, uint64_t seed, int sample_rate,
                                   const std::string& soundfont) {
  const int64_t frames = frames_of(seconds, sample_rate, "make_part_music");
  if (!(music_fraction >= 0 && music_fraction <= 1))
    throw UsageError("make_part_music: music_fraction must be in [0, 1], got " + std::to_string(music_fraction));
  const auto speech_frames = static_cast<int64_t>(std::llround(static_cast<double>(frames) * (1 - music_fraction)));
  if (speech_frames == frames) return crawl::speech(frames, seed, sample_rate);
  Rng fr(derive_seed(seed, 0, 3));
  const Factors f = sample_factors(fr, false);
  RenderOptions ro;
  ro.sample_rate = sample_rate;
  Renderer renderer(find_soundfont(soundfont), ro);
  if (speech_frames == 0) return crawl::music(f, frames, seed, sample_rate, renderer);
  return crawl::part_music(frames, speech_frames, f, seed, sample_rate, renderer);
}

int count_tokens(std::string_view text) {
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  const auto n = static_cast<utf8proc_ssize_t>(text.size());
  int tokens = 0;
  bool counted = false;
  for (utf8proc_ssize_t i = 0; i < n;) {
    utf8proc_int32_t c = -1;
    utf8proc_ssize_t len = utf8proc_iterate(p + i, n - i, &c);
    if (len <= 0) len = 1, c = -1;  // an invalid byte: neither a space nor a letter
    i += len;
    const bool space = c == ' ' || (c >= 0x09 && c <= 0x0d) || c == 0x85 || c == 0xa0 || c == 0x1680 ||
                       (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f ||
                       c == 0x3000;
    if (space) {
      counted = false;
      continue;
    }
    if (counted || c < 0) continue;
    const utf8proc_category_t cat = utf8proc_category(c);
    const bool letter_or_digit = (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) ||
                                 (cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO);
    if (letter_or_digit) ++tokens, counted = true;
  }
  return tokens;
}

}  // namespace mulan::synth
