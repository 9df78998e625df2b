// Hostile inputs against the real binary: output paths that would clobber files, text from files
// that would forge messages, absurd sizes and values, broken streams. Each test builds its input.
#include <gtest/gtest.h>
#include <sndfile.h>
#include <sys/stat.h>
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "mulan/audio_embed.h"
#include "mulan/error.h"
#include "mulan/model.h"
#include "mulan/npy.h"
#include "mulan/safetensors.h"
#include "support/test_support.h"

namespace mulan::test {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

std::string q(const std::string& s) { return shell_quote(s); }
int lines(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }

class Hostile : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    ASSERT_EQ(run_cli("init --preset tiny --seed 1 --out " + q(model())).exit_code, 0);
    write_audio(dir_->file("tone.wav"), tone(440, 2.0, 16000), 1, 16000, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  }
  static void TearDownTestSuite() { delete dir_; }
  static std::string model() { return dir_->file("model"); }
  static std::string wav() { return dir_->file("tone.wav"); }
  // A copy of the tiny model whose tensors and config.json `change` may edit.
  static std::string changed_model(const TempDir& tmp, const std::function<void(TensorMap&, json&)>& change) {
    const std::string d = tmp.file("changed");
    fs::copy(model(), d, fs::copy_options::recursive);
    TensorMap t = read_safetensors(d + "/model.safetensors").tensors;
    json cfg = json::parse(slurp(d + "/config.json"));
    change(t, cfg);
    write_safetensors(d + "/model.safetensors", t);
    write_text(d + "/config.json", cfg.dump(2));
    return d;
  }
  static TempDir* dir_;
};
TempDir* Hostile::dir_ = nullptr;

