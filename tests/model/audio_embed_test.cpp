// Whole-file embeddings: the C++ pipeline (streamed decode, windows cut from samples, batched
// across files) against tests/python/embed_audio_reference.py (torchaudio over the whole
// recording, the windowing policy written out, a reference trunk), and the behaviour of
// AudioEmbedder: input order, failures, threads, short recordings.
#include <gtest/gtest.h>
#include <sndfile.h>
#include <torch/torch.h>

#include <fstream>

#include "mulan/audio_embed.h"
#include "mulan/npy.h"
#include "support/test_support.h"

namespace mulan {
namespace {

std::string small_model(const test::TempDir& dir, const std::string& frontend) {
  MulanConfig c;
  AudioConfig a = frontend == "ast" ? AudioConfig::base_ast() : AudioConfig::base_resnet();
  if (frontend == "ast") {
    a.width = 32;
    a.layers = 1;
    a.heads = 2;
    a.mlp = 64;
  } else {
    a.resnet_layers = {1, 1, 1, 1};  // torchvision's ResNet takes any block counts at width 64
  }
  c.audio = a;
  const std::string d = dir.file("model-" + frontend);
  Model::init(c, 5).save(d, "");
  return d;
}

std::vector<AudioEmbedding> embed(const std::string& model_dir, const std::vector<std::string>& files, int batch,
                                  int threads) {
  const Model m = Model::load(model_dir);
  AudioEmbedOptions o;
  o.batch_windows = batch;
  o.decode_threads = threads;
  o.keep_windows = true;
  std::vector<AudioEmbedding> out;
  AudioEmbedder(m, o).run(files, [&](AudioEmbedding&& e) { out.push_back(std::move(e)); });
  return out;
}

void check_against_python(const std::string& frontend, double seconds) {
  test::TempDir dir;
  const std::string model = small_model(dir, frontend), wav = dir.file("music.wav");
  test::write_audio(wav, test::music(seconds, 16000, 4), 1, 16000, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  const auto got = embed(model, {wav}, 4, 1);
  ASSERT_EQ(got.size(), 1u);
  ASSERT_TRUE(got[0].ok()) << got[0].failure->text();
  const auto r = test::run_python("embed_audio_reference.py", test::shell_quote(model) + " " + test::shell_quote(wav) +
                                                                   " " + test::shell_quote(dir.file("ref.npy")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const at::Tensor ref = read_npy(dir.file("ref.npy"));
  ASSERT_EQ(got[0].windows.size(0), ref.size(0) - 1) << "window count";
  EXPECT_LE((got[0].embedding - ref[0]).abs().max().item<double>(), 1e-4);
  EXPECT_LE((got[0].windows - ref.narrow(0, 1, ref.size(0) - 1)).abs().max().item<double>(), 1e-4);
}

TEST(AudioEmbed, ResnetWholeFileMatchesThePythonPipeline) { check_against_python("resnet", 185.3); }  // a 3-minute recording
TEST(AudioEmbed, AstWholeFileMatchesThePythonPipeline) { check_against_python("ast", 31.7); }
TEST(AudioEmbed, ShortRecordingIsOnePaddedWindow) { check_against_python("resnet", 3.2); }

TEST(AudioEmbed, WindowStartsFollowThePolicy) {
  test::TempDir dir;
  const std::string model = small_model(dir, "resnet"), wav = dir.file("a.wav");
  // 25 s: frames 1 + (400000 - 512) / 160 = 2497: windows at 0, 1000 and 1497 (end-aligned).
  test::write_audio(wav, test::noise(25.0, 16000, 1), 1, 16000, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  const auto got = embed(model, {wav}, 8, 1);
  ASSERT_EQ(got[0].starts_s.size(), 3u);
  EXPECT_DOUBLE_EQ(got[0].starts_s[1], 10.0);
  EXPECT_DOUBLE_EQ(got[0].starts_s[2], 14.97);
}

TEST(AudioEmbed, KeepsInputOrderSkipsBadFilesAndThreadsChangeNothing) {
  test::TempDir dir;
  const std::string model = small_model(dir, "resnet");
  std::vector<std::string> files;
  for (int i = 0; i < 5; ++i) {
    files.push_back(dir.file("f" + std::to_string(i) + ".flac"));
    test::write_audio(files.back(), test::music(4.0 + 7.0 * i, 22050, static_cast<unsigned>(i)), 1, 22050,
                      SF_FORMAT_FLAC | SF_FORMAT_PCM_16);
  }
  std::ofstream(dir.file("bad.wav")) << "not audio";
  files.insert(files.begin() + 2, dir.file("bad.wav"));
  files.push_back(dir.file("missing.wav"));

  const auto one = embed(model, files, 3, 1), two = embed(model, files, 5, 3);
  ASSERT_EQ(one.size(), files.size());
  ASSERT_EQ(two.size(), files.size());
  for (size_t i = 0; i < files.size(); ++i) {
    EXPECT_EQ(one[i].path, files[i]);
    const bool bad = files[i].find("bad") != std::string::npos || files[i].find("missing") != std::string::npos;
    EXPECT_EQ(!one[i].ok(), bad) << files[i];
    if (bad) {
      ASSERT_TRUE(one[i].failure);
      EXPECT_EQ(one[i].failure->where, files[i]);
      EXPECT_EQ(one[i].failure->kind, files[i].find("missing") != std::string::npos ? FailureKind::missing : FailureKind::unreadable);
      EXPECT_NE(one[i].failure->text().find(files[i]), std::string::npos);
      EXPECT_EQ(one[i].failure->reason.find(files[i]), std::string::npos) << "the reason repeats the path";
      continue;
    }
    EXPECT_LE((one[i].embedding - two[i].embedding).abs().max().item<double>(), 1e-5);
    // The file's embedding is the normalised mean of its windows.
    const at::Tensor mean = one[i].windows.mean(0);
    EXPECT_LE((one[i].embedding - mean / mean.norm()).abs().max().item<double>(), 1e-6);
  }
}

}  // namespace
}  // namespace mulan
