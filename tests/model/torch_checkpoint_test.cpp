// Reading torch.save checkpoints: real ones written by Debian's python3-torch
// (tests/python/write_checkpoints.py), compared with the same tensors in a safetensors file that
// Python wrote by hand; broken or hostile archives made here with PyTorchStreamWriter; and
// decompression bombs and pickles of millions of objects (tests/python/write_bombs.py), which
// must be refused without the memory they ask for.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <caffe2/serialize/inline_container.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "import/import_bert.h"
#include "mulan/presets.h"
#include "import/torch_checkpoint.h"
#include "mulan/error.h"
#include "mulan/model.h"
#include "support/test_support.h"

namespace mulan {
namespace {

using model::read_torch_checkpoint;
using namespace std::string_literals;

// The checkpoints Python writes, once for all tests of this file.
class TorchCheckpoint : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    const auto r = test::run_python("write_checkpoints.py",
                                    "cases " + test::shell_quote(dir_->path().string()) + " " + test::shell_quote(marker()));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string file(const std::string& name) { return dir_->file(name); }
  static std::string marker() { return dir_->file("pwned"); }

  static void expect_same(const TensorMap& got, const TensorMap& want) {
    ASSERT_EQ(got.size(), want.size());
    for (const auto& [name, w] : want) {
      ASSERT_TRUE(got.count(name)) << name;
      const at::Tensor& g = got.at(name);
      EXPECT_EQ(g.scalar_type(), w.scalar_type()) << name;
      EXPECT_EQ(g.sizes(), w.sizes()) << name;
      EXPECT_TRUE(g.device().is_cpu()) << name;
      EXPECT_TRUE(torch::equal(g, w)) << name;
      EXPECT_TRUE(g.is_contiguous()) << name;
      EXPECT_EQ(g.storage_offset(), 0) << name;
      EXPECT_EQ(g.storage().nbytes(), g.nbytes()) << name << " is a view into a larger storage";
    }
  }

  static test::TempDir* dir_;
};
test::TempDir* TorchCheckpoint::dir_ = nullptr;

TEST_F(TorchCheckpoint, ReadsAModuleStateDictWithBuffersAndTiedWeights) {
  const TensorMap got = read_torch_checkpoint(file("module.pt"));
  expect_same(got, read_safetensors(file("module.ref.safetensors")).tensors);
  EXPECT_EQ(got.at("net.1.num_batches_tracked").scalar_type(), at::kLong);
  EXPECT_EQ(got.at("net.1.num_batches_tracked").item<int64_t>(), 1);
  EXPECT_TRUE(torch::equal(got.at("emb.weight"), got.at("dec.weight")));
  // Tied in the file, independent here.
  EXPECT_NE(got.at("emb.weight").data_ptr(), got.at("dec.weight").data_ptr());
}

TEST_F(TorchCheckpoint, ReadsEveryDtypeAndViewsOfSharedStorages) {
  TensorMap got = read_torch_checkpoint(file("mixed.pt"));
  expect_same(got, read_safetensors(file("mixed.ref.safetensors")).tensors);
  EXPECT_EQ(got.at("bf16").scalar_type(), at::kBFloat16);
  EXPECT_EQ(got.at("f16").scalar_type(), at::kHalf);
  EXPECT_EQ(got.at("scalar").dim(), 0);
  EXPECT_EQ(got.at("scalar").item<float>(), 3.5f);
  EXPECT_EQ(got.at("empty").sizes(), (std::vector<int64_t>{0, 3}));
  EXPECT_EQ(got.at("transposed").sizes(), (std::vector<int64_t>{5, 3}));
  // The views of one storage come out with their own offsets and their own memory.
  EXPECT_TRUE(torch::equal(got.at("shared_a"), got.at("shared_all").slice(0, 2, 7)));
  EXPECT_TRUE(torch::equal(got.at("shared_b").flatten(), got.at("shared_all").slice(0, 10)));
  const at::Tensor all_before = got.at("shared_all").clone();
  got.at("shared_a").fill_(0);
  got.at("shared_b").fill_(0);
  EXPECT_TRUE(torch::equal(got.at("shared_all"), all_before));
}

TEST_F(TorchCheckpoint, UnwrapsTheStateDictOfATrainingCheckpoint) {
  expect_same(read_torch_checkpoint(file("wrapped.pt")), read_safetensors(file("wrapped.ref.safetensors")).tensors);
  expect_same(read_torch_checkpoint(file("model_wrapped.pt")), read_safetensors(file("model_wrapped.ref.safetensors")).tensors);
}

void expect_error(const std::string& path, const std::string& problem) {
  try {
    read_torch_checkpoint(path);
    FAIL() << path << " was read; expected: " << problem;
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find(problem), std::string::npos) << m;
    EXPECT_NE(m.find(path), std::string::npos) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  }
}

