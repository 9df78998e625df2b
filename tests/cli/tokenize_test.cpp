// Golden tests of the real binary: mulan tokenize on a small vocabulary, its errors and usage.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "support/test_support.h"

namespace mulan {
namespace {

using test::run_cli;
using test::shell_quote;

int count_lines(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }

// ids: [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 lo=4 -=5 fi=6 piano=7 80=8 ##s=9 r=10 &=11 b=12 ,=13
const char* kVocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\nlo\n-\nfi\npiano\n80\n##s\nr\n&\nb\n,\n";

struct Files {
  test::TempDir dir;
  std::string vocab = dir.file("vocab.txt"), input = dir.file("in.txt");
  Files(const std::string& input_text) {
    std::ofstream(vocab, std::ios::binary) << kVocab;
    std::ofstream(input, std::ios::binary) << input_text;
  }
};

TEST(CliTokenize, PrintsTheIdsOfEachLine) {
  const Files f("Lo-Fi PIANO, 80s r&b\n\nmelancholic piano\r\nlast line without newline");
  const auto r = run_cli("tokenize --vocab " + shell_quote(f.vocab) + " < " + shell_quote(f.input));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "2 4 5 6 7 13 8 9 10 11 12 3\n"
                   "2 3\n"
                   "2 1 7 3\n"
                   "2 1 1 1 1 3\n");
  EXPECT_TRUE(r.err.empty()) << r.err;
}

TEST(CliTokenize, PrintsTokenStringsAndTruncates) {
  const Files f("Lo-Fi PIANO, 80s r&b\nb\n");
  auto r = run_cli("tokenize --vocab " + shell_quote(f.vocab) + " --tokens < " + shell_quote(f.input));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "[CLS] lo - fi piano , 80 ##s r & b [SEP]\n[CLS] b [SEP]\n");

  r = run_cli("tokenize --vocab " + shell_quote(f.vocab) + " --max-length 4 --tokens < " + shell_quote(f.input));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "[CLS] lo - [SEP]\n[CLS] b [SEP]\n");
}

TEST(CliTokenize, EmptyInputPrintsNothing) {
  const Files f("");
  const auto r = run_cli("tokenize --vocab " + shell_quote(f.vocab) + " < " + shell_quote(f.input));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST(CliTokenize, BadVocabularyFailsWithOneLineNamingTheFile) {
  const Files f("piano\n");
  std::ofstream(f.dir.file("no-cls.txt")) << "[PAD]\n[UNK]\n[SEP]\npiano\n";
  std::ofstream(f.dir.file("dup.txt")) << "[PAD]\n[UNK]\n[CLS]\n[SEP]\npiano\npiano\n";
  for (const std::string name : {"missing.txt", "no-cls.txt", "dup.txt"}) {
    SCOPED_TRACE(name);
    const std::string path = f.dir.file(name);
    const auto r = run_cli("tokenize --vocab " + shell_quote(path) + " < " + shell_quote(f.input));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find(path), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty());
  }
}

TEST(CliTokenize, WrongUsageExitsWithTwo) {
  const Files f("piano\n");
  const std::string vocab = " --vocab " + shell_quote(f.vocab);
  for (const std::string& args : {std::string("tokenize"), "tokenize" + vocab + " --max-length 1",
                                  "tokenize" + vocab + " --max-length lots", "tokenize" + vocab + " --frobnicate"}) {
    SCOPED_TRACE(args);
    const auto r = run_cli(args + " < " + shell_quote(f.input));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
  }
  EXPECT_EQ(run_cli("tokenize --help").exit_code, 0);
}

}  // namespace
}  // namespace mulan
