// config.json's audio.frontend_params: written with every front-end number by save_config
// (init, import, Model::save), read back strictly (every field by name), old directories without
// it given the compiled-in values of their named front end, n_mels checked against the tower,
// and the front end built from the stored numbers (checked against float64 arithmetic).
#include <gtest/gtest.h>
#include <sndfile.h>
#include <torch/torch.h>

#include <cfloat>
#include <cmath>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>

#include "audio/mel_filters.h"
#include "mulan/audio_embed.h"
#include "mulan/config.h"
#include "mulan/error.h"
#include "mulan/frontend.h"
#include "mulan/model.h"
#include "mulan/windows.h"
#include "support/test_support.h"

namespace mulan {
namespace {

using audio::FrontendConfig;
using nlohmann::json;

const std::vector<std::string> kParamNames = {"sample_rate", "n_fft",      "win_length", "hop_length", "window",
                                              "n_mels",      "mel_filters", "f_min",      "f_max",      "log_offset",
                                              "log_floor",   "preemphasis", "remove_dc", "norm_mean",  "norm_std"};

MulanConfig audio_only(const AudioConfig& a) {
  MulanConfig c;
  c.audio = a;
  return c;
}

json saved_json(const MulanConfig& c) {
  test::TempDir dir;
  save_config(dir.file("config.json"), c);
  return json::parse(test::slurp(dir.file("config.json")));
}

using test::error_of;

std::string parse_error(const json& j) { return error_of([&] { parse_config(j.dump(), "'cfg.json'"); }); }

void expect_same(const FrontendConfig& a, const FrontendConfig& b) {
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.sample_rate, b.sample_rate);
  EXPECT_EQ(a.n_fft, b.n_fft);
  EXPECT_EQ(a.win_length, b.win_length);
  EXPECT_EQ(a.hop_length, b.hop_length);
  EXPECT_EQ(a.window, b.window);
  EXPECT_EQ(a.n_mels, b.n_mels);
  EXPECT_EQ(a.mel_filters, b.mel_filters);
  EXPECT_EQ(a.f_min, b.f_min);  // exact: doubles round-trip through JSON
  EXPECT_EQ(a.f_max, b.f_max);
  EXPECT_EQ(a.log_offset, b.log_offset);
  EXPECT_EQ(a.log_floor, b.log_floor);
  EXPECT_EQ(a.preemphasis, b.preemphasis);
  EXPECT_EQ(a.remove_dc, b.remove_dc);
  EXPECT_EQ(a.norm_mean, b.norm_mean);
  EXPECT_EQ(a.norm_std, b.norm_std);
}

TEST(ConfigFormat, WritesEveryFrontendNumberWithTodaysValues) {
  // The literals are the values compiled in before config.json stored them.
  const json r = saved_json(audio_only(AudioConfig::tiny()))["audio"];
  EXPECT_EQ(r["frontend"], "resnet");
  const json rp = r.at("frontend_params");
  ASSERT_EQ(rp.size(), kParamNames.size()) << rp.dump();
  for (const auto& k : kParamNames) EXPECT_TRUE(rp.contains(k)) << k;
  EXPECT_EQ(rp["sample_rate"], 16000);
  EXPECT_EQ(rp["n_fft"], 512);
  EXPECT_EQ(rp["win_length"], 400);
  EXPECT_EQ(rp["hop_length"], 160);
  EXPECT_EQ(rp["window"], "hann_periodic");
  EXPECT_EQ(rp["n_mels"], 64);
  EXPECT_EQ(rp["mel_filters"], "htk");
  EXPECT_EQ(rp["f_min"].get<double>(), 125.0);
  EXPECT_EQ(rp["f_max"].get<double>(), 7500.0);
  EXPECT_EQ(rp["log_offset"].get<double>(), 1e-6);
  EXPECT_EQ(rp["log_floor"].get<double>(), 0.0);
  EXPECT_EQ(rp["preemphasis"].get<double>(), 0.0);
  EXPECT_EQ(rp["remove_dc"], false);
  EXPECT_EQ(rp["norm_mean"].get<double>(), 0.0);
  EXPECT_EQ(rp["norm_std"].get<double>(), 0.5);
  EXPECT_TRUE(rp["n_fft"].is_number_integer());
  EXPECT_TRUE(rp["f_min"].is_number_float());

  const json a = saved_json(audio_only(AudioConfig::tiny_ast()))["audio"];
  EXPECT_EQ(a["frontend"], "ast");
  const json ap = a.at("frontend_params");
  ASSERT_EQ(ap.size(), kParamNames.size()) << ap.dump();
  EXPECT_EQ(ap["sample_rate"], 16000);
  EXPECT_EQ(ap["n_fft"], 512);
  EXPECT_EQ(ap["win_length"], 400);
  EXPECT_EQ(ap["hop_length"], 160);
  EXPECT_EQ(ap["window"], "hann_symmetric");
  EXPECT_EQ(ap["n_mels"], 128);
  EXPECT_EQ(ap["mel_filters"], "kaldi");
  EXPECT_EQ(ap["f_min"].get<double>(), 20.0);
  EXPECT_EQ(ap["f_max"].get<double>(), 8000.0);
  EXPECT_EQ(ap["log_offset"].get<double>(), 0.0);
  EXPECT_EQ(ap["log_floor"].get<double>(), double(FLT_EPSILON));
  EXPECT_EQ(ap["preemphasis"].get<double>(), 0.97);
  EXPECT_EQ(ap["remove_dc"], true);
  EXPECT_EQ(ap["norm_mean"].get<double>(), -4.2677393);
  EXPECT_EQ(ap["norm_std"].get<double>(), 4.5689974);
}

TEST(ConfigFormat, ReadsBackWhatItWrote) {
  for (const AudioConfig& a : {AudioConfig::tiny(), AudioConfig::base_ast()}) {
    const MulanConfig back = parse_config(saved_json(audio_only(a)).dump(), "'cfg.json'");
    ASSERT_TRUE(back.audio->frontend_params.has_value());
    expect_same(back.audio->frontend_config(), FrontendConfig::named(a.frontend));
  }
  AudioConfig custom = AudioConfig::base_ast();
  FrontendConfig f = FrontendConfig::ast();
  f.norm_mean = -1.0 / 3.0;  // not a short decimal: the JSON text must round-trip the double exactly
  f.norm_std = std::sqrt(2.0);
  f.hop_length = 320;
  custom.frontend_params = f;
  expect_same(parse_config(saved_json(audio_only(custom)).dump(), "'cfg.json'").audio->frontend_config(), f);
}

TEST(ConfigFormat, DirectoriesWithoutFrontendParamsGetTheNamedDefaults) {
  for (const AudioConfig& a : {AudioConfig::tiny(), AudioConfig::tiny_ast()}) {
    json j = saved_json(audio_only(a));
    j["audio"].erase("frontend_params");  // as every config.json written before they were stored
    const MulanConfig old = parse_config(j.dump(), "'cfg.json'");
    EXPECT_FALSE(old.audio->frontend_params.has_value());
    expect_same(old.audio->frontend_config(), a.frontend == "ast" ? FrontendConfig::ast() : FrontendConfig::resnet());
    // Saved again, it names the numbers it was read with.
    const json again = saved_json(old);
    EXPECT_EQ(again["audio"]["frontend_params"], saved_json(audio_only(a))["audio"]["frontend_params"]);
  }

  // A whole old model directory loads.
  test::TempDir dir;
  const std::string d = dir.file("m");
  Model::init(audio_only(AudioConfig::tiny()), 1).save(d, "");
  json j = json::parse(test::slurp(d + "/config.json"));
  j["audio"].erase("frontend_params");
  test::write_text(d + "/config.json", j.dump(2));
  expect_same(Model::load(d).config().audio->frontend_config(), FrontendConfig::resnet());
}

// audio.resnet_stem_fstride: written for every ResNet, read back, used by the forward pass;
// directories written before it existed load with torchvision's stem (4).
TEST(ConfigFormat, ResNetStemFstrideIsStoredAndOldDirectoriesGetTorchvisions) {
  EXPECT_EQ(saved_json(audio_only(AudioConfig::base_resnet()))["audio"]["resnet_stem_fstride"], 4);
  EXPECT_FALSE(saved_json(audio_only(AudioConfig::tiny_ast()))["audio"].contains("resnet_stem_fstride"));
  test::TempDir dir;
  torch::manual_seed(5);
  const at::Tensor windows = torch::randn({2, 64, 120});
  for (int fstride : {1, 2}) {
    SCOPED_TRACE("resnet_stem_fstride " + std::to_string(fstride));
    AudioConfig a = AudioConfig::tiny();
    a.resnet_stem_fstride = fstride;
    const std::string d = dir.file("m" + std::to_string(fstride));
    const Model m = Model::init(audio_only(a), 3);
    m.save(d, "");
    EXPECT_EQ(json::parse(test::slurp(d + "/config.json"))["audio"]["resnet_stem_fstride"], fstride);
    const Model back = Model::load(d);
    EXPECT_EQ(back.config().audio->resnet_stem_fstride, fstride);
    const at::Tensor want = m.pooled_audio(windows);
    EXPECT_TRUE(torch::equal(back.pooled_audio(windows), want));
    // The same weights read as an old directory (no field): torchvision's stem, another output.
    json j = json::parse(test::slurp(d + "/config.json"));
    j["audio"].erase("resnet_stem_fstride");
    test::write_text(d + "/config.json", j.dump(2));
    const Model old = Model::load(d);
    EXPECT_EQ(old.config().audio->resnet_stem_fstride, 4);
    EXPECT_GT((old.pooled_audio(windows) - want).abs().max().item<double>(), 1e-4);
  }
  json j = saved_json(audio_only(AudioConfig::tiny()));
  for (const json& v : {json(3), json(0), json(8), json("1"), json(1.5)}) {
    SCOPED_TRACE(v.dump());
    j["audio"]["resnet_stem_fstride"] = v;
    EXPECT_NE(parse_error(j).find("'audio.resnet_stem_fstride'"), std::string::npos) << parse_error(j);
  }
  AudioConfig a = AudioConfig::base_resnet();
  a.resnet_stem_fstride = 3;
  EXPECT_NE(error_of([&] { Model::init(audio_only(a), 1); }).find("'audio.resnet_stem_fstride'"), std::string::npos);
}

TEST(ConfigFormatRefuses, EachMissingMistypedOrUnknownFieldByName) {
  const json good = saved_json(audio_only(AudioConfig::tiny_ast()));
  ASSERT_EQ(parse_error(good), "(no error)");
  for (const auto& k : kParamNames) {
    SCOPED_TRACE(k);
    json j = good;
    j["audio"]["frontend_params"].erase(k);
    EXPECT_NE(parse_error(j).find("missing field 'audio.frontend_params." + k + "'"), std::string::npos) << parse_error(j);
    j = good;
    const json& v = good["audio"]["frontend_params"][k];
    // A value of another JSON type: a string for numbers and flags, a number for names; 1.5 for an int.
    j["audio"]["frontend_params"][k] = v.is_string() ? json(1) : v.is_number_integer() ? json(1.5) : json("1");
    const std::string e = parse_error(j);
    EXPECT_NE(e.find("'audio.frontend_params." + k + "'"), std::string::npos) << e;
    EXPECT_TRUE(e.find("wrong type") != std::string::npos || e.find("must be") != std::string::npos) << e;
  }
  json j = good;
  j["audio"]["frontend_params"]["dither"] = 0.0;
  EXPECT_NE(parse_error(j).find("unknown field 'audio.frontend_params.dither'"), std::string::npos) << parse_error(j);
  j = good;
  j["audio"]["frontend_params"] = json::array();
  EXPECT_NE(parse_error(j).find("audio.frontend_params"), std::string::npos) << parse_error(j);
}

TEST(ConfigFormatRefuses, OutOfRangeValuesByName) {
  struct Case {
    const char* frontend;
    const char* field;
    json value;
  };
  const std::vector<Case> cases = {
      {"ast", "sample_rate", 0},        {"ast", "n_fft", 0},          {"ast", "win_length", 513},
      {"ast", "win_length", 0},         {"ast", "hop_length", 0},     {"ast", "n_mels", 0},
      {"ast", "f_min", -1.0},           {"ast", "f_min", 8000.0},     {"ast", "f_max", 8000.5},
      {"ast", "f_max", 10.0},           {"ast", "log_floor", -1.0},   {"ast", "preemphasis", 1.0},
      {"ast", "norm_std", 0.0},         {"ast", "norm_std", -4.5},    {"ast", "window", "hamming"},
      {"ast", "mel_filters", "slaney"}, {"resnet", "log_offset", 0.0},  // with log_floor 0: log(0)
      {"resnet", "preemphasis", 0.97},  {"resnet", "remove_dc", true},
  };
  const json resnet = saved_json(audio_only(AudioConfig::tiny())), ast = saved_json(audio_only(AudioConfig::tiny_ast()));
  for (const Case& c : cases) {
    json j = std::string(c.frontend) == "ast" ? ast : resnet;
    j["audio"]["frontend_params"][c.field] = c.value;
    const std::string e = parse_error(j);
    SCOPED_TRACE(std::string(c.frontend) + " " + c.field + " = " + c.value.dump());
    EXPECT_NE(e.find("'cfg.json': field 'audio.frontend_params." + std::string(c.field) + "'"), std::string::npos) << e;
  }
  // A config built in code whose stored front end is not its named one.
  AudioConfig mixed = AudioConfig::base_ast();
  mixed.frontend_params = FrontendConfig::resnet();
  mixed.frontend_params->n_mels = 128;
  const std::string e = error_of([&] { mixed.validate("'x'"); });
  EXPECT_NE(e.find("field 'audio.frontend_params' holds the numbers of the resnet front end"), std::string::npos) << e;
  // What JSON cannot carry, a config built in code can: NaN and infinities.
  for (const char* field : {"norm_mean", "norm_std"}) {
    for (double v : {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
      AudioConfig a = AudioConfig::base_ast();
      FrontendConfig f = FrontendConfig::ast();
      (std::string(field) == "norm_mean" ? f.norm_mean : f.norm_std) = v;
      a.frontend_params = f;
      const std::string e = error_of([&] { a.validate("'x'"); });
      EXPECT_NE(e.find("field 'audio.frontend_params." + std::string(field) + "'"), std::string::npos) << e;
    }
  }
}

TEST(ConfigFormatRefuses, TowerMelsThatDoNotMatchTheFrontEnd) {
  auto expect_both_named = [](const std::string& e) {
    EXPECT_NE(e.find("'audio.n_mels'"), std::string::npos) << e;
    EXPECT_NE(e.find("'audio.frontend_params.n_mels'"), std::string::npos) << e;
  };
  // Old directory: an AST tower of 64 mels on the 128-mel AST front end.
  json j = saved_json(audio_only(AudioConfig::tiny_ast()));
  j["audio"].erase("frontend_params");
  j["audio"]["n_mels"] = 64;
  expect_both_named(parse_error(j));
  // New directory: the stored front end's n_mels against the tower's.
  j = saved_json(audio_only(AudioConfig::tiny_ast()));
  j["audio"]["frontend_params"]["n_mels"] = 96;
  expect_both_named(parse_error(j));
  EXPECT_NE(parse_error(j).find("(128, the tower's"), std::string::npos) << parse_error(j);

  // init (Model::init, save_config) refuses the same config built in code, as does loading it.
  AudioConfig a = AudioConfig::tiny();
  a.frontend = "ast";  // 64 mels left from the resnet preset
  expect_both_named(error_of([&] { Model::init(audio_only(a), 1); }));
  test::TempDir dir;
  expect_both_named(error_of([&] { save_config(dir.file("config.json"), audio_only(a)); }));
  const std::string d = dir.file("m");
  Model::init(audio_only(AudioConfig::tiny()), 1).save(d, "");
  json cfg = json::parse(test::slurp(d + "/config.json"));
  cfg["audio"]["frontend_params"]["n_mels"] = 32;
  test::write_text(d + "/config.json", cfg.dump(2));
  expect_both_named(error_of([&] { Model::load(d); }));
}

at::Tensor wave_tensor(const std::vector<float>& w) { return torch::tensor(w, torch::kFloat32); }

TEST(ConfigFormat, TheFrontEndUsesTheStoredStatistics) {
  // A model directory with other AST statistics, read back from its config.json.
  json j = saved_json(audio_only(AudioConfig::tiny_ast()));
  const double mean = -1.2345678901, stdev = 3.1415926535;
  j["audio"]["frontend_params"]["norm_mean"] = mean;
  j["audio"]["frontend_params"]["norm_std"] = stdev;
  const FrontendConfig stored = parse_config(j.dump(), "'cfg.json'").audio->frontend_config();
  EXPECT_EQ(stored.norm_mean, mean);
  EXPECT_EQ(stored.norm_std, stdev);

  const at::Tensor wave = wave_tensor(test::music(3.0, 16000, 7));
  FrontendConfig plain = FrontendConfig::ast();
  plain.norm_mean = 0.0;  // the log-mel before any normalisation
  plain.norm_std = 0.5;
  const at::Tensor log_mel = audio::Frontend(plain)(wave).to(torch::kFloat64);
  const at::Tensor got = audio::Frontend(stored)(wave).to(torch::kFloat64);
  const at::Tensor dflt = audio::Frontend(FrontendConfig::ast())(wave).to(torch::kFloat64);
  ASSERT_EQ(got.sizes(), log_mel.sizes());
  // float64 normalisation of the same log-mel; float32 rounding of values below 30 in size.
  EXPECT_LE((got - (log_mel - mean) / (2.0 * stdev)).abs().max().item<double>(), 1e-5);
  EXPECT_LE((dflt - (log_mel - -4.2677393) / (2.0 * 4.5689974)).abs().max().item<double>(), 1e-5);
  EXPECT_GT((got - dflt).abs().max().item<double>(), 0.1) << "other statistics, other values";
}

TEST(ConfigFormat, TheFrontEndUsesTheStoredWindowAndFilters) {
  // A resnet front end with Kaldi's symmetric window and filters, against float64 arithmetic:
  // frames of n_fft samples, the window centred, |rfft|^2, the filters, log(x + offset).
  FrontendConfig f = FrontendConfig::resnet();
  f.window = audio::WindowShape::kHannSymmetric;
  f.mel_filters = audio::MelFilters::kKaldi;
  f.n_mels = 40;
  f.f_min = 50.0;
  const std::vector<float> w = test::music(2.0, 16000, 3);
  const at::Tensor got = audio::Frontend(f)(wave_tensor(w)).to(torch::kFloat64);  // [F, T]

  const auto d64 = torch::kFloat64;
  const at::Tensor x = wave_tensor(w).to(d64);
  const at::Tensor frames = x.unfold(0, 512, 160);  // [T, 512]
  const at::Tensor n = torch::arange(400, d64);
  const at::Tensor hann = 0.5 - 0.5 * torch::cos(2.0 * M_PI * n / 399.0);  // symmetric: period N - 1
  const at::Tensor window = torch::zeros({512}, d64);
  window.narrow(0, 56, 400).copy_(hann);
  const at::Tensor power = torch::fft::rfft(frames * window, 512, -1).abs().pow(2);  // [T, 257]
  const at::Tensor filters = audio::kaldi_mel_filters(512, 50.0, 7500.0, 40, 16000).to(d64);
  const at::Tensor mel = torch::matmul(power, filters);  // [T, 40]
  const at::Tensor ref = torch::log(mel + 1e-6).t();
  ASSERT_EQ(got.sizes(), ref.sizes());
  const at::Tensor audible = mel.t() > 1e-3;  // where float32 rounding cannot dominate the log
  ASSERT_GT(audible.sum().item<int64_t>(), ref.numel() / 2);
  EXPECT_LE((got - ref).abs().masked_select(audible).max().item<double>(), 1e-3);

  // Each choice alone moves the output by more than that tolerance, so the check above sees both.
  for (int alt = 0; alt < 2; ++alt) {
    FrontendConfig g = f;
    if (alt == 0) g.window = audio::WindowShape::kHannPeriodic;
    if (alt == 1) g.mel_filters = audio::MelFilters::kHtk;
    const at::Tensor other = audio::Frontend(g)(wave_tensor(w)).to(torch::kFloat64);
    EXPECT_GT((other - ref).abs().masked_select(audible).max().item<double>(), 5e-3) << (alt == 0 ? "window" : "filters");
  }
}

TEST(ConfigFormat, EmbeddingUsesTheModelDirectorysFrontEnd) {
  // Two copies of one model, one with other AST statistics in its config.json: AudioEmbedder
  // must give what the model's windows give under the stored front end.
  test::TempDir dir;
  const std::string a = dir.file("a"), b = dir.file("b"), wav = dir.file("clip.wav");
  Model::init(audio_only(AudioConfig::tiny_ast()), 2).save(a, "");
  std::filesystem::copy(a, b, std::filesystem::copy_options::recursive);
  json cfg = json::parse(test::slurp(b + "/config.json"));
  cfg["audio"]["frontend_params"]["norm_mean"] = 1.5;
  cfg["audio"]["frontend_params"]["norm_std"] = 0.75;
  test::write_text(b + "/config.json", cfg.dump(2));
  const std::vector<float> samples = test::music(3.0, 16000, 5);
  test::write_audio(wav, samples, 1, 16000, SF_FORMAT_WAV | SF_FORMAT_FLOAT);  // read back exactly

  auto embed = [&](const std::string& model_dir) {
    const Model m = Model::load(model_dir);
    at::Tensor out;
    AudioEmbedder(m).run(std::vector<std::string>{wav}, [&](AudioEmbedding&& e) {
      ASSERT_TRUE(e.ok()) << e.failure->text();
      out = e.embedding;
    });
    // By hand: one window (3 s < 10 s) of the stored front end, padded with its silence.
    const audio::Frontend fe(m.config().audio->frontend_config());
    const at::Tensor win = audio::cut_windows(fe(wave_tensor(samples)), {0}, m.config().audio->window_frames,
                                              fe.silence_value());
    const at::Tensor e = torch::nn::functional::normalize(m.embed_windows(win).to(torch::kFloat64),
                                                          torch::nn::functional::NormalizeFuncOptions().dim(-1));
    EXPECT_LE((out.to(torch::kFloat64) - e[0]).abs().max().item<double>(), 1e-5) << model_dir;
    return out;
  };
  const at::Tensor ea = embed(a), eb = embed(b);
  EXPECT_GT((ea - eb).abs().max().item<double>(), 1e-3) << "other statistics, other embedding";
}

}  // namespace
}  // namespace mulan
