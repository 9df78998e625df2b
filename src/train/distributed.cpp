#include "train/distributed.h"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/torch.h>
#ifdef USE_C10D_NCCL  // defined by a CUDA LibTorch's CMake targets when it has NCCL
#include <c10/cuda/CUDAFunctions.h>
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <cstdlib>

#include "mulan/error.h"

namespace mulan::train {

namespace {
int env_int(const char* name, int fallback, int lo, int hi) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  const long x = std::strtol(v, &end, 10);
  if (*end || x < lo || x > hi) {
    throw Error(std::string("environment variable ") + name + "='" + v + "' must be an integer in " + std::to_string(lo) + ".." +
                std::to_string(hi));
  }
  return static_cast<int>(x);
}
}  // namespace

DistEnv dist_env_from_environment() {
  DistEnv e;
  e.world = env_int("WORLD_SIZE", 1, 1, 65536);
  e.rank = env_int("RANK", 0, 0, 65535);
  e.local_rank = env_int("LOCAL_RANK", 0, 0, 65535);
  if (e.rank >= e.world) throw Error("environment: RANK=" + std::to_string(e.rank) + " must be below WORLD_SIZE=" + std::to_string(e.world));
  if (const char* a = std::getenv("MASTER_ADDR"); a && *a) e.master_addr = a;
  e.master_port = env_int("MASTER_PORT", 29500, 1, 65535);
  e.timeout_s = env_int("MULAN_DIST_TIMEOUT_S", 600, 1, 86400);
  if (e.world > 1 && !std::getenv("MASTER_PORT")) throw Error("environment: WORLD_SIZE > 1 needs MASTER_ADDR and MASTER_PORT");
  if (const char* a = std::getenv("TORCHELASTIC_USE_AGENT_STORE"); a && std::string(a) == "True") e.use_agent_store = true;
  e.restart_count = env_int("TORCHELASTIC_RESTART_COUNT", 0, 0, 1 << 20);
  return e;
}

struct Distributed::Impl {
  DistEnv env;
  c10::intrusive_ptr<c10d::Store> store;
  // One of the two. They share no base class across LibTorch versions (ProcessGroup in 1.x,
  // Backend in 2.x), so each collective goes through run().
  c10::intrusive_ptr<c10d::ProcessGroupGloo> gloo;
#ifdef USE_C10D_NCCL
  c10::intrusive_ptr<c10d::ProcessGroupNCCL> nccl;
#endif
  bool on_device() const {
#ifdef USE_C10D_NCCL
    return static_cast<bool>(nccl);
#else
    return false;
#endif
  }
  // Calls collective(group) on the group in use and waits for its work.
  template <class F>
  void run(F&& collective) {
#ifdef USE_C10D_NCCL
    if (nccl) {
      collective(*nccl)->wait();
      return;
    }
#endif
    collective(*gloo)->wait();
  }
  // What the group sends: the tensor itself for NCCL, a CPU copy for Gloo.
  at::Tensor stage(const at::Tensor& t) const { return on_device() ? t.contiguous() : t.to(torch::kCPU).contiguous(); }
  // One float64 number to reduce: on this process's GPU for NCCL (which takes no CPU tensors).
  at::Tensor stage_scalar(double v) const {
    const at::Tensor t = torch::tensor({v}, torch::kFloat64);
    return on_device() ? t.to(c10::Device(c10::kCUDA, device_index)) : t;
  }
  c10::DeviceIndex device_index = 0;  // the CUDA device of an NCCL group
};

Distributed::Distributed(const DistEnv& env, c10::Device device) : impl_(std::make_unique<Impl>()) {
  impl_->env = env;
  const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(env.timeout_s * 1000));
  try {
    c10d::TCPStoreOptions so;
    so.port = static_cast<uint16_t>(env.master_port);
    so.isServer = env.rank == 0 && !env.use_agent_store;
    so.numWorkers = static_cast<std::size_t>(env.world);
    so.timeout = timeout;
    if (env.use_agent_store) {
      so.waitWorkers = false;  // the agent's store counts its own clients
      impl_->store = c10::make_intrusive<c10d::PrefixStore>(
          "/worker/attempt_" + std::to_string(env.restart_count), c10::make_intrusive<c10d::TCPStore>(env.master_addr, so));
    } else {
      impl_->store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, so);
    }
