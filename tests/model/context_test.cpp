// The inference context: many threads at once give what one thread gives; loading leaves
// torch's global random generator alone; every kind of audio source (file, tar member, bytes,
// PCM) gives the file's embedding; top-K against a brute-force float64 ranking; devices and
// training mode refused clearly.
#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sndfile.h>
#include <torch/torch.h>

#include <thread>

#include "model/mulan_model.h"
#include "mulan/audio.h"
#include "mulan/context.h"
#include "mulan/model.h"
#include "support/test_support.h"

namespace mulan {
namespace {

// A small model with both towers, written once for the whole file.
class ContextTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir;
    MulanConfig c;
    AudioConfig a = AudioConfig::base_resnet();
    a.resnet_layers = {1, 1, 1, 1};
    c.audio = a;
    BertConfig t = BertConfig::tiny();
    t.hidden_size = 64;
    t.num_attention_heads = 2;
    t.intermediate_size = 128;
    const std::string vocab = dir_->file("vocab.txt");
    std::string words = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n";
    for (const char* w : {"sad", "piano", "happy", "rock", "minor", "major", "key", "in", "a", "slow", "fast", "drums"}) {
      words += std::string(w) + "\n";
    }
    test::write_text(vocab, words);
    t.vocab_size = 17;
    c.text = t;
    Model::init(c, 11).save(dir_->file("model"), vocab);
    for (int i = 0; i < 4; ++i) {
      const std::string wav = dir_->file("m" + std::to_string(i) + ".wav");
      test::write_audio(wav, test::music(6.0 + 5.0 * i, 16000, static_cast<unsigned>(i + 1)), 1, 16000,
                        SF_FORMAT_WAV | SF_FORMAT_FLOAT);
      files_.push_back(wav);
    }
  }
  static void TearDownTestSuite() {
    delete dir_;
    files_.clear();
  }
  static std::string model() { return dir_->file("model"); }

  static test::TempDir* dir_;
  static std::vector<std::string> files_;
};
test::TempDir* ContextTest::dir_ = nullptr;
std::vector<std::string> ContextTest::files_;

std::vector<at::Tensor> embed_all(const Context& ctx, const std::vector<AudioSource>& sources) {
  std::vector<at::Tensor> out;
  ctx.embed_audio(sources, [&](AudioEmbedding&& e) {
    if (e.failure) throw Error(e.failure->text());
    out.push_back(e.embedding);
  });
  return out;
}

