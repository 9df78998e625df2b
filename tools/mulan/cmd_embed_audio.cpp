// mulan embed-audio --model DIR [--windows] [--batch N] [--threads J] [--out OUT.npy] FILE...
#include <torch/torch.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli_common.h"
#include "commands.h"
#include "mulan/audio_embed.h"
#include "mulan/error.h"
#include "mulan/npy.h"
#include "util/atomic_file.h"

namespace mulan::cli {

namespace {
struct EmbedAudioArgs {
  std::string model, out;
  std::vector<std::string> files;
  int batch = 8, threads = 1;
  bool windows = false;
};

std::vector<float> row(const at::Tensor& t) { return std::vector<float>(t.data_ptr<float>(), t.data_ptr<float>() + t.numel()); }

void run_embed_audio(const EmbedAudioArgs& a) {
  const Model model = Model::load(a.model);
  AudioEmbedOptions opts;
  opts.batch_windows = a.batch;
  opts.decode_threads = a.threads;
  opts.keep_windows = a.windows;
  std::vector<at::Tensor> rows;
  nlohmann::json index = nlohmann::json::array();  // what each .npy row is
  std::vector<std::string> failed;
  AudioEmbedder(model, opts).run(a.files, [&](AudioEmbedding&& e) {
    if (!e.error.empty()) {
      std::cerr << "mulan: skipped: " << printable(e.error) << "\n";
      failed.push_back(e.path);
      return;
    }
    if (!a.out.empty()) {
      if (a.windows) {
        rows.push_back(e.windows);
        for (double s : e.starts_s) index.push_back({{"path", e.path}, {"start_s", s}});
      } else {
        rows.push_back(e.embedding.unsqueeze(0));
        index.push_back({{"path", e.path}});
      }
      return;
    }
    nlohmann::json j = {{"path", e.path}, {"embedding", row(e.embedding)}};
    if (a.windows) {
      j["windows"] = nlohmann::json::array();
      for (size_t i = 0; i < e.starts_s.size(); ++i) {
        j["windows"].push_back({{"start_s", e.starts_s[i]}, {"embedding", row(e.windows[static_cast<int64_t>(i)])}});
      }
    }
    std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
  });
  if (!a.out.empty()) {
    const at::Tensor all = rows.empty() ? torch::zeros({0, model.config().embed_dim}) : torch::cat(rows);
    write_npy(a.out, all);
    write_file_atomic(a.out + ".json", index.dump(1) + "\n");
    std::cerr << "embed-audio: wrote " << a.out << ": [" << all.size(0) << ", " << all.size(1) << "] float32 and "
              << a.out << ".json (what each row is)\n";
  }
  if (!failed.empty()) {
    std::string list;
    for (const auto& f : failed) list += (list.empty() ? "" : ", ") + f;
    throw Error(std::to_string(failed.size()) + " of " + std::to_string(a.files.size()) +
                " files could not be embedded: " + list);
  }
}
}  // namespace

void register_embed_audio(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "embed-audio", "Embed recordings with a model's audio tower: consecutive 10 s windows (the last one aligned to "
                     "the end), their mean L2-normalised; one unit-length 128-d vector per file, in input order");
  auto a = std::make_shared<EmbedAudioArgs>();
  cmd->add_option("--model", a->model, "Model directory")->required();
  cmd->add_flag("--windows", a->windows, "Also give every window's embedding and start time");
  cmd->add_option("--batch", a->batch, "Windows per forward pass (from one or several files)")
      ->capture_default_str()->check(positive_number());
  cmd->add_option("--threads", a->threads, "Files decoded ahead in parallel with the model")
      ->capture_default_str()->check(CLI::Range(1, kMaxDecodeThreads));
  cmd->add_option("--out", a->out, "Write a float32 .npy ([files, 128], or [windows, 128] with --windows) and "
                                   "OUT.json naming each row, instead of JSON lines on stdout");
  cmd->add_option("FILE", a->files, "Audio files")->required();
  cmd->callback([a] { run_embed_audio(*a); });
}

}  // namespace mulan::cli