TEST_F(TorchCheckpoint, RefusesAPickleThatWouldRunCodeWithoutRunningIt) {
  ASSERT_FALSE(std::filesystem::exists(marker()));
  expect_error(file("evil.pt"), "refusing global 'posix.system'");
  EXPECT_FALSE(std::filesystem::exists(marker()));
}

TEST_F(TorchCheckpoint, RefusesLegacyTruncatedAndForeignFiles) {
  expect_error(file("legacy.pt"), "legacy torch.save format");
  expect_error(file("module.ref.safetensors"), "not a readable torch.save zip archive");
  expect_error(file("missing.pt"), "cannot read");
  const auto size = std::filesystem::file_size(file("module.pt"));
  for (const auto keep : {size_t{0}, size_t{30}, size / 2, size - 10}) {
    std::ifstream in(file("module.pt"), std::ios::binary);
    std::string bytes(keep, '\0');
    in.read(bytes.data(), static_cast<std::streamsize>(keep));
    const std::string cut = file("cut" + std::to_string(keep) + ".pt");
    std::ofstream(cut, std::ios::binary) << bytes;
    EXPECT_THROW(read_torch_checkpoint(cut), Error) << "kept " << keep << " bytes";
  }
}

// A hand-made pickle, opcode by opcode.
struct Pickle {
  std::string b = "\x80\x02";
  Pickle& op(const std::string& o) { return b += o, *this; }
  Pickle& str(const std::string& s) {
    b += 'X';
    for (int k = 0; k < 4; ++k) b += static_cast<char>((s.size() >> (8 * k)) & 0xff);
    return op(s);
  }
  Pickle& int4(int32_t v) {
    b += 'J';
    for (int k = 0; k < 4; ++k) b += static_cast<char>((static_cast<uint32_t>(v) >> (8 * k)) & 0xff);
    return *this;
  }
  Pickle& ints(const std::vector<int64_t>& v) {
    op("(");
    for (int64_t x : v) int4(static_cast<int32_t>(x));
    return op("t");
  }
  // _rebuild_tensor_v2 of FloatStorage `key` (numel elements) as a view.
  Pickle& tensor(const std::string& key, int32_t numel, int32_t offset, const std::vector<int64_t>& sizes,
                 const std::vector<int64_t>& strides) {
    op("ctorch._utils\n_rebuild_tensor_v2\n(");
    op("(").str("storage").op("ctorch\nFloatStorage\n").str(key).str("cpu").int4(numel).op("tQ");
    int4(offset).ints(sizes).ints(strides);
    return op("\x89}t").op("R");
  }
};

// {"w": FloatStorage "0" of `numel` floats viewed as sizes/strides from offset}.
std::string one_tensor(int32_t numel, int32_t offset, const std::vector<int64_t>& sizes, const std::vector<int64_t>& strides,
                       const std::string& key = "0") {
  Pickle p;
  p.op("}").str("w").tensor(key, numel, offset, sizes, strides).op("s.");
  return p.b;
}

void write_archive(const std::string& path, const std::string& pickle, const std::map<std::string, std::string>& records) {
  caffe2::serialize::PyTorchStreamWriter w(path);
  w.writeRecord("data.pkl", pickle.data(), pickle.size());
  for (const auto& [name, data] : records) w.writeRecord(name, data.data(), data.size());
  w.writeEndOfFile();
}

