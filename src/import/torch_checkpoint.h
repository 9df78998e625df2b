// Reading PyTorch checkpoints written by torch.save (the zip format of PyTorch >= 1.6) that hold
// a state dict, without running any of the pickle's code.
//
//   mulan::TensorMap t = mulan::model::read_torch_checkpoint("pytorch_model.bin");
//
// The archive is read with libarchive's zip reader; "data.pkl" is read by a small unpickler that
// knows only the subset a state dict uses (dicts, OrderedDict, tuples, ints, floats, strings,
// tensors rebuilt from storages) and refuses every other global (os.system, builtins.eval, numpy,
// ...) by name. Storages are the records "data/<key>", raw little-endian bytes; map locations are
// ignored (everything lands on the CPU). A hostile file cannot make the reader hold much more
// memory than its tensors need: every record's declared size is checked before it is inflated
// (data.pkl: 32 MiB at most; a storage: exactly what the pickle says it holds, at most the file's
// size, all of them together at most 16 times the file's size) and inflating stops at the first
// byte past it; the unpickler builds at most ~1 million objects.
#pragma once

#include <string>

#include "mulan/safetensors.h"

namespace mulan::model {

// Returns name -> tensor for the state dict in the checkpoint at `path`: either the top-level
// dict itself (plain dict or OrderedDict, as torch.save(model.state_dict()) writes it) or, when
// the top level is a wrapper dict, the dict under "state_dict" (else "model"); the wrapper's
// other entries ("epoch": 3, ...) are skipped. Every key of the state dict must be a string and
// every value a tensor. Tensors keep their dtype and shape; each is a contiguous CPU tensor that
// owns its memory, even where the file stored several as views of one storage (tied weights).
// Throws mulan::Error naming the file, in one line, for anything else: not a torch.save zip, a
// truncated or malformed archive or pickle, a disallowed global, a view that reaches past its
// storage, a record or pickle past the limits above.
TensorMap read_torch_checkpoint(const std::string& path);

}  // namespace mulan::model
