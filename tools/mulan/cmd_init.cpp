// mulan init --preset NAME --out DIR [--seed S]: a randomly initialised model directory.
#include <iostream>

#include <filesystem>

#include "commands.h"
#include "mulan/error.h"
#include "mulan/presets.h"
#include "mulan/train.h"

namespace mulan::cli {

namespace {
void run_init(const train::InitOptions& o) {
  // The library refuses this too, in its own words; here the user learns the flag.
  if (!o.force && std::filesystem::exists(std::filesystem::path(o.out_dir) / "config.json")) {
    throw Error(file_error(o.out_dir, "already holds a model (config.json); --force replaces it"));
  }
  const train::InitSummary s = train::init_model(o);
  std::cerr << "init: wrote " << o.out_dir << " (preset " << o.preset << ", seed " << o.seed << ", " << s.parameters
            << " parameters)\n";
}
}  // namespace

void register_init(CLI::App& app) {
  auto* cmd = app.add_subcommand("init", "Write a randomly initialised model directory (config.json, "
                                         "model.safetensors, vocab.txt) of a preset size");
  auto a = std::make_shared<train::InitOptions>();
  cmd->add_option("--preset", a->preset,
                  "tiny (a small ResNet and a 2-layer width-128 BERT: trains on 2 CPU cores), tiny-ast (the same "
                  "with a 2-layer width-64 AST), base-resnet or "
                  "base-ast (the paper's sizes: ResNet-50 or ViT-Base AST, and bert-base-uncased)")
      ->required()
      ->check(CLI::IsMember(model::preset_names()));
  cmd->add_option("--out", a->out_dir, "Model directory to create")->required();
  cmd->add_option("--seed", a->seed, "Seed of the random initialisation")->capture_default_str();
  cmd->add_option("--tagger-classes", a->tagger_classes,
                  "Add an AudioSet-style tagger head with this many classes (527 for AudioSet) for mulan pretrain-tagger")
      ->check(CLI::Range(0, 100000));
  cmd->add_option("--vocab-from", a->vocab_from,
                  "A manifest whose texts and tags add their words to the vocabulary (a word not in the vocabulary "
                  "is spelled in characters)");
  cmd->add_flag("--force", a->force, "Replace a model already in --out");
  cmd->callback([a] { run_init(*a); });
}

}  // namespace mulan::cli
