// mulan embed-audio --model DIR [--device D] [--windows] [--batch N] [--threads J] [--out OUT.npy] FILE...
#include <torch/torch.h>

#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli_common.h"
#include "commands.h"
#include "mulan/context.h"
#include "mulan/error.h"
#include "mulan/library.h"
#include "mulan/npy.h"
#include "mulan/atomic_file.h"

namespace mulan::cli {

namespace {
struct EmbedAudioArgs {
  std::string model, out;
  std::vector<std::string> files;
  ContextParams params = [] {
    ContextParams p = default_params();
    p.towers = "audio";  // the text tower is not read
    return p;
  }();
  bool windows = false;
};

std::vector<float> row(const at::Tensor& t) { return std::vector<float>(t.data_ptr<float>(), t.data_ptr<float>() + t.numel()); }

// Folders replaced by the audio files in them (recursively, in path order); everything else as given.
std::vector<std::string> expand_folders(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  for (const auto& arg : args) {
    std::error_code ec;
    if (!std::filesystem::is_directory(arg, ec)) {
      out.push_back(arg);
      continue;
    }
    const auto found = find_audio_files({arg});
    if (found.empty()) throw Error(file_error(arg, "holds no audio file"));
    out.insert(out.end(), found.begin(), found.end());
  }
  return out;
}

void run_embed_audio(EmbedAudioArgs a) {
  a.files = expand_folders(a.files);
  const auto ctx = Context::load(a.model, a.params);
  std::vector<at::Tensor> rows;
  nlohmann::json index = nlohmann::json::array();  // what each .npy row is
  std::vector<std::string> failed;
  ctx->embed_audio(AudioSource::files(a.files), [&](AudioEmbedding&& e) {
    if (e.failure) {
      std::cerr << "mulan: skipped: " << printable(e.failure->text()) << "\n";
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
  }, a.windows);
  if (!a.out.empty()) {
    const at::Tensor all = rows.empty() ? torch::zeros({0, ctx->embed_dim()}) : torch::cat(rows);
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
  add_model_option(cmd, a->model);
  add_device_option(cmd, a->params.device);
  cmd->add_flag("--windows", a->windows, "Also give every window's embedding and start time");
  cmd->add_option("--batch", a->params.audio_batch_windows, "Windows per forward pass (from one or several files)")
      ->capture_default_str()->check(positive_number());
  add_threads_option(cmd, a->params.decode_threads);
  cmd->add_option("--out", a->out, "Write a float32 .npy ([files, 128], or [windows, 128] with --windows) and "
                                   "OUT.json naming each row, instead of JSON lines on stdout");
  cmd->add_option("FILE", a->files, "Audio files, folders (every audio file in them, recursively), or members of WebDataset shards (SHARD.tar#KEY.flac)")->required();
  cmd->callback([a] { run_embed_audio(*a); });
}

}  // namespace mulan::cli
