// A model directory to train from: a preset's towers, randomly initialised, and a vocabulary
// that may take in the words of a training corpus (mulan/train.h).
#include <filesystem>

#include "mulan/atomic_file.h"
#include "mulan/error.h"
#include "mulan/manifest.h"
#include "mulan/model.h"
#include "mulan/presets.h"
#include "mulan/train.h"

namespace mulan::train {
namespace fs = std::filesystem;

namespace {
// Every text and tag of a manifest (audio paths are not checked: only the words matter).
std::vector<std::string> corpus_texts(const std::string& manifest) {
  data::ManifestOptions opt;
  opt.check_audio_exists = false;
  const data::Manifest m = data::read_manifest(manifest, opt);
  std::vector<std::string> texts;
  for (const data::Recording& r : m.rows) {
    for (const auto& [source, list] : r.texts) texts.insert(texts.end(), list.begin(), list.end());
    texts.insert(texts.end(), r.tags.begin(), r.tags.end());
  }
  return texts;
}
}  // namespace

InitSummary init_model(const InitOptions& o) {
  MulanConfig config = model::preset(o.preset);
  if (o.tagger_classes < 0 || o.tagger_classes > 100000) {
    throw OptionError("tagger_classes", "must be in 0..100000, not " + std::to_string(o.tagger_classes));
  }
  config.audio->tagger_classes = o.tagger_classes;
  if (fs::exists(fs::path(o.out_dir) / "config.json") && !o.force) {
    throw Error(file_error(o.out_dir, "already holds a model (config.json); the force option replaces it"));
  }
  std::error_code ec;
  fs::create_directories(o.out_dir, ec);
  if (ec) throw Error(file_error(o.out_dir, "cannot create: " + ec.message()));
  std::vector<std::string> words = model::default_vocab(config.text->vocab_size);
  if (!o.vocab_from.empty()) {  // the words of a corpus join the vocabulary
    const bool tiny = o.preset == "tiny" || o.preset == "tiny-ast";
    words = model::vocab_with_words(corpus_texts(o.vocab_from), 1, tiny ? 0 : config.text->vocab_size);
    if (words.size() > 200000) throw Error(file_error(o.vocab_from, "more than 200000 distinct words: too many for a vocabulary"));
    config.text->vocab_size = static_cast<int>(words.size());
  }
  std::string vocab_text;
  for (const std::string& t : words) vocab_text += t + "\n";
  const std::string vocab = (fs::path(o.out_dir) / "vocab.txt").string();
  write_file_atomic(vocab, vocab_text);
  const Model m = Model::init(config, o.seed);
  m.save(o.out_dir, vocab);
  InitSummary s;
  for (const auto& [name, t] : m.state()) s.parameters += t.numel();
  return s;
}

}  // namespace mulan::train
