// Data-parallel training over torch's c10d: a TCPStore rendezvous from the torchrun
// environment (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT; so torchrun, Slurm or an
// MPI launcher can start it) and a process group: NCCL when the training device is CUDA and
// LibTorch was built with it (USE_C10D_NCCL, which a CUDA LibTorch's CMake targets define), the
// tensors staying on the GPU; otherwise Gloo, with CUDA tensors staged through the CPU.
//
// The loss is the loss of the global batch: every process gathers every process's embeddings
// (gather_rows), computes the same global loss, and back-propagates into its own rows only;
// the sum of the processes' gradients (sum_gradients) is then the gradient of the global loss,
// exactly as one process with the whole batch would compute it. A parameter that enters the
// loss directly (the temperature) has its whole gradient on every process: the caller divides
// it by the world size before the sum.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <memory>
#include <string>
#include <vector>

namespace mulan::train {

struct DistEnv {
  int rank = 0;
  int world = 1;
  int local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  double timeout_s = 600;  // MULAN_DIST_TIMEOUT_S: how long to wait for the others
  // torchrun's agent hosts the rendezvous store on MASTER_PORT itself
  // (TORCHELASTIC_USE_AGENT_STORE=True): every rank joins it as a client, under a prefix of the
  // restart count (TORCHELASTIC_RESTART_COUNT), as PyTorch's env:// does.
  bool use_agent_store = false;
  int restart_count = 0;
};

// Reads the environment; WORLD_SIZE unset means one process. Throws mulan::Error naming the
// variable when one is malformed or inconsistent.
DistEnv dist_env_from_environment();

class Distributed {
 public:
  // Joins the group (blocks until all have joined). device: where this process trains
  // (cuda:LOCAL_RANK for NCCL).
  explicit Distributed(const DistEnv& env, c10::Device device = c10::Device(c10::kCPU));
  ~Distributed();

  int rank() const;
  int world() const;
  std::string backend() const;  // "nccl" or "gloo"
  // local: [B, d] on any device -> [world x B, d] in rank order; only this process's rows
  // carry gradient (the others are constants here and get theirs on their own process).
  at::Tensor gather_rows(const at::Tensor& local);
  // Sums the gradients of params over the processes (in place, one flat all-reduce).
  void sum_gradients(const std::vector<at::Tensor>& params);
  // Copies root's values of tensors to every process (in place).
  void broadcast(const std::vector<at::Tensor>& tensors, int root = 0);
  void barrier();
  // True on every process when `flag` is true on any (an all-reduce of one number).
  bool any(bool flag);
  // The sum of `value` over the processes, on every process (an all-reduce of one float64; a
  // NaN on any process makes the sum NaN everywhere).
  double sum(double value);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mulan::train
