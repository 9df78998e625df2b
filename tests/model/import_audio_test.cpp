// Importing audio checkpoints that Python wrote with torch.save in exactly the published
// layouts (tests/python/write_audio_checkpoints.py), and checking the imported tower computes
// what the original computes: max |difference| of the pooled vector <= 1e-4 (AST, values about 2),
// <= 1e-6 of its largest value (ResNet-50, values in the hundreds).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "import/import_common.h"
#include "mulan/import.h"
#include "mulan/error.h"
#include "mulan/model.h"
#include "mulan/npy.h"
#include "support/test_support.h"

namespace mulan {
namespace {

class ImportAudio : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    const auto r = test::run_python("write_audio_checkpoints.py", test::shell_quote(dir_->path().string()));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() { delete dir_; }
  static std::string file(const std::string& name) { return dir_->file(name); }
  static test::TempDir* dir_;
};
test::TempDir* ImportAudio::dir_ = nullptr;

TEST_F(ImportAudio, TorchvisionResNet50WithItsRgbConv1SummedIntoOne) {
  const auto report = model::import_resnet(file("resnet.pth"), file("m-resnet"), 0, false);
  EXPECT_EQ(report.dropped.size(), 2u);  // fc.weight, fc.bias
  const Model m = Model::load(file("m-resnet"));
  EXPECT_EQ(m.config().audio->resnet_layers, (std::vector<int>{3, 4, 6, 3}));
  const torch::Tensor want = read_npy(file("resnet.npy"));
  const double diff = (m.pooled_audio(read_npy(file("x64.npy"))) - want).abs().max().item<double>();
  // Random weights pool to values up to about 460: the bound is relative to the largest (1e-6,
  // a few float32 roundings of it), so that another BLAS kernel's summation order passes.
  EXPECT_LE(diff, 1e-6 * want.abs().max().item<double>());
}

TEST_F(ImportAudio, PublicAstLayoutWithPosEmbedResizedToTheWindow) {
  model::AstImportOptions o;
  o.heads = 4;
  const auto report = model::import_ast(file("ast.pth"), file("m-ast"), 0, o);
  EXPECT_EQ(report.dropped.size(), 8u);  // head, head_dist, mlp_head.{0,1}: weight and bias each
  const Model m = Model::load(file("m-ast"));
  EXPECT_EQ(m.config().audio->width, 64);
  EXPECT_EQ(m.config().audio->layers, 2);
  EXPECT_TRUE(m.config().audio->has_dist_token);
  EXPECT_EQ(m.state().at("audio.ast.pos_embed").size(1), 2 + 12 * 99);
  const double diff = (m.pooled_audio(read_npy(file("x128.npy"))) - read_npy(file("ast.npy"))).abs().max().item<double>();
  EXPECT_LE(diff, 1e-4);
}

TEST_F(ImportAudio, PublicAstHeadKeptAsTheTaggerComputesTheCheckpointsLogits) {
  model::AstImportOptions o;
  o.heads = 4;
  o.keep_head = true;
  const auto report = model::import_ast(file("ast.pth"), file("m-ast-head"), 0, o);
  EXPECT_EQ(report.dropped.size(), 4u);  // head, head_dist: weight and bias each
  const Model m = Model::load(file("m-ast-head"));
  EXPECT_EQ(m.config().audio->tagger_classes, 527);
  EXPECT_TRUE(m.config().audio->tagger_norm);
  // The logits of the checkpoint's mlp_head (LayerNorm, Linear) over the float64 reference's pooled
  // vector: about 10 in size, so 1e-3 is float32 arithmetic through 2 blocks and 2 norms.
  const torch::Tensor want = read_npy(file("ast_head.npy"));
  const double diff = (m.tag_logits(read_npy(file("x128.npy"))) - want).abs().max().item<double>();
  EXPECT_LE(diff, 1e-3 * std::max(1.0, want.abs().max().item<double>()));
  // The directory survives a round trip through its own config.json.
  test::TempDir tmp;
  m.save(tmp.file("again"), "");
  EXPECT_TRUE(Model::load(tmp.file("again")).config().audio->tagger_norm);
}

TEST_F(ImportAudio, KeepHeadRefusesACheckpointWithoutACompleteHead) {
  // A state dict with the trunk only: the head cannot be kept, and the error says why.
  test::TempDir tmp;
  const auto r = test::run_command("/usr/bin/python3 -c " + test::shell_quote(
      "import torch,sys; sd=torch.load(sys.argv[1]); "
      "[sd.pop(k) for k in list(sd) if 'mlp_head.1' in k]; torch.save(sd, sys.argv[2])") + " " +
      test::shell_quote(file("ast.pth")) + " " + test::shell_quote(tmp.file("nohead.pth")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  model::AstImportOptions o;
  o.heads = 4;
  o.keep_head = true;
  try {
    model::import_ast(tmp.file("nohead.pth"), tmp.file("m"), 0, o);
    FAIL() << "imported a checkpoint without mlp_head.1";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no complete mlp_head"), std::string::npos) << e.what();
  }
}

TEST_F(ImportAudio, KeepsTheTextTowerOfAnExistingModelDirectory) {
  test::TempDir tmp;
  const auto r = test::run_cli("init --preset tiny --out " + test::shell_quote(tmp.file("m")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const TensorMap before = Model::load(tmp.file("m")).state();
  model::import_resnet(file("resnet.pth"), tmp.file("m"), 0, false);
  const Model after = Model::load(tmp.file("m"));
  ASSERT_TRUE(after.has_text());
  const std::string w = "text.bert.encoder.layer.0.attention.self.query.weight";
  EXPECT_TRUE(torch::equal(after.state().at(w), before.at(w)));
  EXPECT_EQ(after.config().audio->resnet_width, 64);
}

TEST_F(ImportAudio, RefusesUnknownAndMissingTensorsByName) {
  test::TempDir tmp;
  TensorMap t = model::read_state_dict(file("resnet.pth"));
  t["classifier.weight"] = torch::zeros({2});
  write_safetensors(tmp.file("extra.safetensors"), t);
  try {
    model::import_resnet(tmp.file("extra.safetensors"), tmp.file("m1"), 0, false);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unexpected tensor 'classifier.weight'"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(model::import_resnet(tmp.file("extra.safetensors"), tmp.file("m2"), 0, /*drop_extra=*/true));
  t.erase("classifier.weight");
  t.erase("layer2.1.conv2.weight");
  write_safetensors(tmp.file("missing.safetensors"), t);
  try {
    model::import_resnet(tmp.file("missing.safetensors"), tmp.file("m3"), 0, false);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("audio.resnet.layer2.1.conv2.weight"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace mulan
