// mulan tag --model DIR --tags TAGS.txt [--prompt P] [--top K | --threshold T] [--csv]
// FILE|FOLDER... | --index LIB: zero-shot tags of a user's recordings.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli_common.h"
#include "commands.h"
#include "mulan/context.h"
#include "mulan/error.h"
#include "mulan/library.h"

namespace mulan::cli {

namespace {

using json = nlohmann::json;

struct TagArgs {
  std::string model, tags_file, prompt = "{}", index, device = default_params().device;
  int64_t top = 0;
  double threshold = -2;
  bool csv = false;
  int threads = default_params().decode_threads;
  std::vector<std::string> inputs;
};


std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

void run_tag(const TagArgs& a) {
  if (a.top > 0 && a.threshold > -2) throw UsageError("give --top or --threshold, not both");
  if (a.index.empty() == a.inputs.empty()) throw UsageError("give files or folders to tag, or --index LIB");
  const auto tags = read_tag_list(a.tags_file);
  ContextParams params = default_params();
  params.device = a.device;
  params.decode_threads = a.threads;

  std::vector<std::string> paths;
  std::vector<int64_t> ids;
  at::Tensor audio;
  std::shared_ptr<const Context> ctx;
  std::vector<Failure> skipped;
  if (!a.index.empty()) {
    auto lib = Library::open(a.index);
    ctx = lib->load_model(a.model, params);
    for (const auto& t : lib->tracks()) {
      paths.push_back(t.path);
      ids.push_back(t.id);
    }
    auto v = lib->embeddings();
    audio = at::from_blob(v.data(), {static_cast<int64_t>(paths.size()), lib->embed_dim()}, at::kFloat).clone();
  } else {
    if (a.model.empty()) throw UsageError("--model is required unless --index names a library");
    ctx = Context::load(a.model, params);
    const auto files = find_audio_files(a.inputs, &skipped);
    std::vector<at::Tensor> rows;
    ctx->embed_audio(AudioSource::files(files), [&](AudioEmbedding&& e) {
      if (!e.ok()) {
        skipped.push_back(*e.failure);
        return;
      }
      paths.push_back(e.path);
      rows.push_back(e.embedding);
    });
    if (rows.empty()) {
      print_skipped(skipped);
      throw Error("no recording could be embedded");
    }
    audio = at::stack(rows);
  }
  const at::Tensor scores = ctx->tag_scores(audio, tags, a.prompt).to(at::kDouble).contiguous();
  const double* s = scores.data_ptr<double>();
  const std::size_t T = tags.size();
  const bool ranked = a.top > 0 || a.threshold > -2;

  if (a.csv) {
    std::cout << (ranked ? "path,tag,score\n" : "path");
    if (!ranked) {
      for (const auto& t : tags) std::cout << "," << csv_field(t);
      std::cout << "\n";
    }
  }
  for (std::size_t i = 0; i < paths.size(); ++i) {
    std::vector<std::size_t> order(T);
    for (std::size_t j = 0; j < T; ++j) order[j] = j;
    if (ranked) {
      std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) { return s[i * T + x] > s[i * T + y]; });
      std::size_t keep = a.top > 0 ? std::min<std::size_t>(T, static_cast<std::size_t>(a.top)) : T;
      if (a.threshold > -2) {
        keep = static_cast<std::size_t>(std::count_if(order.begin(), order.end(), [&](std::size_t j) { return s[i * T + j] >= a.threshold; }));
      }
      order.resize(keep);
    }
    if (a.csv) {
      char buf[32];
      if (ranked) {
        for (std::size_t j : order) {
          std::snprintf(buf, sizeof buf, "%.6f", s[i * T + j]);
          std::cout << csv_field(paths[i]) << "," << csv_field(tags[j]) << "," << buf << "\n";
        }
      } else {
        std::cout << csv_field(paths[i]);
        for (std::size_t j = 0; j < T; ++j) {
          std::snprintf(buf, sizeof buf, "%.6f", s[i * T + j]);
          std::cout << "," << buf;
        }
        std::cout << "\n";
      }
      continue;
    }
    json row = {{"path", paths[i]}};
    if (!ids.empty()) row["id"] = ids[i];
    if (ranked) {
      json list = json::array();
      for (std::size_t j : order) list.push_back({{"tag", tags[j]}, {"score", s[i * T + j]}});
      row["tags"] = list;
    } else {
      json all = json::object();
      for (std::size_t j = 0; j < T; ++j) all[tags[j]] = s[i * T + j];
      row["scores"] = all;
    }
    std::cout << row.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
  }
  finish_stdout();
  print_skipped(skipped);
  if (!skipped.empty()) throw Error(std::to_string(skipped.size()) + " recordings could not be tagged (listed above)");
}

}  // namespace

void register_tag(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "tag",
      "Zero-shot tags: score every tag of a list against recordings (files, folders, or a library's tracks). JSON Lines "
      "with every tag's score, or the best ones with --top / --threshold; CSV with --csv");
  auto a = std::make_shared<TagArgs>();
  cmd->add_option("--model", a->model, "Model directory (default with --index: the library's model)");
  cmd->add_option("--tags", a->tags_file, "Tag list: one tag a line (# starts a comment)")->required();
  cmd->add_option("--prompt", a->prompt, "Text each tag is put into, at {} (\"a recording with a {} feel\")")
      ->capture_default_str();
  auto* top = cmd->add_option("--top", a->top, "Only the K best tags of each recording")->check(CLI::Range(int64_t{1}, int64_t{100000}));
  cmd->add_option("--threshold", a->threshold, "Only tags scoring at least T (a cosine, -1..1)")
      ->check(CLI::Range(-1.0, 1.0))
      ->excludes(top);
  cmd->add_flag("--csv", a->csv, "CSV instead of JSON Lines");
  cmd->add_option("--index", a->index, "Tag the tracks of this library (no audio is decoded again)");
  add_device_option(cmd, a->device);
  add_threads_option(cmd, a->threads);
  cmd->add_option("INPUT", a->inputs, "Audio files, folders (scanned recursively) or manifests");
  cmd->callback([a] { run_tag(*a); });
}

}  // namespace mulan::cli