std::string floats(int n) {
  std::string s(static_cast<size_t>(n) * 4, '\0');
  for (int i = 0; i < n; ++i) {
    const float f = static_cast<float>(i);
    std::memcpy(s.data() + 4 * i, &f, 4);
  }
  return s;
}

TEST(TorchCheckpointPickle, ReadsAHandMadeView) {
  test::TempDir tmp;
  const std::string path = tmp.file("ok.pt");
  write_archive(path, one_tensor(12, 1, {2, 3}, {4, 1}), {{"data/0", floats(12)}});
  const TensorMap t = read_torch_checkpoint(path);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_TRUE(torch::equal(t.at("w"), torch::tensor({1.f, 2.f, 3.f, 5.f, 6.f, 7.f}).view({2, 3})));
}

TEST(TorchCheckpointPickle, RefusesMalformedPicklesByName) {
  test::TempDir tmp;
  int n = 0;
  auto check = [&](const std::string& pickle, const std::map<std::string, std::string>& records, const std::string& problem) {
    const std::string path = tmp.file("bad" + std::to_string(n++) + ".pt");
    write_archive(path, pickle, records);
    SCOPED_TRACE(problem);
    expect_error(path, problem);
  };
  const std::map<std::string, std::string> storage = {{"data/0", floats(12)}};
  check("\x80\x02}\xff.", storage, "unsupported pickle opcode 0xff");
  check("\x80\x02s.", storage, "stack underflow");
  check("\x80\x02(}s.", storage, "stack underflow");  // SETITEM may not reach below a MARK
  check("\x80\x02h\x05.", storage, "memo index 5 out of range");
  check("\x80\x02}", storage, "truncated pickle");
  check("\x80\x02X\x05\x00\x00\x00" "ab"s, storage, "truncated pickle");
  check("\x80\x02t.", storage, "no MARK");
  check(one_tensor(12, 0, {3}, {1}, "7"), storage, "storage '7' does not exist");
  check(one_tensor(12, 0, {3}, {1}, "../0"), storage, "malformed storage key");
  check(one_tensor(12, 4, {2, 3}, {6, 1}), storage, "view reaches past its storage");  // reaches index 12
  check(one_tensor(12, 13, {0}, {1}), storage, "storage offset outside its storage");
  check(one_tensor(12, 0, {3}, {-1}), storage, "negative size or stride");
  check(one_tensor(12, 0, {1 << 30, 1 << 30, 1 << 30}, {0, 0, 0}), storage, "absurd tensor size");
  check(one_tensor(2147483647, 0, {3}, {1}), storage, "more than the file holds");
  check(one_tensor(13, 0, {3}, {1}), storage, "holds 48 bytes, not 13 x 4");
  check("\x80\x02\x8c\x08" "builtins" "\x8c\x04" "eval" "\x93.", storage, "refusing global 'builtins.eval'");
  check("\x80\x02\x63numpy.core.multiarray\n_reconstruct\n.", storage, "refusing global 'numpy.core.multiarray._reconstruct'");
  check("\x80\x02\x63torch\nFloatStorage\n)R.", storage, "not callable");
  Pickle not_str;
  not_str.op("}").int4(1).tensor("0", 12, 0, {3}, {1}).op("s.");
  check(not_str.b, storage, "a key of the state dict is a int, not a string");
  Pickle not_tensor;
  not_tensor.op("}").str("epoch").int4(3).op("s.");
  check(not_tensor.b, storage, "entry 'epoch' is a int, not a tensor");
  check("\x80\x02]).", storage, "not a dict of tensors");
  check(one_tensor(12, 0, {3}, {1}), {{"data/0", floats(12)}, {"byteorder", "big"}}, "'big' endian");
}

