#include "train/checkpoint.h"

#include <torch/torch.h>

#include <filesystem>

#include "mulan/error.h"
#include "util/atomic_file.h"

namespace mulan::train {

void save_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::Optimizer& optimizer,
                     const CheckpointMeta& meta) {
  torch::serialize::OutputArchive archive;
  for (const auto& p : model.named_parameters(/*recurse=*/true)) archive.write("param." + p.key(), p.value().detach().cpu());
  for (const auto& b : model.named_buffers(/*recurse=*/true)) archive.write("buffer." + b.key(), b.value().cpu(), /*is_buffer=*/true);
  torch::serialize::OutputArchive opt;
  optimizer.save(opt);
  archive.write("optimizer", opt);
  archive.write("meta.step", torch::tensor(meta.step, torch::kInt64));
  archive.write("meta.seed", torch::tensor(static_cast<int64_t>(meta.seed), torch::kInt64));
  archive.write("meta.batch", torch::tensor(meta.batch, torch::kInt64));
  archive.write("meta.world", torch::tensor(meta.world, torch::kInt64));
  archive.write("meta.skipped_steps", torch::tensor(meta.skipped_steps, torch::kInt64));
  AtomicWriter out(path);
  archive.save_to(out.stream());
  if (!out.stream()) throw Error(file_error(path, "write failed"));
  out.commit();
}

namespace {
int64_t read_int(torch::serialize::InputArchive& archive, const std::string& key, const std::string& path) {
  torch::Tensor t;
  if (!archive.try_read(key, t)) throw Error(file_error(path, "checkpoint has no '" + key + "'"));
  return t.item<int64_t>();
}

void restore(torch::serialize::InputArchive& archive, const std::string& key, torch::Tensor& into, bool is_buffer,
             const std::string& path) {
  torch::Tensor t;
  if (!archive.try_read(key, t, is_buffer)) throw Error(file_error(path, "checkpoint lacks tensor '" + key + "'"));
  if (t.sizes() != into.sizes()) {
    std::ostringstream why;
    why << "tensor '" << key << "' has shape " << t.sizes() << ", the model expects " << into.sizes();
    throw Error(file_error(path, why.str()));
  }
  torch::NoGradGuard no_grad;
  into.copy_(t);
}
}  // namespace

CheckpointMeta load_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::Optimizer& optimizer) {
  if (!std::filesystem::is_regular_file(path)) throw Error(file_error(path, "no checkpoint to resume from"));
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path);
  } catch (const c10::Error& e) {
    throw Error(file_error(path, "not a readable checkpoint (" + std::string(e.what_without_backtrace()) + ")"));
  }
  try {
    for (auto& p : model.named_parameters(true)) restore(archive, "param." + p.key(), p.value(), false, path);
    for (auto& b : model.named_buffers(true)) restore(archive, "buffer." + b.key(), b.value(), true, path);
    torch::serialize::InputArchive opt;
    if (!archive.try_read("optimizer", opt)) throw Error(file_error(path, "checkpoint has no optimiser state"));
    optimizer.load(opt);
  } catch (const c10::Error& e) {
    throw Error(file_error(path, "checkpoint does not fit this model and optimiser (" + std::string(e.what_without_backtrace()) + ")"));
  }
  CheckpointMeta m;
  m.step = read_int(archive, "meta.step", path);
  m.seed = static_cast<uint64_t>(read_int(archive, "meta.seed", path));
  m.batch = read_int(archive, "meta.batch", path);
  m.world = read_int(archive, "meta.world", path);
  m.skipped_steps = read_int(archive, "meta.skipped_steps", path);
  return m;
}

}  // namespace mulan::train
