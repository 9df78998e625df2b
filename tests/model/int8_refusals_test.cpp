// What an int8 model directory refuses: a bad "quantization" value, int8 tensors without the
// config's "quantization", a missing, misshapen or non-positive scale, int8 where only weights
// may be; training, replacing its tensors, quantizing it again, and an --out that would
// clobber a model.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "mulan/atomic_file.h"
#include "mulan/error.h"
#include "mulan/model.h"
#include "mulan/presets.h"
#include "mulan/quantize.h"
#include "mulan/safetensors.h"
#include "support/test_support.h"

namespace mulan {
namespace {

using test::error_of;

class Int8Refusals : public ::testing::Test {
 protected:
  void SetUp() override {
    fdir_ = dir_.file("float");
    Model::init(model::preset("tiny"), 2).save(fdir_, write_vocab());
    qdir_ = dir_.file("int8");
    quantize_model_dir(fdir_, qdir_);
  }
  std::string write_vocab() {
    std::string v;
    for (const auto& t : model::default_vocab(model::preset("tiny").text->vocab_size)) v += t + "\n";
    write_file_atomic(dir_.file("vocab.txt"), v);
    return dir_.file("vocab.txt");
  }
  // A copy of the int8 directory whose tensors or config were changed.
  std::string variant(const std::string& name, const std::function<void(TensorMap&)>& edit_tensors,
                      const std::function<void(nlohmann::json&)>& edit_config = nullptr) {
    const std::string d = dir_.file(name);
    std::filesystem::create_directories(d);
    std::filesystem::copy_file(qdir_ + "/vocab.txt", d + "/vocab.txt");
    TensorMap t = read_safetensors(qdir_ + "/model.safetensors").tensors;
    if (edit_tensors) edit_tensors(t);
    write_safetensors(d + "/model.safetensors", t, {});
    nlohmann::json c = nlohmann::json::parse(test::slurp(qdir_ + "/config.json"));
    if (edit_config) edit_config(c);
    write_file_atomic(d + "/config.json", c.dump(2));
    return d;
  }
  test::TempDir dir_;
  std::string fdir_, qdir_;
};

const char* kWeight = "text.bert.encoder.layer.0.attention.self.query.weight";
const std::string kWeightScale = std::string(kWeight) + "_scale";

TEST_F(Int8Refusals, BadFilesAreRefusedNamingTheTensorOrField) {
  ASSERT_NO_THROW(Model::load(qdir_));
  EXPECT_TRUE(test::has_phrase(error_of([&] { Model::load(variant("int4", nullptr, [](auto& c) { c["quantization"] = "int4"; })); }),
                               "field 'quantization' must be \"int8\""));
  std::string e = error_of([&] { Model::load(variant("noconfig", nullptr, [](auto& c) { c.erase("quantization"); })); });
  EXPECT_TRUE(test::has_phrase(e, "is int8, but config.json has no \"quantization\": \"int8\"")) << e;
  e = error_of([&] { Model::load(variant("noscale", [](TensorMap& t) { t.erase(kWeightScale); })); });
  EXPECT_TRUE(test::has_phrase(e, std::string("int8 tensor '") + kWeight + "' has no scale")) << e;
  e = error_of([&] {
    Model::load(variant("shape", [](TensorMap& t) { t[kWeightScale] = torch::ones({3}); }));
  });
  EXPECT_TRUE(test::has_phrase(e, std::string(kWeight) + "_scale' must be float of shape [128]")) << e;
  e = error_of([&] {
    Model::load(variant("zero", [](TensorMap& t) { t[kWeightScale][7] = 0.0f; }));
  });
  EXPECT_TRUE(test::has_phrase(e, "not a finite positive number")) << e;
  e = error_of([&] {
    Model::load(variant("bias", [](TensorMap& t) {
      const std::string b = "text.bert.encoder.layer.0.attention.self.query.bias";
      t[b] = torch::zeros({128}, torch::kInt8);
    }));
  });
  EXPECT_TRUE(test::has_phrase(e, "only weights")) << e;
  e = error_of([&] {
    Model::load(variant("orphan", [](TensorMap& t) { t["text.proj.bias_scale"] = torch::ones({128}); }));
  });
  EXPECT_TRUE(test::has_phrase(e, "is a scale, but 'text.proj.bias' is not an int8 tensor")) << e;
}

TEST_F(Int8Refusals, TrainingReplacingAndRequantizingAreRefused) {
  Model q = Model::load(qdir_);
  EXPECT_THROW(q.set_training(true), UsageError);
  EXPECT_NO_THROW(q.set_training(false));
  EXPECT_TRUE(test::has_phrase(error_of([&] { q.load_state(Model::load(fdir_).state(), "x"); }), "int8 model's tensors cannot be replaced"));
  EXPECT_THROW(quantize_int8(q), Error);
  EXPECT_TRUE(test::has_phrase(error_of([&] { quantize_model_dir(qdir_, dir_.file("again")); }), "is already an int8 model"));
  EXPECT_TRUE(test::has_phrase(error_of([&] { quantize_model_dir(fdir_, fdir_); }), "is the model directory itself"));
  const std::string before = test::slurp(qdir_ + "/model.safetensors");
  EXPECT_TRUE(test::has_phrase(error_of([&] { quantize_model_dir(fdir_, qdir_); }), "already holds a model"));
  EXPECT_NO_THROW(quantize_model_dir(fdir_, qdir_, /*force=*/true));
  EXPECT_EQ(test::slurp(qdir_ + "/model.safetensors"), before) << "the same float model gives the same int8 file";
  EXPECT_TRUE(test::has_phrase(error_of([&] { quantize_model_dir(dir_.file("none"), dir_.file("out")); }), "no such model directory"));
}

}  // namespace
}  // namespace mulan