// How much the process's resident memory grew, at its peak, while f ran, in MiB: the kernel's
// high-water mark is reset first (clear_refs 5), so that what earlier tests used does not count.
long peak_growth_mib(const std::function<void()>& f) {
  const auto status = [](const std::string& field) {
    std::ifstream in("/proc/self/status");
    for (std::string line; std::getline(in, line);) {
      if (line.rfind(field, 0) == 0) return std::stol(line.substr(field.size()));  // "VmHWM:   1234 kB"
    }
    return -1L;
  };
  std::ofstream reset("/proc/self/clear_refs");
  reset << "5";
  reset.close();
  EXPECT_FALSE(reset.fail()) << "cannot reset the high-water mark of resident memory";
  const long before = status("VmRSS:");
  f();
  const long peak = status("VmHWM:");
  EXPECT_GT(before, 0);
  return (peak - before) / 1024;
}

// The bombs, written once for all tests of this file (~3 MB on disk; the records inflate to 256 MiB).
class TorchCheckpointBombs : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    const auto r = test::run_python("write_bombs.py", "cases " + test::shell_quote(dir_->path().string()));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string file(const std::string& name) { return dir_->file(name + ".pt"); }

  // Refused with `problem` in one line naming the file, the process's memory growing by less
  // than `max_mib` on the way.
  static void expect_refused(const std::string& name, const std::string& problem, long max_mib) {
    SCOPED_TRACE(name);
    const long grew = peak_growth_mib([&] { expect_error(file(name), problem); });
    EXPECT_LT(grew, max_mib) << name << " made the reader's memory grow by " << grew << " MiB";
  }

  static test::TempDir* dir_;
};
test::TempDir* TorchCheckpointBombs::dir_ = nullptr;

// Records are checked against their limits before anything is inflated: the bombs' 256 MiB
// never come to exist.
constexpr long kRecordBombMiB = 32;
// The unpickler's limits keep what it builds to about a hundred MiB.
constexpr long kPickleBombMiB = 192;

TEST_F(TorchCheckpointBombs, RefusesAPickleLargerThanAnyStateDictsBeforeInflatingIt) {
  expect_refused("pickle_big", "'archive/data.pkl' declares 268435458 bytes, more than the 33554432", kRecordBombMiB);
}

TEST_F(TorchCheckpointBombs, StopsInflatingAPickleAtTheFirstBytePastItsDeclaredSize) {
  expect_refused("pickle_lies", "'archive/data.pkl' inflates to more than its declared 64 bytes", kRecordBombMiB);
}

TEST_F(TorchCheckpointBombs, RefusesAStorageRecordLargerThanItsStorageBeforeInflatingIt) {
  expect_refused("storage_big", "storage '0' holds 268435456 bytes, not 12 x 4", kRecordBombMiB);
}

TEST_F(TorchCheckpointBombs, StopsInflatingAStorageAtTheFirstBytePastItsDeclaredSize) {
  expect_refused("storage_lies", "'archive/data/0' inflates to more than its declared 48 bytes", kRecordBombMiB);
}

TEST_F(TorchCheckpointBombs, RefusesAByteorderRecordOfMoreThanAWord) {
  expect_refused("byteorder_big", "'archive/byteorder' is larger than a byteorder record", kRecordBombMiB);
}

TEST_F(TorchCheckpointBombs, NeverInflatesTheVersionRecord) {
  TensorMap t;
  const long grew = peak_growth_mib([&] { t = read_torch_checkpoint(file("version_big")); });
  EXPECT_LT(grew, kRecordBombMiB);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_TRUE(torch::equal(t.at("w"), torch::arange(12, torch::kFloat)));
}

TEST_F(TorchCheckpointBombs, RefusesStoragesThatTogetherOutgrowTheFile) {
  // 1500 storages of 192 KiB, each smaller than the 0.5 MB file, 288 MiB in all.
  expect_refused("storages_many", "the storages add up to more than", kRecordBombMiB);
}

TEST_F(TorchCheckpointBombs, RefusesDirectoryEntriesThatShareOneRecord) {
  // 300 entries of the central directory that point at one 1 MiB record are not 300 records.
  expect_refused("storages_aliased", "storage '1' does not exist in the archive", kRecordBombMiB);
}

TEST_F(TorchCheckpointBombs, RefusesTwoRecordsOfOneName) {
  expect_refused("duplicate", "archive has two records named 'archive/data/0'", kRecordBombMiB);
}

