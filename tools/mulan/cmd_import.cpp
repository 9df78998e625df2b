// mulan import bert|ast|resnet SOURCE --into MODEL_DIR: checkpoints made elsewhere, renamed
// into ours.
#include <iostream>

#include "commands.h"
#include "mulan/import.h"

namespace mulan::cli {

namespace {
struct ImportArgs {
  std::string source, into;
  uint64_t seed = 0;
  bool drop_extra = false;
  model::AstImportOptions ast;
};

void report(const ImportArgs& a, const char* tower, const model::ImportReport& r) {
  std::cerr << "import: " << a.source << " -> " << a.into << " (" << tower << "; " << r.dropped.size()
            << " tensors dropped; projection " << (r.projection_kept ? "kept" : "newly initialised") << ")\n";
}

// The options every importer shares.
std::shared_ptr<ImportArgs> common(CLI::App* cmd, const char* source_help) {
  auto a = std::make_shared<ImportArgs>();
  cmd->add_option("SOURCE", a->source, source_help)->required();
  cmd->add_option("--into", a->into, "Model directory (created, or this tower replaced and the rest kept)")->required();
  cmd->add_option("--seed", a->seed, "Seed for a new projection layer")->capture_default_str();
  cmd->add_flag("--drop-extra", a->drop_extra, "Leave out tensors that are not part of the tower instead of refusing");
  return a;
}
}  // namespace

void register_import(CLI::App& app) {
  auto* cmd = app.add_subcommand("import", "Bring a checkpoint made elsewhere into a model directory");
  cmd->require_subcommand(1);
  auto* bert = cmd->add_subcommand(
      "bert", "A Hugging Face BERT folder (config.json, model.safetensors or pytorch_model.bin, vocab.txt) into the "
              "text tower; "
              "the pooler and pre-training heads are dropped");
  auto b = common(bert, "Hugging Face BERT folder");
  bert->callback([b] { report(*b, "text tower", model::import_bert(b->source, b->into, b->seed, b->drop_extra)); });

  auto* ast = cmd->add_subcommand(
      "ast", "The public AST checkpoint (torch.save of a DataParallel state dict, module.v.* names) into the audio "
             "tower; pos_embed is resized to the 10 s window's patch grid; the classifier heads are dropped, or the "
             "AudioSet head (mlp_head) kept as the tagger with --keep-head");
  auto a = common(ast, "AST checkpoint (.pth, or .safetensors)");
  ast->add_option("--fstride", a->ast.fstride, "The checkpoint's frequency stride")->capture_default_str();
  ast->add_option("--tstride", a->ast.tstride, "The checkpoint's time stride")->capture_default_str();
  ast->add_option("--heads", a->ast.heads, "Attention heads (not recorded in the weights)")->capture_default_str();
  ast->add_flag("--keep-head", a->ast.keep_head,
                "Keep mlp_head (LayerNorm + Linear to the 527 AudioSet classes) as the tagger head: a music detector for "
                "mulan mine --detector DIR --detector-labels class_labels_indices.csv --detector-class Music");
  ast->callback([a] {
    a->ast.drop_extra = a->drop_extra;
    report(*a, "audio tower, AST", model::import_ast(a->source, a->into, a->seed, a->ast));
  });

  auto* resnet = cmd->add_subcommand(
      "resnet", "A torchvision-style ResNet state dict into the audio tower; a three-channel conv1 is summed into one "
                "channel; fc is dropped");
  auto r = common(resnet, "ResNet state dict (.pth, or .safetensors)");
  resnet->callback([r] { report(*r, "audio tower, ResNet", model::import_resnet(r->source, r->into, r->seed, r->drop_extra)); });
}

}  // namespace mulan::cli
