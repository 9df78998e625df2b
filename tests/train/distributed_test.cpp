// Data-parallel training: 2 processes on loopback with batch B each equal 1 process with batch
// 2B (the loss of the global batch, gradients summed), loss for loss and parameter for
// parameter. The audio tower is tiny-ast (LayerNorm only: BatchNorm statistics are per process
// in data-parallel training, as in PyTorch's DDP without SyncBatchNorm) and dropout is off.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sndfile.h>
#include <sys/socket.h>
#include <torch/torch.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "mulan/safetensors.h"
#include "support/test_support.h"

namespace mulan::test {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

int free_port() {
  const int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  close(s);
  return ntohs(a.sin_port);
}

// Ten tones with texts and labels, a tiny-ast model without dropout, and a train.json (see below).
void make_run_inputs(const TempDir& dir) {
  fs::create_directories(dir.path() / "audio");
  {
    std::ofstream m(dir.file("manifest.jsonl"));
    for (int i = 0; i < 10; ++i) {
      const std::string name = "audio/t" + std::to_string(i) + ".wav";
      write_audio(dir.file(name), tone(200.0 * (1 + i), 2.0, 16000), 1, 16000, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
      m << json({{"id", "t" + std::to_string(i)}, {"audio", name},
                 {"texts", {{"sf", {"tone " + std::to_string(i)}}, {"pl", {"tones " + std::to_string(i % 3)}}}},
                 {"labels", {i < 4 ? "low" : i < 7 ? "middle" : "high"}}})
               .dump()
        << "\n";
    }
  }
  ASSERT_EQ(run_cli("init --preset tiny-ast --seed 5 --out " + shell_quote(dir.file("init"))).exit_code, 0) << "init";
  json config = json::parse(std::ifstream(dir.file("init/config.json")));
  config["text"]["hidden_dropout_prob"] = 0.0;
  config["text"]["attention_probs_dropout_prob"] = 0.0;
  std::ofstream(dir.file("init/config.json")) << config.dump(2);
  // adam_eps 1e-2: Adam's first steps move a weight by about lr x sign(gradient), so a weight
  // whose gradient is ~1e-9 (float rounding of a sum in another order) would move by +-lr on
  // one side and -+lr on the other; a large eps keeps updates proportional to gradients, so
  // what is compared is the gradient of the global batch.
  std::ofstream(dir.file("train.json"))
      << R"({"warmup_steps": 0, "lr": 0.01, "trunk_lr": 0.01, "adam_eps": 0.01, "val_every": 0, "log_every": 1})";
}

TensorMap final_weights(const std::string& run_dir) { return read_safetensors(run_dir + "/model/model.safetensors").tensors; }

// The largest difference between two runs' final weights, and the largest move from init.
std::pair<double, double> moved_and_differ(const std::string& init, const std::string& a, const std::string& b) {
  const TensorMap start = read_safetensors(init).tensors, p1 = final_weights(a), p2 = final_weights(b);
  EXPECT_EQ(p1.size(), p2.size());
  double moved = 0, differ = 0;
  for (const auto& [name, t] : p1) {
    moved = std::max(moved, (t - start.at(name)).abs().max().item<double>());
    differ = std::max(differ, (t - p2.at(name)).abs().max().item<double>());
  }
  return {moved, differ};
}

// Starts `args` as rank 1 (in the background) and rank 0 of a 2-process run on loopback.
CommandResult two_ranks(const TempDir& dir, const std::string& args) {
  const std::string env = "WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(free_port());
  return run_command("(" + env + " RANK=1 LOCAL_RANK=1 " + args + " > " + shell_quote(dir.file("rank1.log")) + " 2>&1 &) ; " + env +
                     " RANK=0 LOCAL_RANK=0 " + args + "; status=$?; sleep 1; cat " + shell_quote(dir.file("rank1.log")) +
                     "; exit $status");
}

TEST(DataParallel, TwoProcessesWithBatchBEqualOneProcessWithBatch2B) {
  TempDir dir;
  make_run_inputs(dir);
  const int steps = 4;
  auto args = [&](const std::string& out, int batch) {
    return std::string(MULAN_CLI) + " train --model " + shell_quote(dir.file("init")) + " --data " +
           shell_quote(dir.file("manifest.jsonl")) + " --out " + shell_quote(out) + " --config " + shell_quote(dir.file("train.json")) +
           " --steps " + std::to_string(steps) + " --batch " + std::to_string(batch) + " --no-progress";
  };
  CommandResult one = run_command(args(dir.file("one"), 6));
  ASSERT_EQ(one.exit_code, 0) << one.err;
  const std::string env = "WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(free_port());
  CommandResult two = run_command("(" + env + " RANK=1 LOCAL_RANK=1 " + args(dir.file("two"), 3) + " > " + shell_quote(dir.file("rank1.log")) +
                                  " 2>&1 &) ; " + env + " RANK=0 LOCAL_RANK=0 " + args(dir.file("two"), 3) + " && sleep 1 && cat " +
                                  shell_quote(dir.file("rank1.log")));
  ASSERT_EQ(two.exit_code, 0) << two.err << two.out;
  EXPECT_NE(two.err.find("data parallel over gloo, 2 processes"), std::string::npos) << two.err;

  const auto a = read_jsonl(dir.file("one/metrics.jsonl")), b = read_jsonl(dir.file("two/metrics.jsonl"));
  ASSERT_EQ(a.size(), static_cast<size_t>(steps));
  ASSERT_EQ(b.size(), a.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i]["loss"].get<double>(), b[i]["loss"].get<double>(), 1e-5) << "step " << i + 1;
  // The parameters moved, and moved the same.
  const TensorMap init = read_safetensors(dir.file("init/model.safetensors")).tensors;
  const TensorMap p1 = read_safetensors(dir.file("one/model/model.safetensors")).tensors;
  const TensorMap p2 = read_safetensors(dir.file("two/model/model.safetensors")).tensors;
  ASSERT_EQ(p1.size(), p2.size());
  double moved = 0, differ = 0;
  for (const auto& [name, t] : p1) {
    moved = std::max(moved, (t - init.at(name)).abs().max().item<double>());
    differ = std::max(differ, (t - p2.at(name)).abs().max().item<double>());
  }
  EXPECT_GT(moved, 1e-4);  // 10x the tolerance below
  EXPECT_LT(differ, 1e-5);
  // Only rank 0 wrote the run.
  EXPECT_TRUE(fs::exists(dir.file("two/checkpoint-000000004.safetensors")));
}

// pretrain-tagger shares the loop: each process's BCE is the mean over its own batch, the global
// loss the mean of theirs, so again 2 processes with batch B equal 1 process with batch 2B. And
// a run is resumed only with the number of processes that wrote its checkpoints.
TEST(DataParallel, PretrainTaggerWithTwoProcessesEqualsOneWithTheWholeBatch) {
  TempDir dir;
  make_run_inputs(dir);
  std::ofstream(dir.file("labels.txt")) << "low\nmiddle\nhigh\n";
  ASSERT_EQ(run_cli("init --preset tiny-ast --seed 5 --tagger-classes 3 --out " + shell_quote(dir.file("tagger-init"))).exit_code, 0);
  const int steps = 4;
  auto args = [&](const std::string& out, int batch) {
    return std::string(MULAN_CLI) + " pretrain-tagger --model " + shell_quote(dir.file("tagger-init")) + " --data " +
           shell_quote(dir.file("manifest.jsonl")) + " --labels " + shell_quote(dir.file("labels.txt")) + " --out " + shell_quote(out) +
           " --config " + shell_quote(dir.file("train.json")) + " --steps " + std::to_string(steps) + " --batch " +
           std::to_string(batch) + " --no-progress";
  };
  const CommandResult one = run_command(args(dir.file("one"), 4));
  ASSERT_EQ(one.exit_code, 0) << one.err;
  const CommandResult two = two_ranks(dir, args(dir.file("two"), 2));
  ASSERT_EQ(two.exit_code, 0) << two.err << two.out;
  EXPECT_NE(two.err.find("mulan pretrain-tagger: data parallel over gloo, 2 processes"), std::string::npos) << two.err;
  // Rank 0's summary: the loss of the global batch, and pairs per second of both processes.
  const auto a = read_jsonl(dir.file("one/metrics.jsonl")), b = read_jsonl(dir.file("two/metrics.jsonl"));
  ASSERT_EQ(a.size(), static_cast<size_t>(steps));
  ASSERT_EQ(b.size(), a.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_NEAR(a[i]["loss"].get<double>(), b[i]["loss"].get<double>(), 1e-5) << "step " << i + 1;
    EXPECT_NEAR(a[i]["loss_mean"].get<double>(), b[i]["loss_mean"].get<double>(), 1e-5) << "step " << i + 1;
  }
  const auto [moved, differ] = moved_and_differ(dir.file("tagger-init/model.safetensors"), dir.file("one"), dir.file("two"));
  EXPECT_GT(moved, 1e-4);
  EXPECT_LT(differ, 1e-5);
  // Resumed by one process, the two-process run's checkpoint is refused, and the other way round.
  CommandResult r = run_command(args(dir.file("two"), 2) + " --resume");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("checkpoint-000000004.safetensors"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("processes 2 (now 1)"), std::string::npos) << r.err;
  r = two_ranks(dir, args(dir.file("one"), 4) + " --resume");  // 8 recordings a step: the data allow it
  EXPECT_NE(r.exit_code, 0) << r.err;
  EXPECT_NE((r.err + r.out).find("processes 1 (now 2)"), std::string::npos) << r.err << r.out;
}

// The README's command: the ranks started by the torchrun that Debian ships (torch 1.13), which
// hosts the rendezvous store in its agent; then one rank SIGKILLed mid-run: torchrun restarts
// the group with the same command line, which resumes from the last checkpoint and ends with
// the weights of the run that was never interrupted.
TEST(DataParallel, TorchrunRestartsAKilledRankAndTheRunEndsWithTheUninterruptedWeights) {
  TempDir dir;
  make_run_inputs(dir);
  auto torchrun = [&](const std::string& out, const std::string& extra) {
    return "torchrun --nproc_per_node 2 --master_addr 127.0.0.1 --master_port " + std::to_string(free_port()) + " " + extra +
           " --no_python -r 2 -t 2 --log_dir " + shell_quote(out + "-logs") + " " + MULAN_CLI + " train --model " +
           shell_quote(dir.file("init")) + " --data " + shell_quote(dir.file("manifest.jsonl")) + " --out " + shell_quote(out) +
           " --config " + shell_quote(dir.file("train.json")) + " --steps 16 --batch 3 --checkpoint-every 1 --resume --no-progress";
  };
  const CommandResult whole = run_command(torchrun(dir.file("whole"), ""));
  ASSERT_EQ(whole.exit_code, 0) << whole.err << whole.out;
  EXPECT_NE((whole.err + whole.out).find("data parallel over gloo, 2 processes"), std::string::npos) << whole.err << whole.out;

  const std::string cut = dir.file("cut");
  const CommandResult elastic = run_command(
      torchrun(cut, "--max_restarts 1") + " > " + shell_quote(dir.file("elastic.log")) + " 2>&1 & agent=$!; " +
      "for i in $(seq 600); do ls " + shell_quote(cut) + "/checkpoint-00000000[4-9].safetensors >/dev/null 2>&1 && break; sleep 0.05; done; " +
      "pkill -KILL -n -f -- '--out " + cut + " ' && echo killed; wait $agent; echo status $?");
  EXPECT_NE(elastic.out.find("killed"), std::string::npos) << elastic.out << slurp(dir.file("elastic.log"));
  EXPECT_NE(elastic.out.find("status 0"), std::string::npos) << elastic.out << slurp(dir.file("elastic.log"));
  const std::string log = slurp(dir.file("elastic.log"));
  EXPECT_NE(log.find("resuming from"), std::string::npos) << log;
  const TensorMap a = final_weights(dir.file("whole")), b = final_weights(cut);
  ASSERT_EQ(a.size(), b.size());
  double differ = 0;
  for (const auto& [name, t] : a) differ = std::max(differ, (t - b.at(name)).abs().max().item<double>());
  EXPECT_LT(differ, 1e-6) << log;
}

}  // namespace
}  // namespace mulan::test
