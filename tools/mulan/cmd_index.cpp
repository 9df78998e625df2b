// mulan index build|search|similar|info|export|merge: a persistent, searchable music library
// (mulan/library.h, docs/library.md).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli_common.h"
#include "commands.h"
#include "mulan/context.h"
#include "mulan/error.h"
#include "mulan/library.h"
#include "mulan/model_hash.h"

namespace fs = std::filesystem;

namespace mulan::cli {

namespace {

using json = nlohmann::json;

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string clock_time(double s) {
  char buf[32];
  const auto t = static_cast<long long>(s);
  std::snprintf(buf, sizeof buf, "%lld:%02lld", t / 60, t % 60);
  return buf;
}

json track_json(const Track& t) {
  json tags = json::object();
  if (!t.tags.title.empty()) tags["title"] = t.tags.title;
  if (!t.tags.artist.empty()) tags["artist"] = t.tags.artist;
  if (!t.tags.album.empty()) tags["album"] = t.tags.album;
  if (!t.tags.genre.empty()) tags["genre"] = t.tags.genre;
  return {{"id", t.id}, {"path", t.path}, {"duration_s", t.duration_s}, {"tags", tags}};
}

void print_hits(const std::vector<LibraryHit>& hits, bool as_json, const json& head) {
  if (as_json) {
    json results = json::array();
    for (const auto& h : hits) {
      json j = track_json(h.track);
      j["score"] = h.score;
      j["start_s"] = h.start_s;
      results.push_back(j);
    }
    json out = head;
    out["results"] = results;
    std::cout << dump(out) << "\n";
  } else {
    for (std::size_t i = 0; i < hits.size(); ++i) {
      const auto& h = hits[i];
      char buf[64];
      std::snprintf(buf, sizeof buf, "%3zu. %.3f  at %s  ", i + 1, h.score, clock_time(h.start_s).c_str());
      std::string what = h.track.tags.title.empty() ? fs::path(h.track.path).filename().string() : h.track.tags.title;
      if (!h.track.tags.artist.empty()) what += " - " + h.track.tags.artist;
      std::cout << buf << printable(what) << "  [id " << h.track.id << "] " << printable(h.track.path) << "\n";
    }
  }
  finish_stdout();
}

std::string part_dir(const std::string& lib, int i, int n) {
  return (fs::path(lib) / "parts" / (std::to_string(i) + "-of-" + std::to_string(n))).string();
}

struct BuildArgs {
  std::string model, out, device = default_params().device, shard;
  int threads = default_params().decode_threads;
  int batch = LibraryBuildOptions{}.batch_tracks;
  std::vector<std::string> inputs;
};

void run_build(const BuildArgs& a) {
  LibraryBuildOptions o;
  o.inputs = a.inputs;
  o.batch_tracks = a.batch;
  std::string out = a.out;
  std::tie(o.shard_index, o.shard_count) = shard_of_this_process(a.shard);
  if (o.shard_count > 1) out = part_dir(a.out, o.shard_index, o.shard_count);
  o.progress = [](const std::string& line) { std::cerr << "mulan: " << line << std::endl; };
  o.stop = install_stop_signals();
  ContextParams params = default_params();
  params.device = a.device;
  params.decode_threads = a.threads;
  const std::string hash = model_hash(a.model);
  auto ctx = Context::load(a.model, params);
  const auto r = Library::build(out, *ctx, hash, o);
  print_skipped(r.failed);
  std::cerr << "mulan: " << out << ": " << r.tracks << " tracks (" << r.added << " added, " << r.updated << " updated, "
            << r.unchanged << " unchanged, " << r.removed << " removed, " << r.failed.size() << " skipped)\n";
  if (o.shard_count > 1) {
    std::cerr << "mulan: part " << o.shard_index << " of " << o.shard_count
              << " done; when every part is: mulan index merge " << a.out << "\n";
  }
  if (r.tracks == 0) throw Error(file_error(out, "the library holds no track (nothing could be embedded)"));
}

struct QueryArgs {
  std::string lib, model, device = default_params().device, query, file;
  int64_t id = -1;
  int64_t top = 10;
  bool json = false;
};

void run_search(const QueryArgs& a) {
  auto lib = Library::open(a.lib);
  ContextParams params = default_params();
  params.device = a.device;
  auto ctx = lib->load_model(a.model, params);
  print_hits(lib->search(*ctx, a.query, a.top), a.json, {{"query", a.query}});
}

void run_similar(const QueryArgs& a) {
  auto lib = Library::open(a.lib);
  if ((a.id >= 0) == !a.file.empty()) throw UsageError("give either a FILE or --id ID");
  if (a.id >= 0) {
    print_hits(lib->similar(a.id, a.top), a.json, {{"id", a.id}});
    return;
  }
  ContextParams params = default_params();
  params.device = a.device;
  auto ctx = lib->load_model(a.model, params);
  const auto e = ctx->embed_audio(AudioSource::file(a.file));
  const at::Tensor v = e.embedding.contiguous();
  const float* p = v.data_ptr<float>();
  print_hits(lib->nearest(std::vector<float>(p, p + v.numel()), a.top), a.json, {{"file", a.file}});
}

void run_info(const std::string& dir, bool as_json) {
  const auto i = Library::open(dir)->info();
  if (as_json) {
    std::cout << dump({{"dir", i.dir},
                       {"tracks", i.tracks},
                       {"windows", i.windows},
                       {"duration_s", i.total_duration_s},
                       {"embed_dim", i.embed_dim},
                       {"model", {{"hash", i.model_hash}, {"dir", i.model_dir}}},
                       {"index", i.index_kind},
                       {"db_bytes", i.db_bytes},
                       {"index_bytes", i.index_bytes},
                       {"created", i.created},
                       {"updated", i.updated}})
              << "\n";
  } else {
    std::cout << "library:  " << i.dir << "\n"
              << "tracks:   " << i.tracks << " (" << i.windows << " windows, " << clock_time(i.total_duration_s)
              << " of audio)\n"
              << "model:    " << i.model_hash << "\n"
              << "          " << i.model_dir << "\n"
              << "vectors:  " << i.embed_dim << "-d, " << i.index_kind << " index\n"
              << "size:     " << i.db_bytes << " bytes (records) + " << i.index_bytes << " bytes (vector index)\n"
              << "created:  " << i.created << ", updated " << i.updated << "\n";
  }
  finish_stdout();
}

void run_merge(const std::string& out, std::vector<std::string> parts) {
  if (parts.empty()) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(fs::path(out) / "parts", ec)) parts.push_back(e.path().string());
    std::sort(parts.begin(), parts.end());
    if (parts.empty()) throw FileNotFound(file_error((fs::path(out) / "parts").string(), "no parts to merge"));
    // Every part of I-of-N must be there: a part missing would silently drop its tracks.
    int n = 0;
    std::vector<bool> seen;
    for (const auto& p : parts) {
      int i = -1, count = 0;
      if (std::sscanf(fs::path(p).filename().c_str(), "%d-of-%d", &i, &count) != 2 || count < 1 || i < 0 || i >= count ||
          (n != 0 && count != n)) {
        throw Error(file_error(p, "not a part of a sharded build (expected I-of-N, all with the same N)"));
      }
      n = count;
      seen.resize(static_cast<std::size_t>(n));
      seen[static_cast<std::size_t>(i)] = true;
    }
    for (int i = 0; i < n; ++i) {
      if (!seen[static_cast<std::size_t>(i)]) {
        throw FileNotFound(file_error(part_dir(out, i, n), "part " + std::to_string(i) + " of " + std::to_string(n) +
                                                                " is missing (build it with --shard " +
                                                                std::to_string(i) + "/" + std::to_string(n) + ")"));
      }
    }
  }
  const int64_t n = Library::merge(out, parts);
  std::cerr << "mulan: " << out << ": " << n << " tracks merged from " << parts.size() << " parts\n";
}

}  // namespace

