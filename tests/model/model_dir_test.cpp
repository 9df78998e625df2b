#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "mulan/presets.h"
#include "mulan/error.h"
#include "mulan/model.h"
#include "support/test_support.h"
#include "mulan/atomic_file.h"

namespace mulan {
namespace {

std::string make_model(const test::TempDir& dir, uint64_t seed = 1) {
  const std::string d = dir.file("model");
  const MulanConfig c = model::preset("tiny");
  std::filesystem::create_directories(d);
  std::string vocab;
  for (const auto& t : model::default_vocab(c.text->vocab_size)) vocab += t + "\n";
  write_file_atomic(d + "/vocab.txt", vocab);
  Model::init(c, seed).save(d, d + "/vocab.txt");
  return d;
}

void expect_load_error(const std::string& dir, const std::string& problem) {
  try {
    Model::load(dir);
    FAIL() << "loaded; expected: " << problem;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(problem), std::string::npos) << e.what();
  }
}

nlohmann::json read_json(const std::string& p) { return nlohmann::json::parse(std::ifstream(p)); }
void write_json(const std::string& p, const nlohmann::json& j) { std::ofstream(p) << j.dump(2); }

TEST(ModelDir, SaveLoadRoundTripsEveryTensor) {
  test::TempDir dir;
  const std::string d = make_model(dir);
  const Model a = Model::load(d);
  const TensorMap sa = a.state();
  EXPECT_TRUE(sa.count("text.bert.embeddings.word_embeddings.weight"));
  EXPECT_TRUE(sa.count("text.bert.encoder.layer.1.attention.self.query.weight"));
  EXPECT_TRUE(sa.count("text.bert.encoder.layer.0.attention.output.LayerNorm.bias"));
  EXPECT_TRUE(sa.count("text.bert.encoder.layer.0.intermediate.dense.weight"));
  EXPECT_TRUE(sa.count("text.bert.encoder.layer.0.output.dense.weight"));
  EXPECT_TRUE(sa.count("text.proj.weight"));
  EXPECT_TRUE(sa.count("log_tau"));
  EXPECT_NEAR(std::exp(sa.at("log_tau").item<double>()), 0.07, 1e-6);
  a.save(dir.file("copy"), d + "/vocab.txt");
  const TensorMap sb = Model::load(dir.file("copy")).state();
  ASSERT_EQ(sa.size(), sb.size());
  for (const auto& [name, t] : sa) EXPECT_TRUE(torch::equal(t, sb.at(name))) << name;
}

TEST(ModelDir, SameSeedSameModelOtherSeedOtherModel) {
  const MulanConfig c = model::preset("tiny");
  const TensorMap a = Model::init(c, 3).state(), b = Model::init(c, 3).state(), x = Model::init(c, 4).state();
  const std::string w = "text.bert.encoder.layer.0.attention.self.key.weight";
  EXPECT_TRUE(torch::equal(a.at(w), b.at(w)));
  EXPECT_FALSE(torch::equal(a.at(w), x.at(w)));
}

TEST(ModelDirRefuses, ConfigProblemsNamingTheField) {
  test::TempDir dir;
  const std::string d = make_model(dir), cfg = d + "/config.json";
  const nlohmann::json good = read_json(cfg);
  auto with = [&](auto edit, const std::string& problem) {
    nlohmann::json j = good;
    edit(j);
    write_json(cfg, j);
    expect_load_error(d, problem);
  };
  with([](auto& j) { j["text"].erase("hidden_size"); }, "missing field 'text.hidden_size'");
  with([](auto& j) { j["text"]["colour"] = "blue"; }, "unknown field 'text.colour'");
  with([](auto& j) { j["text"]["num_attention_heads"] = 3; }, "text.num_attention_heads");
  with([](auto& j) { j["text"]["arch"] = "gpt2"; }, "text.arch");
  with([](auto& j) { j["format"] = "clap"; }, "field 'format'");
  with([](auto& j) { j["embed_dim"] = "big"; }, "field 'embed_dim' has the wrong type");
  with([](auto& j) { j["embed_dim"] = 64; }, "the config (embed_dim, text.hidden_size) needs [64, 128]");
  // Checked against the safetensors header before a tower is built, naming the field.
  with([](auto& j) { j["text"]["num_hidden_layers"] = 3; }, "holds 2 of 'text.bert.encoder.layer.N', but the config says text.num_hidden_layers = 3");
  with([](auto& j) { j["text"]["num_hidden_layers"] = 1; }, "holds 2 of 'text.bert.encoder.layer.N', but the config says text.num_hidden_layers = 1");
  with([](auto& j) { j["text"]["intermediate_size"] = 1024; }, "'text.bert.encoder.layer.0.intermediate.dense.weight' has shape [512, 128]");
  std::ofstream(cfg) << "{ broken";
  expect_load_error(d, "not valid JSON");
}

TEST(ModelDirRefuses, VocabThatDoesNotFitTheConfig) {
  test::TempDir dir;
  const std::string d = make_model(dir);
  std::ofstream(d + "/vocab.txt", std::ios::app) << "extra-token\n";
  expect_load_error(d, "vocab.txt': has 462 tokens but");
  std::filesystem::remove(d + "/vocab.txt");
  expect_load_error(d, "no such file (a vocab.txt)");
}

TEST(ModelDirRefuses, MissingWeights) {
  test::TempDir dir;
  const std::string d = make_model(dir);
  std::filesystem::remove(d + "/model.safetensors");
  expect_load_error(d, "model.safetensors");
  expect_load_error(dir.file("nowhere"), "no such model directory");
  expect_load_error(d + "/config.json", "is not a model directory");
}

// A file that is not there is a FileNotFound (the Python module's FileNotFoundError); a file
// that is there but wrong is not.
TEST(ModelDirRefuses, MissingFilesAreFileNotFound) {
  test::TempDir dir;
  const std::string d = make_model(dir);
  EXPECT_THROW(Model::load(dir.file("nowhere")), FileNotFound);
  std::filesystem::remove(d + "/vocab.txt");
  EXPECT_THROW(Model::load(d), FileNotFound);
  std::filesystem::remove(d + "/model.safetensors");
  EXPECT_THROW(Model::load(d), FileNotFound);
  std::filesystem::remove(d + "/config.json");
  EXPECT_THROW(Model::load(d), FileNotFound);
  std::ofstream(d + "/config.json") << "{";
  try {
    Model::load(d);
    FAIL() << "loaded a broken config.json";
  } catch (const FileNotFound& e) {
    FAIL() << "a broken config.json is not a missing file: " << e.what();
  } catch (const Error&) {
  }
}

}  // namespace
}  // namespace mulan
