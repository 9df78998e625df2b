#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "mulan/error.h"
#include "mulan/safetensors.h"
#include "support/test_support.h"

namespace mulan {
namespace {

TEST(Safetensors, RoundTripsEveryDtypeAndMetadata) {
  test::TempDir dir;
  torch::manual_seed(0);
  const TensorMap t = {{"a.f32", torch::randn({3, 4})},
                       {"b.f16", torch::randn({5}).to(torch::kHalf)},
                       {"c.bf16", torch::randn({2, 2}).to(torch::kBFloat16)},
                       {"d.i64", torch::arange(7, torch::kInt64)},
                       {"e.f64", torch::randn({1, 1, 2}, torch::kFloat64)},
                       {"f.scalar", torch::tensor(0.5f)},
                       {"g.empty", torch::zeros({0, 3})}};
  write_safetensors(dir.file("x.safetensors"), t, {{"format", "mulan"}});
  const Safetensors back = read_safetensors(dir.file("x.safetensors"));
  EXPECT_EQ(back.metadata.at("format"), "mulan");
  ASSERT_EQ(back.tensors.size(), t.size());
  for (const auto& [name, tensor] : t) {
    const at::Tensor& b = back.tensors.at(name);
    EXPECT_EQ(b.scalar_type(), tensor.scalar_type()) << name;
    EXPECT_EQ(b.sizes(), tensor.sizes()) << name;
    EXPECT_TRUE(torch::equal(b, tensor)) << name;
  }
}

// A file from raw parts: a header (as JSON text) and a data section.
std::string raw_file(const std::string& header, const std::string& data) {
  std::string s;
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) s += static_cast<char>((n >> (8 * i)) & 0xff);
  return s + header + data;
}

void expect_refused(const std::string& bytes, const std::string& problem) {
  test::TempDir dir;
  const std::string path = dir.file("bad.safetensors");
  std::ofstream(path, std::ios::binary) << bytes;
  try {
    read_safetensors(path);
    FAIL() << "accepted a malformed file; expected: " << problem;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(problem), std::string::npos) << e.what();
  }
}

TEST(SafetensorsRefuses, MalformedFiles) {
  const std::string eight(8, '\0');
  expect_refused("abc", "shorter than the 8-byte header length");
  expect_refused(std::string("\xff\xff\xff\xff\xff\xff\xff\x7f", 8) + "{}", "over the 100 MiB bound");
  expect_refused(std::string("\x40\x00\x00\x00\x00\x00\x00\x00", 8) + "{}", "runs past the end");
  expect_refused(raw_file("{not json", ""), "not valid JSON");
  expect_refused(raw_file("[1, 2]", ""), "not a JSON object");
  expect_refused(raw_file(R"({"w": {"dtype": "Q8", "shape": [2], "data_offsets": [0, 8]}})", eight), "tensor 'w': unsupported dtype");
  expect_refused(raw_file(R"({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}})", eight), "tensor 'w': dtype x shape");
  expect_refused(raw_file(R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 16]}})", eight), "tensor 'w': data_offsets");
  expect_refused(raw_file(R"({"w": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}})", eight), "tensor 'w': shape");
  expect_refused(raw_file(R"({"w": {"dtype": "F32", "shape": [2]}})", eight), "tensor 'w': needs dtype, shape and data_offsets");
  expect_refused(raw_file(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                              "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})", eight), "overlaps");
  expect_refused(raw_file(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})", eight), "a hole");
  expect_refused(raw_file(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})", eight), "no tensor owns");
  expect_refused(raw_file(R"({"a": {"dtype": "F32", "shape": [4294967296, 4294967296, 4294967296], "data_offsets": [0, 8]}})", eight), "tensor 'a'");
  expect_refused(raw_file(R"({"__metadata__": {"k": 3}})", ""), "__metadata__ value 'k'");
}

TEST(Safetensors, WriteIsAtomic) {
  test::TempDir dir;
  const std::string path = dir.file("m.safetensors");
  write_safetensors(path, {{"a", torch::ones({2})}});
  EXPECT_THROW(write_safetensors(path, {{"bad", torch::ones({2}, torch::kComplexFloat)}}), Error);
  EXPECT_TRUE(torch::equal(read_safetensors(path).tensors.at("a"), torch::ones({2})));  // old file intact
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

}  // namespace
}  // namespace mulan
