// An inference-only program: embeds texts and audio files with a model directory and prints
// each file's cosine with each text. It links mulan::inference alone: no training,
// evaluation or synthesiser code (tests/layering checks what it links).
//
//   build/examples/mulan_embed_example MODEL_DIR "sad piano" "fast rock" -- a.flac b.wav
#include <cstdio>
#include <string>
#include <vector>

#include "mulan/context.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL_DIR TEXT... [-- AUDIO...]\n", argv[0]);
    return 2;
  }
  std::vector<std::string> texts, files;
  bool audio = false;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--") audio = true;
    else (audio ? files : texts).push_back(a);
  }
  try {
    const auto ctx = mulan::Context::load(argv[1]);
    const at::Tensor t = ctx->embed_texts(texts);
    int failed = 0;
    ctx->embed_audio(mulan::AudioSource::files(files), [&](mulan::AudioEmbedding&& e) {
      if (!e.ok()) {
        std::fprintf(stderr, "skipped: %s\n", e.failure->text().c_str());
        ++failed;
        return;
      }
      const at::Tensor s = mulan::cosine_scores(e.embedding.unsqueeze(0), t);
      for (size_t j = 0; j < texts.size(); ++j) {
        std::printf("%s\t%s\t%.6f\n", e.path.c_str(), texts[j].c_str(), s[0][static_cast<int64_t>(j)].item<double>());
      }
    });
    return failed ? 1 : 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", mulan::error_text(e).c_str());
    return 1;
  }
}
