// mulan embed-text --model DIR [--batch N] [--device D] [--out OUT.npy] [TEXT ...]: 128-d text embeddings.
#include <torch/torch.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli_common.h"
#include "commands.h"
#include "mulan/context.h"
#include "mulan/error.h"
#include "mulan/npy.h"

namespace mulan::cli {

namespace {
struct EmbedTextArgs {
  std::string model, out;
  ContextParams params = [] {
    ContextParams p = default_params();
    p.towers = "text";  // the audio tower is not read
    return p;
  }();
  std::vector<std::string> texts;
};

void run_embed_text(EmbedTextArgs a) {
  if (a.texts.empty()) {  // one text per stdin line
    std::string line;
    for (int64_t n = 1; read_line(std::cin, line, n); ++n) a.texts.push_back(line);
  }
  const auto ctx = Context::load(a.model, a.params);
  const at::Tensor e = ctx->embed_texts(a.texts);
  if (!a.out.empty()) {
    write_npy(a.out, e);
    std::cerr << "embed-text: wrote " << a.out << ": [" << e.size(0) << ", " << e.size(1) << "] float32\n";
    return;
  }
  const float* p = e.data_ptr<float>();
  for (int64_t i = 0; i < e.size(0); ++i) {
    const nlohmann::json row = {{"text", a.texts[static_cast<size_t>(i)]},
                                {"embedding", std::vector<float>(p + i * e.size(1), p + (i + 1) * e.size(1))}};
    std::cout << row.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  }
}
}  // namespace

void register_embed_text(CLI::App& app) {
  auto* cmd = app.add_subcommand("embed-text", "Embed texts (the arguments, or one per stdin line) with a "
                                               "model's text tower: unit-length 128-d vectors");
  auto a = std::make_shared<EmbedTextArgs>();
  add_model_option(cmd, a->model);
  add_device_option(cmd, a->params.device);
  cmd->add_option("--batch", a->params.text_batch, "Texts per forward pass")->capture_default_str()->check(positive_number());
  cmd->add_option("--out", a->out, "Write a float32 [N, 128] .npy instead of JSON lines on stdout");
  cmd->add_option("TEXT", a->texts, "Texts to embed; none reads stdin, one text a line");
  cmd->callback([a] { run_embed_text(*a); });
}

}  // namespace mulan::cli