#ifdef USE_C10D_NCCL
    if (device.is_cuda()) {
      c10::cuda::set_device(device.index());
      impl_->device_index = device.index();
      auto options = c10d::ProcessGroupNCCL::Options::create();
      options->timeout = timeout;
      impl_->nccl = c10::make_intrusive<c10d::ProcessGroupNCCL>(impl_->store, env.rank, env.world, options);
      return;
    }
#else
    (void)device;
#endif
    auto options = c10d::ProcessGroupGloo::Options::create(timeout);
    if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname) {
      options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
    } else if (env.master_addr == "localhost" || env.master_addr.starts_with("127.")) {
      options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
    } else {
      options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    }
    impl_->gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(impl_->store, env.rank, env.world, options);
  } catch (const std::exception& e) {
    throw Error("distributed: rank " + std::to_string(env.rank) + " of " + std::to_string(env.world) + " could not join " +
                env.master_addr + ":" + std::to_string(env.master_port) + " (" + e.what() + ")");
  }
}

Distributed::~Distributed() = default;

int Distributed::rank() const { return impl_->env.rank; }
int Distributed::world() const { return impl_->env.world; }
std::string Distributed::backend() const { return impl_->on_device() ? "nccl" : "gloo"; }

at::Tensor Distributed::gather_rows(const at::Tensor& local) {
  const at::Tensor send = impl_->stage(local.detach());
  std::vector<std::vector<at::Tensor>> out(1);
  for (int r = 0; r < world(); ++r) out[0].push_back(torch::empty_like(send));
  std::vector<at::Tensor> in = {send};
  impl_->run([&](auto& g) { return g.allgather(out, in); });
  std::vector<at::Tensor> rows;
  for (int r = 0; r < world(); ++r) rows.push_back(r == rank() ? local : out[0][r].to(local.device()));
  return torch::cat(rows, 0);
}

void Distributed::sum_gradients(const std::vector<at::Tensor>& params) {
  std::vector<at::Tensor> grads;
  for (const at::Tensor& p : params) {
    if (p.grad().defined()) grads.push_back(p.grad());
  }
  if (grads.empty()) return;
  std::vector<at::Tensor> flat_parts;
  for (const at::Tensor& g : grads) flat_parts.push_back(g.detach().to(torch::kFloat32).reshape({-1}));
  std::vector<at::Tensor> flat = {impl_->stage(torch::cat(flat_parts))};
  c10d::AllreduceOptions opt;
  opt.reduceOp = c10d::ReduceOp::SUM;
  impl_->run([&](auto& g) { return g.allreduce(flat, opt); });
  int64_t offset = 0;
  torch::NoGradGuard no_grad;
  for (at::Tensor& g : grads) {
    const int64_t n = g.numel();
    g.copy_(flat[0].slice(0, offset, offset + n).view(g.sizes()));
    offset += n;
  }
}

void Distributed::broadcast(const std::vector<at::Tensor>& tensors, int root) {
  torch::NoGradGuard no_grad;
  for (const at::Tensor& t : tensors) {
    std::vector<at::Tensor> buf = {impl_->stage(t.detach())};
    c10d::BroadcastOptions opt;
    opt.rootRank = root;
    impl_->run([&](auto& g) { return g.broadcast(buf, opt); });
    if (rank() != root) t.detach().copy_(buf[0]);
  }
}

bool Distributed::any(bool flag) {
  std::vector<at::Tensor> buf = {impl_->stage_scalar(flag ? 1.0 : 0.0)};
  c10d::AllreduceOptions opt;
  opt.reduceOp = c10d::ReduceOp::MAX;
  impl_->run([&](auto& g) { return g.allreduce(buf, opt); });
  return buf[0].item<double>() > 0;
}

double Distributed::sum(double value) {
  std::vector<at::Tensor> buf = {impl_->stage_scalar(value)};
  c10d::AllreduceOptions opt;
  opt.reduceOp = c10d::ReduceOp::SUM;
  impl_->run([&](auto& g) { return g.allreduce(buf, opt); });
  return buf[0].item<double>();
}

void Distributed::barrier() {
  impl_->run([](auto& g) { return g.barrier(); });
}

}  // namespace mulan::train
