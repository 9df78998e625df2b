// mulan import bert HF_DIR --into MODEL_DIR: checkpoints made elsewhere, renamed into ours.
#include <iostream>

#include "commands.h"
#include "model/import_bert.h"

namespace mulan::cli {

namespace {
struct ImportArgs {
  std::string source, into;
  uint64_t seed = 0;
  bool drop_extra = false;
};
}  // namespace

void register_import(CLI::App& app) {
  auto* cmd = app.add_subcommand("import", "Bring a checkpoint made elsewhere into a model directory");
  cmd->require_subcommand(1);
  auto* bert = cmd->add_subcommand(
      "bert", "A Hugging Face BERT folder (config.json, model.safetensors, vocab.txt) into the text tower; "
              "the pooler and pre-training heads are dropped");
  auto a = std::make_shared<ImportArgs>();
  bert->add_option("HF_DIR", a->source, "Hugging Face BERT folder")->required();
  bert->add_option("--into", a->into, "Model directory (created, or its text tower replaced)")->required();
  bert->add_option("--seed", a->seed, "Seed for a new projection layer")->capture_default_str();
  bert->add_flag("--drop-extra", a->drop_extra, "Leave out tensors that are not part of a BertModel instead of refusing");
  bert->callback([a] {
    const model::ImportReport r = model::import_bert(a->source, a->into, a->seed, a->drop_extra);
    std::cerr << "import: " << a->source << " -> " << a->into << " (text tower; " << r.dropped.size()
              << " tensors dropped; projection " << (r.projection_kept ? "kept" : "newly initialised") << ")\n";
  });
}

}  // namespace mulan::cli
