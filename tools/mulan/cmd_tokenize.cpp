// mulan tokenize --vocab VOCAB.txt [--max-length N] [--tokens]: BERT uncased WordPiece of each
// UTF-8 line of stdin, printed as token ids (or token strings) separated by single spaces,
// [CLS] and [SEP] included.
#include <iostream>
#include <string>

#include "cli_common.h"
#include "commands.h"
#include "mulan/tokenizer.h"

namespace mulan::cli {

namespace {
struct TokenizeArgs {
  std::string vocab;
  int64_t max_length = text::TokenizerConfig{}.max_length;
  bool tokens = false;
};

void run_tokenize(const TokenizeArgs& a) {
  text::TokenizerConfig config;
  config.max_length = a.max_length;
  const text::Tokenizer tokenizer = text::Tokenizer::load(a.vocab, config);
  std::ios::sync_with_stdio(false);
  std::string line, out;
  for (int64_t n = 1; read_line(std::cin, line, n); ++n) {
    const std::vector<int64_t> ids = tokenizer.encode(line);
    out.clear();
    for (size_t i = 0; i < ids.size(); ++i) {
      if (i > 0) out += ' ';
      out += a.tokens ? tokenizer.vocab().token(ids[i]) : std::to_string(ids[i]);
    }
    out += '\n';
    std::cout << out;
  }
  std::cout.flush();
}
}  // namespace

void register_tokenize(CLI::App& app) {
  auto* cmd = app.add_subcommand("tokenize", "BERT uncased WordPiece of each line of stdin: token ids "
                                             "([CLS] ... [SEP]) separated by spaces, one line each");
  auto a = std::make_shared<TokenizeArgs>();
  cmd->add_option("--vocab", a->vocab, "WordPiece vocabulary: vocab.txt, one token a line, id = line number")
      ->required();
  cmd->add_option("--max-length", a->max_length, "Longest sequence, [CLS] and [SEP] included; longer lines are "
                                                 "truncated, keeping [SEP]")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{2}, int64_t{1} << 40));
  cmd->add_flag("--tokens", a->tokens, "Print the token strings instead of their ids");
  cmd->callback([a] { run_tokenize(*a); });
}

}  // namespace mulan::cli
