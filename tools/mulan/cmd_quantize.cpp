// mulan quantize --model DIR --out DIR_INT8 [--force]: the int8 form of a model directory.
#include <cstdio>
#include <iostream>
#include <memory>

#include <filesystem>

#include "commands.h"
#include "mulan/error.h"
#include "mulan/quantize.h"

namespace mulan::cli {

namespace {
struct QuantizeArgs {
  std::string model, out;
  bool force = false;
};

void run_quantize(const QuantizeArgs& a) {
  // The library refuses this too, in its own words; here the user learns the flag.
  if (!a.force && std::filesystem::exists(std::filesystem::path(a.out) / "config.json")) {
    throw UsageError(file_error(a.out, "already holds a model (config.json); --force replaces it"));
  }
  const QuantizeSummary s = quantize_model_dir(a.model, a.out, a.force);
  char line[256];
  std::snprintf(line, sizeof line, "quantize: wrote %s: %lld weights in int8, %lld tensors in float; %.1f MB -> %.1f MB; "
                "largest weight error %.2g of the weight's peak\n",
                a.out.c_str(), static_cast<long long>(s.int8_tensors), static_cast<long long>(s.float_tensors),
                static_cast<double>(s.bytes_before) / 1e6, static_cast<double>(s.bytes_after) / 1e6, s.max_relative_error);
  std::cerr << line;
}
}  // namespace

void register_quantize(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "quantize",
      "Write the int8 form of a model directory: every weight matrix and convolution kernel as int8 with a float "
      "scale per output channel (about 4x smaller). Every inference command loads it as it loads a float model; "
      "its linear layers of 512 x 512 weights or more run int8 kernels on the CPU. Training refuses it.");
  auto a = std::make_shared<QuantizeArgs>();
  cmd->add_option("--model", a->model, "The float model directory")->required();
  cmd->add_option("--out", a->out, "The int8 model directory to write (not --model itself)")->required();
  cmd->add_flag("--force", a->force, "Replace a model already in --out");
  cmd->callback([a] { run_quantize(*a); });
}

}  // namespace mulan::cli
