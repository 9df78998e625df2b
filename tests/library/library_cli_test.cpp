// mulan index and mulan tag through the CLI, checked against a brute-force float64 ranking of
// mulan embed-audio / embed-text output: search, similar, incremental rebuilds, a kill -9 in the
// middle of a build, two models on one library, sharded builds and their merge, export.
#include <gtest/gtest.h>
#include <sndfile.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "mulan/npy.h"
#include "support/test_support.h"

#include <ATen/ATen.h>

namespace fs = std::filesystem;
using nlohmann::json;
using mulan::test::run_cli;
using mulan::test::run_command;
using mulan::test::shell_quote;

namespace {

std::vector<json> json_lines(const std::string& out) {
  std::vector<json> rows;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) rows.push_back(json::parse(line));
  }
  return rows;
}

double cosine(const std::vector<double>& a, const std::vector<double>& b) {
  double ab = 0, aa = 0, bb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / std::sqrt(aa * bb);
}

// A FLAC file carrying title, artist, album and genre tags (written through libsndfile).
void write_tagged_flac(const std::string& path, const std::vector<float>& samples, int rate) {
  SF_INFO info{};
  info.samplerate = rate;
  info.channels = 1;
  info.format = SF_FORMAT_FLAC | SF_FORMAT_PCM_16;
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
  ASSERT_NE(f, nullptr) << sf_strerror(nullptr);
  sf_set_string(f, SF_STR_TITLE, "Rainy Night Étude");
  sf_set_string(f, SF_STR_ARTIST, "The Test Ensemble");
  sf_set_string(f, SF_STR_ALBUM, "Fixtures");
  sf_set_string(f, SF_STR_GENRE, "Lo-fi");
  sf_writef_float(f, samples.data(), static_cast<sf_count_t>(samples.size()));
  sf_close(f);
}

class LibraryCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new mulan::test::TempDir();
    for (auto [name, seed] : {std::pair{"model_a", 3}, std::pair{"model_b", 4}}) {
      auto r = run_cli("init --preset tiny --seed " + std::to_string(seed) + " --out " + shell_quote(dir_->file(name)));
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    fs::create_directories(dir_->path() / "music" / "albums" / "one");
    const double lengths[] = {3, 6, 12, 25, 4, 9, 15, 7};
    for (int i = 0; i < 8; ++i) {
      const auto m = mulan::test::music(lengths[i], 22050, static_cast<unsigned>(10 + i));
      const std::string sub = i % 2 ? "music/albums/one/" : "music/";
      if (i == 3) {
        write_tagged_flac(dir_->file(sub + "tagged.flac"), m, 22050);
      } else {
        mulan::test::write_audio(dir_->file(sub + "track" + std::to_string(i) + (i % 3 ? ".wav" : ".flac")), m, 1, 22050,
                                 i % 3 ? (SF_FORMAT_WAV | SF_FORMAT_PCM_16) : (SF_FORMAT_FLAC | SF_FORMAT_PCM_16));
      }
    }
    mulan::test::write_text(dir_->path() / "music" / "notes.txt", "not audio, not scanned\n");
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string file(const std::string& name) { return dir_->file(name); }
  static std::string q(const std::string& name) { return shell_quote(dir_->file(name)); }

  // The files under music/, as the library records them (absolute, sorted).
  static std::vector<std::string> music_files(const std::string& root = "music") {
    std::vector<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(file(root))) {
      if (e.is_regular_file() && e.path().extension() != ".txt") out.push_back(fs::absolute(e.path()).lexically_normal().string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  // path -> (embedding, windows[(start_s, embedding)]) from mulan embed-audio --windows.
  struct Reference {
    std::vector<double> embedding;
    std::vector<std::pair<double, std::vector<double>>> windows;
  };
  static std::map<std::string, Reference> embed_audio(const std::string& model, const std::vector<std::string>& files) {
    std::string args = "embed-audio --windows --model " + q(model);
    for (const auto& f : files) args += " " + shell_quote(f);
    auto r = run_cli(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::map<std::string, Reference> out;
    for (const auto& row : json_lines(r.out)) {
      Reference ref;
      ref.embedding = row["embedding"].get<std::vector<double>>();
      for (const auto& w : row["windows"]) {
        ref.windows.emplace_back(w["start_s"].get<double>(), w["embedding"].get<std::vector<double>>());
      }
      out[fs::absolute(row["path"].get<std::string>()).lexically_normal().string()] = ref;
    }
    return out;
  }
  static std::vector<double> embed_text(const std::string& model, const std::string& text) {
    auto r = run_cli("embed-text --model " + q(model) + " " + shell_quote(text));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json_lines(r.out).at(0)["embedding"].get<std::vector<double>>();
  }

  static json search_json(const std::string& lib, const std::string& query, int top) {
    auto r = run_cli("index search --json --top " + std::to_string(top) + " " + q(lib) + " " + shell_quote(query));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out);
  }

  static mulan::test::TempDir* dir_;
};

mulan::test::TempDir* LibraryCli::dir_ = nullptr;

// Ranks of a brute-force float64 cosine ranking equal the library's (ties allowed to swap).
void expect_same_ranking(const json& results, const std::map<std::string, double>& expected) {
  ASSERT_EQ(results.size(), expected.size());
  double previous = 2;
  for (const auto& hit : results) {
    const std::string path = hit["path"];
    ASSERT_TRUE(expected.count(path)) << path;
    EXPECT_NEAR(hit["score"].get<double>(), expected.at(path), 1e-5) << path;
    EXPECT_LE(hit["score"].get<double>(), previous + 1e-9);
    previous = hit["score"].get<double>();
  }
}

TEST_F(LibraryCli, SearchSimilarAndTagsEqualBruteForceRankings) {
  auto r = run_cli("index build --model " + q("model_a") + " --out " + q("lib") + " " + q("music"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("8 tracks (8 added, 0 updated, 0 unchanged, 0 removed, 0 skipped)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("files/s"), std::string::npos) << "progress with a rate: " << r.err;

  const auto files = music_files();
  ASSERT_EQ(files.size(), 8u);
  const auto ref = embed_audio(file("model_a"), files);
  ASSERT_EQ(ref.size(), 8u);

  for (const std::string query : {"slow sad piano music in a minor key", "fast rock drums"}) {
    const auto text = embed_text(file("model_a"), query);
    std::map<std::string, double> expected;
    for (const auto& [path, e] : ref) expected[path] = cosine(e.embedding, text);
    const json out = search_json(file("lib"), query, 100);
    EXPECT_EQ(out["query"], query);
    expect_same_ranking(out["results"], expected);
    // The best window: the one whose embedding is closest to the query.
    for (const auto& hit : out["results"]) {
      const auto& windows = ref.at(hit["path"].get<std::string>()).windows;
      double best = -2, best_start = -1;
      for (const auto& [start, emb] : windows) {
        if (cosine(emb, text) > best + 1e-9) {
          best = cosine(emb, text);
          best_start = start;
        }
      }
      EXPECT_NEAR(hit["start_s"].get<double>(), best_start, 1e-6) << hit["path"];
    }
    // --top keeps the head of the same ranking.
    const json top3 = search_json(file("lib"), query, 3);
    ASSERT_EQ(top3["results"].size(), 3u);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(top3["results"][i]["id"], out["results"][i]["id"]);
  }

  // similar --id: every other track by the cosine of the stored embeddings, itself left out.
  r = run_cli("index similar --json --top 100 --id 1 " + q("lib"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json sim = json::parse(r.out);
  auto tracks = run_cli("index search --json --top 100 " + q("lib") + " x");
  ASSERT_EQ(tracks.exit_code, 0) << tracks.err;
  const json all_tracks = json::parse(tracks.out)["results"];
  std::string first_path;
  for (const auto& h : all_tracks) {
    if (h["id"] == 1) first_path = h["path"];
  }
  ASSERT_FALSE(first_path.empty());
  std::map<std::string, double> expected;
  for (const auto& [path, e] : ref) {
    if (path != first_path) expected[path] = cosine(e.embedding, ref.at(first_path).embedding);
  }
  expect_same_ranking(sim["results"], expected);
  // similar FILE: the file embedded again ranks itself first, with cosine 1.
  r = run_cli("index similar --json --top 2 " + q("lib") + " " + shell_quote(first_path));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json self = json::parse(r.out);
  EXPECT_EQ(self["results"][0]["path"], first_path);
  EXPECT_NEAR(self["results"][0]["score"].get<double>(), 1.0, 1e-5);

  // The file's own tags are kept.
  bool tagged = false;
  for (const auto& h : all_tracks) {
    if (fs::path(h["path"].get<std::string>()).filename() == "tagged.flac") {
      tagged = true;
      EXPECT_EQ(h["tags"]["title"], "Rainy Night Étude");
      EXPECT_EQ(h["tags"]["artist"], "The Test Ensemble");
      EXPECT_EQ(h["tags"]["album"], "Fixtures");
      EXPECT_EQ(h["tags"]["genre"], "Lo-fi");
    }
  }
  EXPECT_TRUE(tagged);

  // mulan tag: every tag's score is the cosine of the file's and the prompted tag's embeddings,
  // from files and from the library alike.
  mulan::test::write_text(dir_->path() / "tags.txt", "# moods\nhappy\n\nsad piano\nrock\n");
  r = run_cli("tag --model " + q("model_a") + " --tags " + q("tags.txt") + " --prompt 'a recording with a {} feel' " +
              q("music"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto rows = json_lines(r.out);
  ASSERT_EQ(rows.size(), 8u);
  std::map<std::string, std::vector<double>> tag_text;
  for (const std::string t : {"happy", "sad piano", "rock"}) tag_text[t] = embed_text(file("model_a"), "a recording with a " + t + " feel");
  for (const auto& row : rows) {
    const auto& e = ref.at(row["path"].get<std::string>()).embedding;
    ASSERT_EQ(row["scores"].size(), 3u);
    for (const auto& [t, v] : tag_text) EXPECT_NEAR(row["scores"][t].get<double>(), cosine(e, v), 1e-5) << t;
  }
  r = run_cli("tag --tags " + q("tags.txt") + " --prompt 'a recording with a {} feel' --top 2 --index " + q("lib"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const auto& row : json_lines(r.out)) {
    const auto& e = ref.at(row["path"].get<std::string>()).embedding;
    ASSERT_EQ(row["tags"].size(), 2u);
    EXPECT_GE(row["tags"][0]["score"].get<double>(), row["tags"][1]["score"].get<double>());
    for (const auto& t : row["tags"]) EXPECT_NEAR(t["score"].get<double>(), cosine(e, tag_text.at(t["tag"])), 1e-5);
  }
  r = run_cli("tag --model " + q("model_a") + " --tags " + q("tags.txt") + " --csv " + q("music/track0.flac"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, r.out.find('\n')), "path,happy,sad piano,rock");
  r = run_cli("tag --model " + q("model_a") + " --tags " + q("tags.txt") + " --top 1 --threshold 0.5 " + q("music"));
  EXPECT_EQ(r.exit_code, 2) << "--top and --threshold together are refused";

  // info and export.
  r = run_cli("index info --json " + q("lib"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json info = json::parse(r.out);
  EXPECT_EQ(info["tracks"], 8);
  EXPECT_EQ(info["index"], "flat");
  EXPECT_EQ(info["embed_dim"], 128);
  r = run_cli("index export " + q("lib") + " --out " + q("export"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const at::Tensor emb = mulan::read_npy(file("export/embeddings.npy"));
  const at::Tensor ids = mulan::read_npy(file("export/ids.npy"));
  const auto listed = mulan::test::read_jsonl(dir_->path() / "export" / "tracks.jsonl");
  ASSERT_EQ(emb.size(0), 8);
  ASSERT_EQ(ids.size(0), 8);
  ASSERT_EQ(listed.size(), 8u);
  for (int64_t i = 0; i < 8; ++i) {
    EXPECT_EQ(ids[i].item<int64_t>(), listed[static_cast<std::size_t>(i)]["id"].get<int64_t>());
    const auto& e = ref.at(listed[static_cast<std::size_t>(i)]["path"].get<std::string>()).embedding;
    for (int64_t j = 0; j < 128; ++j) EXPECT_NEAR(emb[i][j].item<float>(), e[static_cast<std::size_t>(j)], 1e-6);
  }
}

TEST_F(LibraryCli, RebuildEmbedsOnlyWhatChangedAndDropsWhatIsGone) {
  fs::copy(file("music"), file("inc"), fs::copy_options::recursive);
  auto r = run_cli("index build --model " + q("model_a") + " --out " + q("lib_inc") + " " + q("inc"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto before = search_json(file("lib_inc"), "piano", 100)["results"];
  std::map<std::string, int64_t> id_of;
  for (const auto& h : before) id_of[h["path"]] = h["id"];

  // Add one, change one (new content), delete one.
  mulan::test::write_audio(file("inc/new.wav"), mulan::test::music(5, 16000, 99), 1, 16000, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  const std::string changed = fs::absolute(file("inc/track2.wav")).lexically_normal().string();
  mulan::test::write_audio(changed, mulan::test::noise(6, 22050, 5), 1, 22050, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  const std::string gone = fs::absolute(file("inc/track4.wav")).lexically_normal().string();
  fs::remove(gone);

  r = run_cli("index build --model " + q("model_a") + " --out " + q("lib_inc") + " " + q("inc"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("8 tracks (1 added, 1 updated, 6 unchanged, 1 removed, 0 skipped)"), std::string::npos) << r.err;
  const auto after = search_json(file("lib_inc"), "piano", 100)["results"];
  std::map<std::string, int64_t> id_after;
  for (const auto& h : after) id_after[h["path"]] = h["id"];
  EXPECT_EQ(id_after.count(gone), 0u);
  EXPECT_EQ(id_after.at(changed), id_of.at(changed)) << "a changed file keeps its id";
  const std::string added = fs::absolute(file("inc/new.wav")).lexically_normal().string();
  EXPECT_GT(id_after.at(added), std::max_element(id_of.begin(), id_of.end(), [](auto& a, auto& b) { return a.second < b.second; })->second)
      << "ids are never reused";
  // The changed file's stored embedding is its new one.
  const auto ref = embed_audio(file("model_a"), {changed});
  r = run_cli("index similar --json --top 1 " + q("lib_inc") + " " + shell_quote(changed));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json self = json::parse(r.out);
  EXPECT_EQ(self["results"][0]["path"], changed);
  EXPECT_NEAR(self["results"][0]["score"].get<double>(), 1.0, 1e-5);

  // A third run has nothing to do, and keeps the saved vector index as it is.
  const auto index_time = fs::last_write_time(file("lib_inc/vectors.faiss"));
  r = run_cli("index build --model " + q("model_a") + " --out " + q("lib_inc") + " " + q("inc"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("(0 added, 0 updated, 8 unchanged, 0 removed"), std::string::npos) << r.err;
  EXPECT_EQ(fs::last_write_time(file("lib_inc/vectors.faiss")), index_time);
  // A deleted vector index is rebuilt from the records.
  fs::remove(file("lib_inc/vectors.faiss"));
  EXPECT_EQ(search_json(file("lib_inc"), "piano", 100)["results"], after);
}

TEST_F(LibraryCli, KillNineDuringABuildThenRerunLosesNothing) {
  // Enough audio that the build is still running when the first batch is committed.
  fs::create_directories(file("many"));
  for (int i = 0; i < 40; ++i) {
    mulan::test::write_audio(file("many/m" + std::to_string(100 + i) + ".wav"), mulan::test::music(20, 16000, 200 + i), 1,
                             16000, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  }
  const std::string lib = file("lib_kill");
  const std::string script =
      std::string(MULAN_CLI) + " index build --batch 1 --model " + q("model_a") + " --out " + shell_quote(lib) + " " +
      q("many") + " 2>/dev/null & pid=$!\n" +
      "n=0; for i in $(seq 1 3000); do\n"
      "  n=$(/usr/bin/python3 -c \"import sqlite3,sys; print(sqlite3.connect('file:'+sys.argv[1]+'?mode=ro', uri=True)"
      ".execute('select count(*) from tracks').fetchone()[0])\" " +
      shell_quote(lib + "/library.sqlite") +
      " 2>/dev/null || echo 0)\n"
      "  [ \"$n\" -ge 2 ] && break; sleep 0.01\n"
      "done\n"
      "kill -9 $pid; wait $pid; echo \"status=$? rows=$n\"\n";
  auto r = run_command(script);
  ASSERT_NE(r.out.find("status=137"), std::string::npos) << "the build was killed: " << r.out << r.err;
  const int rows = std::stoi(r.out.substr(r.out.find("rows=") + 5));
  ASSERT_GE(rows, 2);
  ASSERT_LT(rows, 40) << "killed before the end";

  // The killed library answers queries (its vector index is rebuilt from the records).
  r = run_cli("index info --json " + shell_quote(lib));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const int64_t kept = json::parse(r.out)["tracks"];
  EXPECT_GE(kept, rows);
  EXPECT_EQ(search_json(lib, "piano", 100)["results"].size(), static_cast<std::size_t>(kept));

  // A rerun embeds the rest only, and ends equal to a build that was never interrupted.
  r = run_cli("index build --model " + q("model_a") + " --out " + shell_quote(lib) + " " + q("many"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("40 tracks (" + std::to_string(40 - kept) + " added, 0 updated, " + std::to_string(kept) + " unchanged"),
            std::string::npos)
      << r.err;
  r = run_cli("index build --model " + q("model_a") + " --out " + q("lib_whole") + " " + q("many"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto a = search_json(lib, "sad piano", 100)["results"];
  const auto b = search_json(file("lib_whole"), "sad piano", 100)["results"];
  ASSERT_EQ(a.size(), 40u);
  ASSERT_EQ(b.size(), 40u);
  std::map<std::string, double> score_b;
  for (const auto& h : b) score_b[h["path"]] = h["score"];
  for (const auto& h : a) EXPECT_NEAR(h["score"].get<double>(), score_b.at(h["path"]), 1e-6);
}

TEST_F(LibraryCli, ALibraryRefusesAnotherModelNamingBothHashes) {
  auto r = run_cli("index build --model " + q("model_a") + " --out " + q("lib_two") + " " + q("music/track0.flac"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto hash = [&](const std::string& m) {
    auto h = run_command("cd " + q(m) + " && /usr/bin/python3 -c \"import hashlib,os\n"
                         "h=hashlib.sha256()\n"
                         "for n in ['config.json','model.safetensors','vocab.txt']:\n"
                         "  b=open(n,'rb').read(); h.update(n.encode()+b'\\0'+str(len(b)).encode()+b'\\0'+b)\n"
                         "print(h.hexdigest())\"");
    return h.out.substr(0, 64);
  };
  const std::string ha = hash("model_a"), hb = hash("model_b");
  ASSERT_EQ(ha.size(), 64u);
  ASSERT_NE(ha, hb);
  r = run_cli("index info --json " + q("lib_two"));
  EXPECT_EQ(json::parse(r.out)["model"]["hash"], ha) << "the library records its model's SHA-256";

  r = run_cli("index build --model " + q("model_b") + " --out " + q("lib_two") + " " + q("music/track0.flac"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(ha), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(hb), std::string::npos) << r.err;
  r = run_cli("index search --model " + q("model_b") + " " + q("lib_two") + " piano");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(ha), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(hb), std::string::npos) << r.err;
  r = run_cli("serve --model " + q("model_b") + " --index " + q("lib_two") + " --port 0");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(hb), std::string::npos) << r.err;
  // The library still works with its own model.
  EXPECT_EQ(search_json(file("lib_two"), "piano", 5)["results"].size(), 1u);
}

TEST_F(LibraryCli, ShardedBuildsMergeIntoTheWholeLibrary) {
  const std::string base = "index build --model " + q("model_a") + " --out " + q("lib_sharded") + " " + q("music");
  auto r = run_cli(base + " --shard 0/3");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_command("RANK=1 WORLD_SIZE=3 " + std::string(MULAN_CLI) + " " + base);  // torchrun's environment
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_cli("index merge " + q("lib_sharded"));
  EXPECT_EQ(r.exit_code, 1) << "part 2 of 3 is missing";
  EXPECT_NE(r.err.find("part 2 of 3 is missing"), std::string::npos) << r.err;
  r = run_cli(base + " --shard 2/3");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_cli("index merge " + q("lib_sharded"));
  ASSERT_EQ(r.exit_code, 0) << r.err;

  r = run_cli("index build --model " + q("model_a") + " --out " + q("lib_unsharded") + " " + q("music"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto a = search_json(file("lib_sharded"), "calm strings", 100)["results"];
  const auto b = search_json(file("lib_unsharded"), "calm strings", 100)["results"];
  ASSERT_EQ(a.size(), 8u);
  ASSERT_EQ(b.size(), 8u);
  for (std::size_t i = 0; i < 8; ++i) {
    EXPECT_EQ(a[i]["path"], b[i]["path"]);
    EXPECT_NEAR(a[i]["score"].get<double>(), b[i]["score"].get<double>(), 1e-6);
  }
}

TEST_F(LibraryCli, BadInputsAreRefusedByName) {
  auto r = run_cli("index build --model " + q("model_a") + " --out " + q("lib_bad") + " " + q("no_such_folder"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no_such_folder': no such file or folder"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(file("lib_bad"))) << "a typo creates nothing";
  r = run_cli("index search " + q("no_such_lib") + " piano");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no_such_lib"), std::string::npos) << r.err;
  r = run_cli("index search " + q("music") + " piano");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("not a mulan library"), std::string::npos) << r.err;
  r = run_cli("index build --model " + q("model_a") + " --out " + q("lib_bad") + " --shard 3/3 " + q("music"));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  r = run_cli("index similar " + q("music"));
  EXPECT_NE(r.exit_code, 0);
}

TEST_F(LibraryCli, EmbedAudioTakesAFolder) {
  auto r = run_cli("embed-audio --model " + q("model_a") + " " + q("music"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto rows = json_lines(r.out);
  ASSERT_EQ(rows.size(), 8u) << "every audio file under music/, recursively, and not notes.txt";
  const auto files = music_files();
  for (std::size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(rows[i]["path"], files[i]) << "in path order";
  fs::create_directories(file("empty"));
  r = run_cli("embed-audio --model " + q("model_a") + " " + q("empty"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("holds no audio file"), std::string::npos) << r.err;
}

}  // namespace
