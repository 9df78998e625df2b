// Importing a Hugging Face BERT folder: names as BertForPreTraining saves them ("bert."
// prefix, pooler, cls.* heads, position_ids, old gamma/beta LayerNorm names).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "import/import_bert.h"
#include "mulan/quantize.h"
#include "mulan/presets.h"
#include "mulan/error.h"
#include "mulan/model.h"
#include "support/test_support.h"

namespace mulan {
namespace {

struct HfFolder {
  std::string dir;
  TensorMap ours;  // the tensors under our names, as the import should produce them
};

HfFolder make_hf_folder(const test::TempDir& tmp, uint64_t seed) {
  HfFolder f{tmp.file("hf"), {}};
  std::filesystem::create_directories(f.dir);
  const BertConfig c = BertConfig::tiny();
  const nlohmann::json cfg = {{"architectures", {"BertForPreTraining"}}, {"model_type", "bert"},
                              {"vocab_size", 461}, {"hidden_size", c.hidden_size},
                              {"num_hidden_layers", c.num_hidden_layers}, {"num_attention_heads", c.num_attention_heads},
                              {"intermediate_size", c.intermediate_size}, {"hidden_act", "gelu"},
                              {"max_position_embeddings", c.max_position_embeddings}, {"type_vocab_size", 2},
                              {"layer_norm_eps", 1e-12}, {"pad_token_id", 0}};
  std::ofstream(f.dir + "/config.json") << cfg.dump(2);
  std::ofstream vocab(f.dir + "/vocab.txt");
  for (const auto& t : model::default_vocab(461)) vocab << t << "\n";
  vocab.close();

  MulanConfig mc;
  mc.text = c;
  mc.text->vocab_size = 461;
  TensorMap hf;
  for (const auto& [name, t] : Model::init(mc, seed).state()) {
    if (name.rfind("text.bert.", 0) != 0) continue;
    f.ours[name] = t;
    std::string hf_name = "bert." + name.substr(10);
    if (hf_name.find("layer.0.output.LayerNorm.weight") != std::string::npos) hf_name.replace(hf_name.size() - 6, 6, "gamma");
    if (hf_name.find("layer.0.output.LayerNorm.bias") != std::string::npos) hf_name.replace(hf_name.size() - 4, 4, "beta");
    hf[hf_name] = t;
  }
  hf["bert.pooler.dense.weight"] = torch::randn({c.hidden_size, c.hidden_size});
  hf["bert.pooler.dense.bias"] = torch::randn({c.hidden_size});
  hf["cls.predictions.bias"] = torch::randn({461});
  hf["bert.embeddings.position_ids"] = torch::arange(c.max_position_embeddings, torch::kInt64).unsqueeze(0);
  write_safetensors(f.dir + "/model.safetensors", hf);
  return f;
}

TEST(ImportBert, MapsEveryTensorAndDropsThePoolerAndHeads) {
  test::TempDir tmp;
  const HfFolder hf = make_hf_folder(tmp, 7);
  const auto report = model::import_bert(hf.dir, tmp.file("model"), 0, false);
  EXPECT_EQ(report.dropped.size(), 4u);
  EXPECT_FALSE(report.projection_kept);
  const Model m = Model::load(tmp.file("model"));
  const TensorMap s = m.state();
  for (const auto& [name, t] : hf.ours) EXPECT_TRUE(torch::equal(s.at(name), t)) << name;

  // A second import into the same directory keeps its projection.
  const TensorMap before = s;
  const auto again = model::import_bert(hf.dir, tmp.file("model"), 99, false);
  EXPECT_TRUE(again.projection_kept);
  EXPECT_TRUE(torch::equal(Model::load(tmp.file("model")).state().at("text.proj.weight"), before.at("text.proj.weight")));

  // Not into an int8 directory (mulan quantize): that one is rebuilt from the float model.
  quantize_model_dir(tmp.file("model"), tmp.file("int8"));
  const std::string before8 = test::slurp(tmp.file("int8") + "/model.safetensors");
  EXPECT_TRUE(test::has_phrase(test::error_of([&] { model::import_bert(hf.dir, tmp.file("int8"), 0, false); }),
                               "is an int8 model"));
  EXPECT_EQ(test::slurp(tmp.file("int8") + "/model.safetensors"), before8);
}

void expect_import_error(const std::string& hf, const std::string& out, const std::string& problem, bool drop_extra = false) {
  try {
    model::import_bert(hf, out, 0, drop_extra);
    FAIL() << "imported; expected: " << problem;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(problem), std::string::npos) << e.what();
  }
}

TEST(ImportBert, RefusesMissingExtraAndMisshapenTensorsByName) {
  test::TempDir tmp;
  const HfFolder hf = make_hf_folder(tmp, 7);
  const std::string st = hf.dir + "/model.safetensors";
  TensorMap t = read_safetensors(st).tensors;

  TensorMap missing = t;
  missing.erase("bert.encoder.layer.1.attention.self.value.bias");
  write_safetensors(st, missing);
  expect_import_error(hf.dir, tmp.file("m1"), "missing tensor for 'text.bert.encoder.layer.1.attention.self.value.bias'");

  TensorMap extra = t;
  extra["decoder.weight"] = torch::zeros({2});
  write_safetensors(st, extra);
  expect_import_error(hf.dir, tmp.file("m2"), "unexpected tensor 'decoder.weight'");
  EXPECT_NO_THROW(model::import_bert(hf.dir, tmp.file("m3"), 0, /*drop_extra=*/true));

  TensorMap wrong = t;
  wrong["bert.encoder.layer.0.intermediate.dense.weight"] = torch::zeros({3, 3});
  write_safetensors(st, wrong);
  expect_import_error(hf.dir, tmp.file("m4"), "tensor 'text.bert.encoder.layer.0.intermediate.dense.weight' has shape [3, 3]");

  std::filesystem::remove(st);
  expect_import_error(hf.dir, tmp.file("m5"), "holds neither model.safetensors nor pytorch_model.bin");
  expect_import_error(tmp.file("nope"), tmp.file("m6"), "is not a folder");
}

TEST(ImportBert, RefusesAnUnsupportedConfig) {
  test::TempDir tmp;
  const HfFolder hf = make_hf_folder(tmp, 7);
  auto cfg = nlohmann::json::parse(std::ifstream(hf.dir + "/config.json"));
  cfg["hidden_act"] = "relu";
  std::ofstream(hf.dir + "/config.json") << cfg.dump();
  expect_import_error(hf.dir, tmp.file("m"), "hidden_act");
  cfg["hidden_act"] = "gelu";
  cfg.erase("hidden_size");
  std::ofstream(hf.dir + "/config.json") << cfg.dump();
  expect_import_error(hf.dir, tmp.file("m"), "missing field 'hidden_size'");
}

}  // namespace
}  // namespace mulan