TEST_F(Hostile, OutNeverFollowsAPlantedSymlinkNorReplacesWhatIsNotARegularFile) {
  TempDir tmp;
  write_text(tmp.file("victim"), "keep me");
  // The temporary file of earlier versions had a predictable name: a symlink planted there was followed.
  fs::create_symlink(tmp.file("victim"), tmp.file("out.npy.tmp"));
  CommandResult r = run_cli("mel " + q(wav()) + " --frontend resnet --out " + q(tmp.file("out.npy")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(slurp(tmp.file("victim")), "keep me");
  EXPECT_EQ(read_npy(tmp.file("out.npy")).dim(), 2);
  // OUT itself a symlink, a FIFO, a folder: refused, left as it is.
  fs::create_symlink(tmp.file("victim"), tmp.file("link.npy"));
  ASSERT_EQ(::mkfifo(tmp.file("fifo.npy").c_str(), 0600), 0);
  fs::create_directories(tmp.file("folder.npy"));
  for (const char* name : {"link.npy", "fifo.npy", "folder.npy"}) {
    r = run_cli("mel " + q(wav()) + " --frontend resnet --out " + q(tmp.file(name)));
    EXPECT_EQ(r.exit_code, 1) << name << ": " << r.err;
    EXPECT_NE(r.err.find("refusing to replace it"), std::string::npos) << r.err;
  }
  EXPECT_EQ(slurp(tmp.file("victim")), "keep me");
  EXPECT_TRUE(fs::is_symlink(tmp.file("link.npy")));
  EXPECT_TRUE(fs::is_fifo(tmp.file("fifo.npy")));
  // No temporary file is left behind.
  for (const auto& e : fs::directory_iterator(tmp.path())) {
    if (e.path().filename() != "out.npy.tmp") EXPECT_NE(e.path().extension(), ".tmp") << e.path();
  }
}

TEST_F(Hostile, TextFromAFileCannotForgeALineOrSendEscapes) {
  TempDir tmp;
  // A Hugging Face folder whose tensor name carries a newline, a forged line and an ANSI escape.
  const std::string hf = tmp.file("hf");
  fs::create_directories(hf);
  const BertConfig c = BertConfig::tiny();
  write_text(hf + "/config.json", json({{"vocab_size", 461}, {"hidden_size", c.hidden_size}, {"num_hidden_layers", 2},
                                        {"num_attention_heads", 2}, {"intermediate_size", 512}, {"max_position_embeddings", 128},
                                        {"type_vocab_size", 2}, {"layer_norm_eps", 1e-12}})
                                      .dump());
  fs::copy_file(model() + "/vocab.txt", hf + "/vocab.txt");
  write_safetensors(hf + "/model.safetensors", {{std::string("evil\nmulan: import ok\x1b[2J\x07"), torch::zeros({1})}});
  const CommandResult r = run_cli("import bert " + q(hf) + " --into " + q(tmp.file("m")));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_EQ(r.err.find('\x1b'), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("evil\\nmulan: import ok\\x1B[2J\\x07"), std::string::npos) << r.err;
  EXPECT_EQ(printable(std::string_view("a\x00z\xff\xc3\xa9\\", 7)), "a\\x00z\\xFF\xc3\xa9\\\\");
}

TEST_F(Hostile, ThreadCountsAreBounded) {
  const CommandResult r = run_cli("embed-audio --model " + q(model()) + " --threads 100000 " + q(wav()));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  const Model m = Model::load(model());
  AudioEmbedOptions o;
  o.decode_threads = kMaxDecodeThreads + 1;
  EXPECT_THROW(AudioEmbedder(m, o), UsageError);
}

TEST_F(Hostile, HugeFloatSamplesAreRefusedNotTurnedIntoNaN) {
  TempDir tmp;
  std::vector<float> x = tone(440, 1.0, 16000);
  x[8000] = 1e18f;
  write_audio(tmp.file("loud.wav"), x, 1, 16000, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  CommandResult r = run_cli("mel " + q(tmp.file("loud.wav")) + " --frontend resnet --out " + q(tmp.file("m.npy")));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("far outside full scale"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(tmp.file("m.npy")));
  r = run_cli("embed-audio --model " + q(model()) + " " + q(tmp.file("loud.wav")));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.out.find("null"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("nan"), std::string::npos) << r.out;
}

TEST_F(Hostile, NonFiniteWeightsAndNegativeVariancesAreRefusedAtLoad) {
  TempDir a, b;
  const std::string nan = changed_model(a, [](TensorMap& t, json&) { t["text.proj.weight"][0][0] = NAN; });
  CommandResult r = run_cli("embed-text --model " + q(nan) + " piano");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("text.proj.weight"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("not finite"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
  const std::string var = changed_model(b, [](TensorMap& t, json&) { t["audio.resnet.bn1.running_var"][0] = -1.0f; });
  r = run_cli("embed-audio --model " + q(var) + " " + q(wav()));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("negative variances"), std::string::npos) << r.err;
}

TEST_F(Hostile, OffsetsAndDurationsBeyondAnyFileDoNotOverflow) {
  TempDir tmp;
  CommandResult r = run_cli("mel " + q(wav()) + " --frontend resnet --offset 1e300 --out " + q(tmp.file("a.npy")));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("past the end"), std::string::npos) << r.err;
  EXPECT_LT(r.err.size(), 200u) << r.err;
  r = run_cli("mel " + q(wav()) + " --frontend resnet --duration 1e300 --out " + q(tmp.file("b.npy")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(run_cli("mel " + q(wav()) + " --frontend resnet --out " + q(tmp.file("c.npy"))).exit_code, 0);
  EXPECT_TRUE(torch::equal(read_npy(tmp.file("b.npy")), read_npy(tmp.file("c.npy"))));
}

TEST_F(Hostile, ImportBertRefusesABadVocabularyBeforeWritingAnything) {
  TempDir tmp;
  const std::string hf = tmp.file("hf");
  fs::create_directories(hf);
  write_text(hf + "/config.json", json({{"vocab_size", 461}, {"hidden_size", 128}, {"num_hidden_layers", 2},
                                        {"num_attention_heads", 2}, {"intermediate_size", 512}, {"max_position_embeddings", 128},
                                        {"type_vocab_size", 2}, {"layer_norm_eps", 1e-12}})
                                      .dump());
  TensorMap hf_tensors;
  for (const auto& [name, t] : Model::load(model()).state()) {
    if (name.starts_with("text.bert.")) hf_tensors["bert." + name.substr(10)] = t;
  }
  write_safetensors(hf + "/model.safetensors", hf_tensors);
  const std::string full = slurp(model() + "/vocab.txt");
  std::string no_unk = full;
  no_unk.replace(no_unk.find("[UNK]"), 5, "[UNX]");
  const std::vector<std::pair<std::string, std::string>> vocabs = {
      {"empty", ""}, {"four lines", "[PAD]\n[UNK]\n[CLS]\n[SEP]\n"}, {"no [UNK]", no_unk}, {"not UTF-8", full + "\xff\xfe\n"}};
  for (const auto& [what, vocab] : vocabs) {
    write_text(hf + "/vocab.txt", vocab);
    const std::string into = tmp.file("m");
    const CommandResult r = run_cli("import bert " + q(hf) + " --into " + q(into));
    EXPECT_EQ(r.exit_code, 1) << what << ": " << r.err;
    EXPECT_NE(r.err.find("vocab.txt"), std::string::npos) << what << ": " << r.err;
    EXPECT_FALSE(fs::exists(into)) << what;
  }
  write_text(hf + "/vocab.txt", full);
  EXPECT_EQ(run_cli("import bert " + q(hf) + " --into " + q(tmp.file("m"))).exit_code, 0);
}

TEST_F(Hostile, WriteErrorsOnStdoutAndReadErrorsOnStdinFail) {
  for (const std::string& cmd : {"info " + q(wav()), "embed-text --model " + q(model()) + " piano",
                                 "embed-audio --model " + q(model()) + " " + q(wav())}) {
    const CommandResult r = run_command(std::string(MULAN_CLI) + " " + cmd + " > /dev/full");
    EXPECT_EQ(r.exit_code, 1) << cmd << ": " << r.err;
    EXPECT_NE(r.err.find("cannot write to standard output"), std::string::npos) << r.err;
  }
  CommandResult r = run_command("echo piano | " + std::string(MULAN_CLI) + " tokenize --vocab " + q(model() + "/vocab.txt") + " > /dev/full");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  r = run_command("head -c 3000000 /dev/zero | " + std::string(MULAN_CLI) + " embed-text --model " + q(model()));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("line 1 is longer than"), std::string::npos) << r.err;
}

TEST_F(Hostile, ACutOggStreamReportsTheFramesItHolds) {
  TempDir tmp;
  const std::vector<float> x = music(6.0, 16000);
  write_audio(tmp.file("full.ogg"), x, 1, 16000, SF_FORMAT_OGG | SF_FORMAT_VORBIS);
  const std::string bytes = slurp(tmp.file("full.ogg"));
  write_text(tmp.file("cut.ogg"), bytes.substr(0, bytes.size() * 9 / 10));
  CommandResult r = run_cli("info " + q(tmp.file("cut.ogg")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json info = json::parse(r.out);
  const int64_t frames = info["frames"].get<int64_t>();
  EXPECT_GT(frames, static_cast<int64_t>(x.size()) / 2) << r.out;
  EXPECT_LE(frames, static_cast<int64_t>(x.size())) << r.out;
  EXPECT_NEAR(info["duration_s"].get<double>(), frames / 16000.0, 1e-6);
  r = run_cli("mel " + q(tmp.file("cut.ogg")) + " --frontend resnet --out " + q(tmp.file("cut.npy")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GT(read_npy(tmp.file("cut.npy")).size(1), 250);  // most of the 6 s (600 frames) are there
}

TEST_F(Hostile, ConfigFieldsHaveExactTypesBoundsAndMustFitTheWeights) {
  TempDir a, b, c, d;
  CommandResult r = run_cli("embed-text --model " + q(changed_model(a, [](TensorMap&, json& j) { j["embed_dim"] = 128.5; })) + " x");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("'embed_dim' has the wrong type"), std::string::npos) << r.err;
  r = run_cli("embed-text --model " + q(changed_model(b, [](TensorMap&, json& j) { j["embed_dim"] = true; })) + " x");
  EXPECT_NE(r.err.find("'embed_dim' has the wrong type"), std::string::npos) << r.err;
  // Thousands of layers: beyond any BERT, refused by the bound.
  r = run_command("ulimit -v 6000000; " + std::string(MULAN_CLI) + " embed-text --model " +
                  q(changed_model(c, [](TensorMap&, json& j) { j["text"]["num_hidden_layers"] = 8000; })) + " x");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("'text.num_hidden_layers' must be in 0..128"), std::string::npos) << r.err;
  // Within the bounds but more than the file holds: refused by name before a tower is built.
  TempDir e, f;
  r = run_cli("embed-text --model " + q(changed_model(e, [](TensorMap&, json& j) { j["text"]["num_hidden_layers"] = 100; })) + " x");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("holds 2 of 'text.bert.encoder.layer.N', but the config says text.num_hidden_layers = 100"), std::string::npos)
      << r.err;
  r = run_cli("embed-text --model " + q(changed_model(f, [](TensorMap&, json& j) { j["text"]["intermediate_size"] = 60000; })) + " x");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("text.intermediate_size"), std::string::npos) << r.err;
  for (const auto& layers : {std::vector<int>{1000000, 1, 1, 1}, std::vector<int>{64, 1, 1, 1}}) {
    TempDir g;
    r = run_cli("embed-audio --model " + q(changed_model(g, [&](TensorMap&, json& j) { j["audio"]["resnet_layers"] = layers; })) + " " +
                q(wav()));
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("resnet_layers"), std::string::npos) << r.err;
  }
}

TEST_F(Hostile, ConfigAndVocabMustBeSmallRegularFiles) {
  for (const char* file : {"config.json", "vocab.txt"}) {
    for (const char* target : {"/dev/zero", "/dev/urandom"}) {
      TempDir tmp;
      const std::string m = tmp.file("m");
      fs::copy(model(), m, fs::copy_options::recursive);
      fs::remove(m + "/" + file);
      fs::create_symlink(target, m + "/" + file);
      const CommandResult r = run_command("timeout 60 " + std::string(MULAN_CLI) + " embed-text --model " + q(m) + " x");
      EXPECT_EQ(r.exit_code, 1) << file << " -> " << target << ": " << r.err;
      EXPECT_NE(r.err.find("not a regular file"), std::string::npos) << r.err;
    }
  }
  TempDir tmp;
  const std::string m = tmp.file("m");
  fs::copy(model(), m, fs::copy_options::recursive);
  fs::remove(m + "/config.json");
  fs::create_directories(m + "/config.json");
  const CommandResult r = run_cli("embed-text --model " + q(m) + " x");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("is a folder"), std::string::npos) << r.err;
}

TEST_F(Hostile, LibTorchErrorsAreOneLineWithoutABacktrace) {
  try {
    TORCH_CHECK(false, "shape mismatch\nsecond line");
  } catch (const std::exception& e) {
    EXPECT_EQ(error_text(e), "shape mismatch");
  }
  EXPECT_EQ(error_text(std::bad_alloc()), "out of memory");
  const CommandResult r = run_cli("search --model " + q(model()) + " --data x --device xla q");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(lines(r.err), 1) << r.err;
}

TEST_F(Hostile, ManyDuplicateIdsAreSummarised) {
  TempDir tmp;
  std::string manifest;
  for (int i = 0; i < 500; ++i) manifest += json({{"id", "same"}, {"audio", wav()}, {"tags", {"x"}}}).dump() + "\n";
  write_text(tmp.file("m.jsonl"), manifest);
  const CommandResult r = run_cli("search --model " + q(model()) + " --data " + q(tmp.file("m.jsonl")) + " --no-cache piano");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_LT(lines(r.err), 20) << r.err;
  EXPECT_NE(r.err.find("499 in all"), std::string::npos) << r.err;
}

TEST_F(Hostile, ZeroShotTaggingWithNoUsableTagFails) {
  TempDir tmp;
  std::string manifest;
  for (int i = 0; i < 3; ++i) manifest += json({{"id", "r" + std::to_string(i)}, {"audio", wav()}, {"tags", {"x"}}}).dump() + "\n";
  write_text(tmp.file("m.jsonl"), manifest);
  write_text(tmp.file("tags.txt"), "x\ny\n");  // x on every recording, y on none: no ROC-AUC is defined
  const CommandResult r = run_cli("eval tagging --model " + q(model()) + " --data " + q(tmp.file("m.jsonl")) + " --tags " +
                                  q(tmp.file("tags.txt")) + " --no-cache --out -");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("ROC-AUC is undefined"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("null"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace mulan::test
