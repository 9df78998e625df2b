// mulan init --preset NAME --out DIR [--seed S]: a randomly initialised model directory.
#include <filesystem>
#include <iostream>

#include "commands.h"
#include "mulan/manifest.h"
#include "mulan/presets.h"
#include "mulan/error.h"
#include "mulan/model.h"
#include "mulan/atomic_file.h"

namespace mulan::cli {

namespace {
struct InitArgs {
  std::string preset, out;
  uint64_t seed = 0;
  int tagger_classes = 0;
  std::string vocab_from;
  bool force = false;
};

void run_init(const InitArgs& a) {
  namespace fs = std::filesystem;
  MulanConfig config = model::preset(a.preset);
  config.audio->tagger_classes = a.tagger_classes;
  if (fs::exists(fs::path(a.out) / "config.json") && !a.force) {
    throw Error(file_error(a.out, "already holds a model (config.json); --force replaces it"));
  }
  std::error_code ec;
  fs::create_directories(a.out, ec);
  if (ec) throw Error(file_error(a.out, "cannot create: " + ec.message()));
  std::vector<std::string> words = model::default_vocab(config.text->vocab_size);
  if (!a.vocab_from.empty()) {  // the words of a corpus join the vocabulary
    data::ManifestOptions opt;
    opt.check_audio_exists = false;
    const data::Manifest m = data::read_manifest(a.vocab_from, opt);
    std::vector<std::string> texts;
    for (const data::Recording& r : m.rows) {
      for (const auto& [source, list] : r.texts) texts.insert(texts.end(), list.begin(), list.end());
      texts.insert(texts.end(), r.tags.begin(), r.tags.end());
    }
    words = model::vocab_with_words(texts, 1, a.preset == "tiny" || a.preset == "tiny-ast" ? 0 : config.text->vocab_size);
    config.text->vocab_size = static_cast<int>(words.size());
    if (config.text->vocab_size > 200000) throw Error(file_error(a.vocab_from, "more than 200000 distinct words: too many for a vocabulary"));
  }
  std::string vocab_text;
  for (const std::string& t : words) vocab_text += t + "\n";
  const std::string vocab = (fs::path(a.out) / "vocab.txt").string();
  write_file_atomic(vocab, vocab_text);
  const Model m = Model::init(config, a.seed);
  m.save(a.out, vocab);
  int64_t params = 0;
  for (const auto& [name, t] : m.state()) params += t.numel();
  std::cerr << "init: wrote " << a.out << " (preset " << a.preset << ", seed " << a.seed << ", "
            << params << " parameters)\n";
}
}  // namespace

void register_init(CLI::App& app) {
  auto* cmd = app.add_subcommand("init", "Write a randomly initialised model directory (config.json, "
                                         "model.safetensors, vocab.txt) of a preset size");
  auto a = std::make_shared<InitArgs>();
  cmd->add_option("--preset", a->preset,
                  "tiny (a small ResNet and a 2-layer width-128 BERT: trains on 2 CPU cores), tiny-ast (the same "
                  "with a 2-layer width-64 AST), base-resnet or "
                  "base-ast (the paper's sizes: ResNet-50 or ViT-Base AST, and bert-base-uncased)")
      ->required()
      ->check(CLI::IsMember(model::preset_names()));
  cmd->add_option("--out", a->out, "Model directory to create")->required();
  cmd->add_option("--seed", a->seed, "Seed of the random initialisation")->capture_default_str();
  cmd->add_option("--tagger-classes", a->tagger_classes,
                  "Add an AudioSet-style tagger head with this many classes (527 for AudioSet) for mulan pretrain-tagger")
      ->check(CLI::Range(0, 100000));
  cmd->add_option("--vocab-from", a->vocab_from,
                  "A manifest whose texts and tags add their words to the vocabulary (a word not in the vocabulary "
                  "is spelled in characters)");
  cmd->add_flag("--force", a->force, "Replace a model already in --out");
  cmd->callback([a] { run_init(*a); });
}

}  // namespace mulan::cli