TEST_F(TorchCheckpointBombs, RefusesPicklesThatBuildMillionsOfObjects) {
  // 8 million EMPTY_TUPLE opcodes, 8 KB deflated.
  expect_refused("empty_tuples", "data.pkl: more than 1048576 objects on the pickle's stack", kPickleBombMiB);
  // 8 million empty dicts, set as each other's items.
  expect_refused("dicts", "data.pkl: the pickle builds more than 1048576 objects", kPickleBombMiB);
  // None memoized 10 million times (MEMOIZE).
  expect_refused("memo", "data.pkl: more than 1048576 memo entries", kPickleBombMiB);
  // A list of 15 million Nones (APPEND).
  expect_refused("items", "data.pkl: the pickle's containers hold more than 4194304 references", kPickleBombMiB);
  // 8 million MARKs.
  expect_refused("marks", "data.pkl: more than 1048576 MARKs", kPickleBombMiB);
}

// A Hugging Face folder whose weights are a pytorch_model.bin that torch.save wrote.
TEST(TorchCheckpointImport, ImportsBertFromPytorchModelBin) {
  test::TempDir tmp;
  const std::string dir = tmp.file("hf");
  std::filesystem::create_directories(dir);
  const BertConfig c = BertConfig::tiny();
  const nlohmann::json cfg = {{"vocab_size", 461}, {"hidden_size", c.hidden_size},
                              {"num_hidden_layers", c.num_hidden_layers}, {"num_attention_heads", c.num_attention_heads},
                              {"intermediate_size", c.intermediate_size}, {"hidden_act", "gelu"},
                              {"max_position_embeddings", c.max_position_embeddings}, {"type_vocab_size", 2},
                              {"layer_norm_eps", 1e-12}};
  std::ofstream(dir + "/config.json") << cfg.dump(2);
  std::ofstream vocab(dir + "/vocab.txt");
  for (const auto& t : model::default_vocab(461)) vocab << t << "\n";
  vocab.close();

  MulanConfig mc;
  mc.text = c;
  mc.text->vocab_size = 461;
  TensorMap ours, hf;
  for (const auto& [name, t] : Model::init(mc, 5).state()) {
    if (name.rfind("text.bert.", 0) != 0) continue;
    ours[name] = t;
    hf["bert." + name.substr(10)] = t;
  }
  ASSERT_TRUE(hf.count("bert.embeddings.word_embeddings.weight"));
  ASSERT_TRUE(hf.count("bert.encoder.layer.0.attention.self.query.weight"));
  hf["bert.pooler.dense.weight"] = torch::randn({c.hidden_size, c.hidden_size});
  hf["bert.pooler.dense.bias"] = torch::randn({c.hidden_size});
  hf["cls.predictions.bias"] = torch::randn({461});
  hf["bert.embeddings.position_ids"] = torch::arange(c.max_position_embeddings, torch::kInt64).unsqueeze(0);
  write_safetensors(tmp.file("hf.safetensors"), hf);
  const auto r = test::run_python("write_checkpoints.py", "from-safetensors " + test::shell_quote(tmp.file("hf.safetensors")) +
                                                              " " + test::shell_quote(dir + "/pytorch_model.bin"));
  ASSERT_EQ(r.exit_code, 0) << r.err;

  const auto report = model::import_bert(dir, tmp.file("model"), 0, false);
  EXPECT_EQ(report.dropped.size(), 4u);
  const TensorMap s = Model::load(tmp.file("model")).state();
  for (const auto& [name, t] : ours) EXPECT_TRUE(torch::equal(s.at(name), t)) << name;

  // model.safetensors, when there is one, wins over pytorch_model.bin.
  TensorMap other = hf;
  other["bert.embeddings.word_embeddings.weight"] = torch::zeros_like(hf.at("bert.embeddings.word_embeddings.weight"));
  write_safetensors(dir + "/model.safetensors", other);
  model::import_bert(dir, tmp.file("model2"), 0, false);
  EXPECT_EQ(Model::load(tmp.file("model2")).state().at("text.bert.embeddings.word_embeddings.weight").abs().sum().item<float>(), 0.f);
}

}  // namespace
}  // namespace mulan