void register_index(CLI::App& app) {
  auto* index = app.add_subcommand("index", "A persistent music library you can search by text (docs/library.md)");
  index->require_subcommand(1);

  auto b = std::make_shared<BuildArgs>();
  auto* build = index->add_subcommand(
      "build",
      "Embed every audio file of folders (recursively), files and manifests into a library; a second run embeds only "
      "what is new or changed and drops what is gone");
  add_model_option(build, b->model);
  build->add_option("--out", b->out, "Library folder (created if missing)")->required();
  build->add_option("--batch", b->batch, "Files embedded and committed together (an interrupted build loses at most these)")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  build->add_option("--shard", b->shard,
                    "Embed only shard I of N (I/N, from 0) into OUT/parts/I-of-N; torchrun's RANK and WORLD_SIZE do the "
                    "same; then mulan index merge OUT");
  add_device_option(build, b->device);
  add_threads_option(build, b->threads);
  build->add_option("INPUT", b->inputs, "Folders, audio files, or manifests (.jsonl)")->required();
  build->callback([b] { run_build(*b); });

  auto q = std::make_shared<QueryArgs>();
  auto* search = index->add_subcommand("search", "Tracks ranked by the cosine of their embedding with the query's");
  search->add_option("LIB", q->lib, "Library folder")->required();
  search->add_option("QUERY", q->query, "What to look for, in words")->required();
  search->add_option("--top", q->top, "Results")->capture_default_str()->check(CLI::Range(int64_t{1}, int64_t{100000}));
  search->add_option("--model", q->model, "The library's model, where it is now (default: where it was at build time)");
  add_device_option(search, q->device);
  search->add_flag("--json", q->json, "One JSON object instead of text");
  search->callback([q] { run_search(*q); });

  auto s = std::make_shared<QueryArgs>();
  auto* similar = index->add_subcommand("similar", "Tracks that sound like a file, or like a track of the library");
  similar->add_option("LIB", s->lib, "Library folder")->required();
  similar->add_option("FILE", s->file, "An audio file (embedded with the library's model)");
  similar->add_option("--id", s->id, "A track of the library")->check(CLI::NonNegativeNumber);
  similar->add_option("--top", s->top, "Results")->capture_default_str()->check(CLI::Range(int64_t{1}, int64_t{100000}));
  similar->add_option("--model", s->model, "The library's model, where it is now (default: where it was at build time)");
  add_device_option(similar, s->device);
  similar->add_flag("--json", s->json, "One JSON object instead of text");
  similar->callback([s] { run_similar(*s); });

  auto info_dir = std::make_shared<std::string>();
  auto info_json = std::make_shared<bool>(false);
  auto* info = index->add_subcommand("info", "Counts, model, index kind and sizes of a library");
  info->add_option("LIB", *info_dir, "Library folder")->required();
  info->add_flag("--json", *info_json, "One JSON object instead of text");
  info->callback([info_dir, info_json] { run_info(*info_dir, *info_json); });

  auto ex = std::make_shared<std::pair<std::string, std::string>>();
  auto* exp = index->add_subcommand(
      "export", "Write OUT/embeddings.npy (float32 [N, d]), OUT/ids.npy (int64 [N]) and OUT/tracks.jsonl");
  exp->add_option("LIB", ex->first, "Library folder")->required();
  exp->add_option("--out", ex->second, "Folder to write")->required();
  exp->callback([ex] {
    auto lib = Library::open(ex->first);
    lib->export_to(ex->second);
    std::cerr << "mulan: " << lib->size() << " tracks exported to " << ex->second << "\n";
  });

  auto m = std::make_shared<std::pair<std::string, std::vector<std::string>>>();
  auto* merge = index->add_subcommand(
      "merge", "Merge the parts of a sharded build (LIB/parts/I-of-N, or the libraries named) into LIB");
  merge->add_option("LIB", m->first, "Library folder")->required();
  merge->add_option("PART", m->second, "Libraries to merge (default: every LIB/parts/I-of-N, all N required)");
  merge->callback([m] { run_merge(m->first, m->second); });
}

}  // namespace mulan::cli