// A tar holding each file as KEY.wav, written with libarchive.
void write_tar(const std::string& tar, const std::vector<std::string>& files) {
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  ASSERT_EQ(archive_write_open_filename(a, tar.c_str()), ARCHIVE_OK);
  for (size_t i = 0; i < files.size(); ++i) {
    const std::string bytes = test::slurp(files[i]);
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, ("k" + std::to_string(i) + ".wav").c_str());
    archive_entry_set_size(e, static_cast<la_int64_t>(bytes.size()));
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_write_header(a, e);
    archive_write_data(a, bytes.data(), bytes.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
}

TEST_F(ContextTest, ManyThreadsAtOnceGiveWhatOneThreadGives) {
  ContextParams p = default_params();
  p.decode_threads = 2;
  const auto ctx = Context::load(model(), p);
  const std::vector<std::string> texts = {"sad piano in a minor key", "fast rock drums", "happy", "a", "slow major key piano"};
  const at::Tensor text_ref = ctx->embed_texts(texts);
  const std::vector<at::Tensor> audio_ref = embed_all(*ctx, AudioSource::files(files_));
  ASSERT_EQ(text_ref.sizes(), (std::vector<int64_t>{5, 128}));

  std::vector<std::string> problems(8);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      try {
        for (int round = 0; round < 2; ++round) {
          if ((t + round) % 2 == 0) {
            const at::Tensor got = ctx->embed_texts(texts);
            if (!torch::allclose(got, text_ref, 0, 1e-6)) problems[t] = "texts differ";
          } else {
            const auto got = embed_all(*ctx, AudioSource::files(files_));
            for (size_t i = 0; i < got.size(); ++i) {
              if (!torch::allclose(got[i], audio_ref[i], 0, 1e-6)) problems[t] = "audio differs: " + files_[i];
            }
          }
        }
      } catch (const std::exception& e) {
        problems[t] = e.what();
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 8; ++t) EXPECT_EQ(problems[t], "") << "thread " << t;
}

TEST_F(ContextTest, LoadingAndInitLeaveTheGlobalGeneratorAlone) {
  torch::manual_seed(1234);
  const at::Tensor expected = torch::rand({16});
  torch::manual_seed(1234);
  const auto ctx = Context::load(model());
  const Model other = Model::init(ctx->config(), 99);
  const at::Tensor got = torch::rand({16});
  EXPECT_TRUE(torch::equal(got, expected)) << "loading a model or initialising one changed torch's random stream";
  // And a seed still gives one model, whatever the global generator did before.
  torch::manual_seed(5);
  const Model again = Model::init(ctx->config(), 99);
  for (const auto& [name, t] : other.state()) EXPECT_TRUE(torch::equal(t, again.state().at(name))) << name;
}

TEST_F(ContextTest, EverySourceKindGivesTheFilesEmbedding) {
  const auto ctx = Context::load(model());
  const std::string& wav = files_[1];
  const at::Tensor from_file = ctx->embed_audio(AudioSource::file(wav)).embedding;

  // Encoded bytes in memory: the same decoder, so the same numbers.
  const at::Tensor from_bytes = ctx->embed_audio(AudioSource::encoded(test::slurp(wav), "mem.wav")).embedding;
  EXPECT_TRUE(torch::equal(from_bytes, from_file));

  // PCM at the model's rate: the samples the file holds (float WAV: exact).
  const std::vector<float> pcm = audio::decode(wav);
  const at::Tensor from_pcm = ctx->embed_audio(AudioSource::pcm(pcm, 16000)).embedding;
  EXPECT_LE((from_pcm - from_file).abs().max().item<double>(), 1e-6);

  // PCM at 44.1 kHz stereo against the same signal as a 44.1 kHz stereo file: both resampled by soxr.
  std::vector<float> stereo;
  const std::vector<float> left = test::music(7.5, 44100, 9), right = test::tone(330, 7.5, 44100);
  for (size_t i = 0; i < left.size(); ++i) {
    stereo.push_back(left[i]);
    stereo.push_back(right[i]);
  }
  const std::string wav44 = dir_->file("stereo44.wav");
  test::write_audio(wav44, stereo, 2, 44100, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  const at::Tensor file44 = ctx->embed_audio(AudioSource::file(wav44)).embedding;
  const at::Tensor pcm44 = ctx->embed_audio(AudioSource::pcm(stereo, 44100, 2)).embedding;
  EXPECT_LE((pcm44 - file44).abs().max().item<double>(), 1e-4);

  // A member of a WebDataset shard, read through the shard's index, in any order.
  const std::string tar = dir_->file("shard.tar");
  write_tar(tar, files_);
  for (int i : {3, 0, 2, 1}) {
    const at::Tensor member = ctx->embed_audio(AudioSource::file(tar + "#k" + std::to_string(i) + ".wav")).embedding;
    const at::Tensor file = ctx->embed_audio(AudioSource::file(files_[static_cast<size_t>(i)])).embedding;
    EXPECT_TRUE(torch::equal(member, file)) << "member " << i;
  }
  // The shard rewritten with other contents: the index follows.
  write_tar(tar, {files_[3], files_[2]});
  EXPECT_TRUE(torch::equal(ctx->embed_audio(AudioSource::file(tar + "#k0.wav")).embedding,
                           ctx->embed_audio(AudioSource::file(files_[3])).embedding));
  try {
    ctx->embed_audio(AudioSource::file(tar + "#k3.wav"));
    ADD_FAILURE() << "a member that is gone was read";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no member 'k3.wav'"), std::string::npos) << e.what();
  }
}

TEST_F(ContextTest, FailuresAreTypedAndNameTheirSource) {
  const auto ctx = Context::load(model());
  test::write_text(dir_->file("junk.wav"), "not audio at all");
  std::vector<AudioEmbedding> got;
  ctx->embed_audio({AudioSource::file(dir_->file("junk.wav")), AudioSource::file(files_[0]),
                    AudioSource::pcm({0.1f, 0.2f, 0.3f}, 16000, 2, "odd"), AudioSource::pcm({}, 16000, 1, "silence")},
                   [&](AudioEmbedding&& e) { got.push_back(std::move(e)); });
  ASSERT_EQ(got.size(), 4u);
  ASSERT_TRUE(got[0].failure);
  EXPECT_EQ(got[0].failure->where, dir_->file("junk.wav"));
  EXPECT_EQ(got[0].failure->kind, FailureKind::unreadable);
  EXPECT_TRUE(got[1].ok());
  ASSERT_TRUE(got[2].failure);
  EXPECT_NE(got[2].failure->reason.find("3 samples do not divide into 2 channels"), std::string::npos) << got[2].failure->reason;
  ASSERT_TRUE(got[3].failure);
  EXPECT_EQ(got[3].failure->kind, FailureKind::empty) << got[3].failure->reason;
  EXPECT_EQ(got[3].failure->text(), "'silence': " + got[3].failure->reason);
}

TEST_F(ContextTest, AMissingFileIsFailureKindMissing) {
  const auto ctx = Context::load(model());
  const std::string gone = dir_->file("gone.wav");
  std::vector<AudioEmbedding> got;
  ctx->embed_audio({AudioSource::file(gone)}, [&](AudioEmbedding&& e) { got.push_back(std::move(e)); });
  ASSERT_EQ(got.size(), 1u);
  ASSERT_TRUE(got[0].failure);
  EXPECT_EQ(got[0].failure->kind, FailureKind::missing);
  EXPECT_EQ(got[0].failure->text(), "'" + gone + "': no such file");
  EXPECT_THROW(decode_source(AudioSource::file(gone), 16000), FileNotFound);
}

// tag_scores against the float64 cosine of its parts; the batch size of one call changes nothing.
TEST_F(ContextTest, TagScoresAreTheCosinesWithThePromptedTags) {
  const auto ctx = Context::load(model());
  const at::Tensor audio = torch::randn({3, ctx->embed_dim()}, torch::kFloat32);
  const std::vector<std::string> tags{"piano", "rock"};
  const at::Tensor got = ctx->tag_scores(audio, tags, "a {} song, {}");
  EXPECT_EQ(expand_prompt("a {} song, {}", "rock"), "a rock song, rock");
  const at::Tensor text = ctx->embed_texts({"a piano song, piano", "a rock song, rock"}, 1).to(torch::kFloat64);
  const at::Tensor a = audio.to(torch::kFloat64);
  const at::Tensor want = torch::matmul(a / a.norm(2, 1, true), (text / text.norm(2, 1, true)).t());
  ASSERT_EQ(got.sizes(), (std::vector<int64_t>{3, 2}));
  EXPECT_LT((got.to(torch::kFloat64) - want).abs().max().item<double>(), 1e-5);
  try {
    ctx->tag_scores(audio, tags, "no placeholder");
    FAIL() << "a prompt without {} was taken";
  } catch (const OptionError& e) {
    EXPECT_EQ(e.field(), "prompt");
  }
  EXPECT_THROW(ctx->tag_scores(audio.narrow(1, 0, 5), tags), UsageError);
  EXPECT_EQ(ctx->tag_scores(audio, {}).sizes(), (std::vector<int64_t>{3, 0}));
  EXPECT_THROW(ctx->embed_texts({"x"}, 0), OptionError);
}

TEST_F(ContextTest, TopKAgreesWithABruteForceFloat64Ranking) {
  torch::manual_seed(3);
  const at::Tensor items = torch::randn({50, 16}, torch::kFloat64);
  const at::Tensor query = torch::randn({16}, torch::kFloat64);
  const std::vector<Hit> top = top_k(query, items.to(torch::kFloat32), 7);
  ASSERT_EQ(top.size(), 7u);
  // Reference: cosines in float64 by hand, sorted.
  std::vector<std::pair<double, int64_t>> ref;
  for (int64_t i = 0; i < 50; ++i) {
    double dot = 0, nq = 0, ni = 0;
    for (int64_t j = 0; j < 16; ++j) {
      const double a = items[i][j].item<double>(), b = query[j].item<double>();
      dot += a * b;
      ni += a * a;
      nq += b * b;
    }
    ref.emplace_back(-dot / std::sqrt(ni * nq), i);
  }
  std::sort(ref.begin(), ref.end());
  for (size_t r = 0; r < top.size(); ++r) {
    EXPECT_EQ(top[r].index, ref[r].second) << "rank " << r;
    EXPECT_NEAR(top[r].score, -ref[r].first, 1e-5);
  }
  EXPECT_EQ(top_k(query, items, 500).size(), 50u);
  const at::Tensor ties = torch::ones({4, 3});
  const auto tied = top_k(torch::ones({3}), ties, 4);
  for (int64_t i = 0; i < 4; ++i) EXPECT_EQ(tied[static_cast<size_t>(i)].index, i) << "ties keep row order";
  EXPECT_THROW(top_k(query, items, 0), UsageError);
}

TEST_F(ContextTest, DevicesAndParamsAreCheckedByName) {
  ContextParams p;
  p.device = "gpu";
  try {
    Context::load(model(), p);
    ADD_FAILURE() << "device 'gpu' accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("device 'gpu'"), std::string::npos) << e.what();
  }
  if (!torch::cuda::is_available()) {
    p.device = "cuda:0";
    EXPECT_THROW(Context::load(model(), p), UsageError);
  }
  p = default_params();
  p.text_batch = 0;
  try {
    Context::load(model(), p);
    ADD_FAILURE() << "text_batch 0 accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("text_batch"), std::string::npos) << e.what();
  }
}

TEST_F(ContextTest, OneTowerAloneGivesTheSameEmbeddings) {
  const auto both = Context::load(model());
  ContextParams p = default_params();
  p.towers = "audio";
  const auto audio = Context::load(model(), p);
  EXPECT_TRUE(audio->has_audio());
  EXPECT_FALSE(audio->has_text());
  EXPECT_THROW(audio->embed_texts({"x"}), Error);
  const at::Tensor w = torch::randn({2, 64, 1000});
  EXPECT_TRUE(torch::equal(audio->model().embed_windows(w), both->model().embed_windows(w)));
  p.towers = "text";
  const auto text = Context::load(model(), p);
  EXPECT_FALSE(text->has_audio());
  EXPECT_TRUE(torch::equal(text->embed_texts({"slow sad piano", "rock"}), both->embed_texts({"slow sad piano", "rock"})));
  p.towers = "video";
  EXPECT_TRUE(test::has_phrase(test::error_of([&] { Context::load(model(), p); }), "towers must be both, audio or text"));
}

TEST_F(ContextTest, AModelInTrainingModeIsRefusedNotSwitched) {
  Model m = Model::load(model());
  m.set_training(true);
  EXPECT_THROW(m.embed_windows(torch::zeros({1, 64, 1000})), Error);
  EXPECT_TRUE(model::modules_of(m).is_training()) << "inference switched the mode";
  m.set_training(false);
  EXPECT_EQ(m.embed_windows(torch::zeros({1, 64, 1000})).size(1), 128);
}

}  // namespace
}  // namespace mulan
