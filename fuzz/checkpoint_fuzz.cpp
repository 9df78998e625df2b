// libFuzzer target for the training checkpoint loader (load_checkpoint): any bytes as
// checkpoint.safetensors, into a small model (a matrix, a bias, BatchNorm statistics) and an
// AdamW of two parameter groups. The loader must refuse (mulan::Error: one line that names the
// file) or restore; it must never let another exception out. Built with LibTorch by
// scripts/fuzz.sh under AddressSanitizer and UBSan.
//
// With MULAN_FUZZ_WRITE_SEEDS=DIR set, it writes valid checkpoints (before and after a step) to
// DIR and exits: the seeds of the corpus.
#include <ATen/Parallel.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "fuzz_support.h"
#include "mulan/error.h"
#include "train/checkpoint.h"

namespace {

struct Small : torch::nn::Module {
  Small() {
    w = register_parameter("w", torch::randn({4, 3}));
    b = register_parameter("b", torch::zeros({3}));
    bn = register_module("bn", torch::nn::BatchNorm1d(3));
  }
  torch::Tensor w, b;
  torch::nn::BatchNorm1d bn{nullptr};
};

std::shared_ptr<Small> model;

std::unique_ptr<torch::optim::AdamW> make_optimizer() {
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(std::vector<torch::Tensor>{model->w}, std::make_unique<torch::optim::AdamWOptions>(1e-3));
  groups.emplace_back(std::vector<torch::Tensor>{model->b, model->bn->weight, model->bn->bias},
                      std::make_unique<torch::optim::AdamWOptions>(1e-2));
  return std::make_unique<torch::optim::AdamW>(groups, torch::optim::AdamWOptions(1e-3));
}

void write_seeds(const std::string& dir) {
  auto opt = make_optimizer();
  mulan::train::CheckpointMeta meta;
  meta.batch = 4;
  mulan::train::save_checkpoint(dir, /*keep=*/2, *model, *opt, meta);
  model->train();
  const torch::Tensor y = model->bn->forward(torch::matmul(torch::randn({5, 4}), model->w) + model->b);
  y.pow(2).mean().backward();
  opt->step();
  meta.step = 1;
  mulan::train::save_checkpoint(dir, /*keep=*/2, *model, *opt, meta);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  at::set_num_threads(1);
  torch::manual_seed(1);
  model = std::make_shared<Small>();
  if (const char* seeds = std::getenv("MULAN_FUZZ_WRITE_SEEDS")) {
    write_seeds(seeds);
    std::exit(0);
  }
  mulan::fuzz::temp_input("checkpoint");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = mulan::fuzz::temp_input("checkpoint");  // this process's input file, rewritten for every input
  mulan::fuzz::write_input(path, data, size);
  auto opt = make_optimizer();
  try {
    const mulan::train::CheckpointMeta meta = mulan::train::load_checkpoint(path, *model, *opt);
    if (meta.step < 0 || meta.batch < 1 || meta.world < 1) std::abort();  // the loader's promise
    for (const auto& p : model->parameters()) {
      if (!torch::isfinite(p).all().item<bool>()) std::abort();
    }
  } catch (const mulan::Error& e) {
    mulan::fuzz::check_refusal(e.what(), path);
  }
  return 0;
}
