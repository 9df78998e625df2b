// Checkpoints made elsewhere, into the towers of a model directory: a Hugging Face BERT folder
// into the text tower, the public AST checkpoint or a torchvision ResNet into the audio tower.
#pragma once

#include <cstdint>
#include <string>

#include <vector>

namespace mulan::model {

struct ImportReport {
  std::vector<std::string> dropped;  // tensors left out on purpose (pooler, heads, fc, ...)
  bool projection_kept = false;      // the tower's projection came from the existing directory
};


struct AstImportOptions {
  int fstride = 10;           // the checkpoint's patch strides (the public one: 10 and 10)
  int tstride = 10;
  int heads = 12;             // not recorded in the weights; ViT-Base has 12
  bool drop_extra = false;    // leave out unknown tensors instead of refusing
  // Keep the checkpoint's AudioSet head (mlp_head: LayerNorm, then Linear to 527 classes) as the
  // tagger ("audio.tagger_norm.", "audio.tagger."), e.g. as a music detector for mulan mine.
  bool keep_head = false;
};

// The public AST checkpoint (a torch.save of a DataParallel state dict, "module.v.*" names,
// fused qkv, cls and dist tokens): sizes are read off the tensors; pos_embed is resized
// (bilinear over the patch grid) from the checkpoint's grid to the window's; the heads (head,
// head_dist, mlp_head) are dropped, or mlp_head kept as the tagger with keep_head.
ImportReport import_ast(const std::string& checkpoint, const std::string& model_dir, uint64_t seed,
                        const AstImportOptions& options);

// A torchvision-style ResNet state dict (.pth or .safetensors): a three-channel conv1 is summed
// over its input channels into one; fc is dropped; blocks per stage and width are read off the
// tensors.
ImportReport import_resnet(const std::string& state_dict, const std::string& model_dir, uint64_t seed,
                           bool drop_extra);

// The whole import: HF_DIR into MODEL_DIR (created, or its text tower replaced).
ImportReport import_bert(const std::string& hf_dir, const std::string& model_dir, uint64_t seed, bool drop_extra);

}  // namespace mulan::model
