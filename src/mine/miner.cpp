// mine(): the crawl streamed in chunks. Per chunk: decode the clips and split and filter the
// texts on every core; run the music detector and the LF filter over the whole chunk at once;
// write the kept clips on every core; append the chunk's rows to manifest.jsonl and
// rejected.jsonl and commit mine-state.json (the resume point) last.
#include "mulan/mine.h"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>
#include <unistd.h>

#include "mine/clip.h"
#include "mine/crawl.h"
#include "mine/state.h"
#include "mine/texts.h"
#include "mine/tar_writer.h"
#include "mulan/atomic_file.h"
#include "mulan/audio.h"
#include "mulan/lf_filter.h"
#include "mulan/music_detector.h"
#include "mulan/synth.h"
#include "mulan/text_mining.h"
#include "mulan/threads.h"
#include "util/time_text.h"

namespace mulan::mine {
namespace fs = std::filesystem;
using nlohmann::json;
using nlohmann::ordered_json;

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kProblemsPerKind = 5;

void parallel_for(int jobs, std::size_t n, const std::function<void(std::size_t)>& fn) {
  std::atomic<std::size_t> next{0};
  std::exception_ptr error;
  std::mutex m;
  auto work = [&] {
    for (std::size_t i; (i = next++) < n;) {
      try {
        fn(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(m);
        if (!error) error = std::current_exception();
      }
    }
  };
  std::vector<std::thread> threads;
  const int t = std::max(1, std::min<int>(jobs, static_cast<int>(n)));
  for (int k = 1; k < t; ++k) threads.emplace_back(work);
  work();
  for (auto& th : threads) th.join();
  if (error) std::rethrow_exception(error);
}

struct Item {
  std::optional<CrawlRow> row;
  std::optional<Failure> bad;  // malformed in the crawl, or rejected later
  std::string reject;          // "malformed", "unreadable", "too_short", "not_music", "no_text"
  int64_t line = 0, index = 0;
  ClipPlan plan;
  std::vector<float> clip;
  RowTexts texts;
  double music = -1;
  std::string clip_file;  // relative to OUT
};

// Counts data lines (non-blank), for the progress line's total.
int64_t count_rows(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  int64_t n = 0;
  bool blank = true;
  char buf[1 << 16];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    for (std::streamsize i = 0; i < in.gcount(); ++i) {
      const char c = buf[i];
      if (c == '\n') {
        n += !blank;
        blank = true;
      } else if (c != ' ' && c != '\t' && c != '\r') {
        blank = false;
      }
    }
  }
  return n + !blank;
}

void count_texts(SourceCounts& c, const std::vector<std::string>& before, int64_t tokens_before,
                 const std::vector<std::string>& after, int64_t tokens_after) {
  c.texts_before += static_cast<int64_t>(before.size());
  c.tokens_before += tokens_before;
  c.texts_after += static_cast<int64_t>(after.size());
  c.tokens_after += tokens_after;
}

void add_problem(MineReport& r, const Failure& f) {
  std::size_t same = 0;
  for (const Failure& p : r.problems) same += p.kind == f.kind;
  if (same < kProblemsPerKind) r.problems.push_back(f);
}

json texts_json(const std::vector<std::string>& sf, const std::vector<std::string>& lf, const std::vector<std::string>& pl) {
  json t = json::object();
  if (!sf.empty()) t["sf"] = sf;
  if (!lf.empty()) t["lf"] = lf;
  if (!pl.empty()) t["pl"] = pl;
  return t;
}

// Appends to a file and knows its size (the resume point).
class Appender {
 public:
  Appender(const fs::path& path, int64_t keep_bytes) : path_(path.string()) {
    if (fs::exists(path)) {
      if (static_cast<int64_t>(fs::file_size(path)) < keep_bytes) {
        throw Error(file_error(path_, "shorter than mine-state.json says: the output was changed; remove the folder and mine again"));
      }
      fs::resize_file(path, static_cast<uintmax_t>(keep_bytes));
    } else if (keep_bytes > 0) {
      throw Error(file_error(path_, "missing, but mine-state.json says it was written: remove the folder and mine again"));
    }
    out_.open(path, std::ios::binary | std::ios::app);
    if (!out_) throw Error(file_error(path_, "cannot open for writing"));
    bytes_ = keep_bytes;
  }
  void add(const std::string& line) {
    out_ << line << '\n';
    bytes_ += static_cast<int64_t>(line.size()) + 1;
  }
  void flush() {
    out_.flush();
    if (!out_) throw Error(file_error(path_, "write failed (disk full?)"));
  }
  int64_t bytes() const { return bytes_; }

 private:
  std::string path_;
  std::ofstream out_;
  int64_t bytes_ = 0;
};

}  // namespace

void MineOptions::validate() const {
  if (crawl.empty()) throw OptionError("crawl", "is required");
  if (out_dir.empty()) throw OptionError("out_dir", "is required");
  if (!(clip_seconds >= 1 && clip_seconds <= 3600)) throw OptionError("clip_seconds", "must be in [1, 3600]");
  if (clip_position != "middle" && clip_position != "random") throw OptionError("clip_position", "must be middle or random");
  if (!(min_seconds >= 0 && min_seconds <= clip_seconds)) throw OptionError("min_seconds", "must be in [0, clip_seconds]");
  if (!(min_music >= 0 && min_music <= 1)) throw OptionError("min_music", "must be in [0, 1]");
  if (!(lf_threshold < 0 || (lf_threshold > 0 && lf_threshold < 1))) throw OptionError("lf_threshold", "must be in (0, 1)");
  if (lf_threshold >= 0 && lf_filter.empty()) throw OptionError("lf_threshold", "needs an LF filter (lf_filter)");
  if (shard_clips < 1) throw OptionError("shard_clips", "must be at least 1");
  if (shard_count < 1 || shard_index < 0 || shard_index >= shard_count) {
    throw OptionError("shard_index", "must be in [0, shard_count)");
  }
  if (jobs < 0 || jobs > 1024) throw OptionError("jobs", "must be in 0..1024");
  if (chunk_rows < 1 || chunk_rows > 100000) throw OptionError("chunk_rows", "must be in 1..100000");
  if (limits.max_text_bytes < 16 || limits.max_items < 1 || limits.max_line_bytes < 1024) {
    throw OptionError("limits", "are too small (text >= 16 bytes, items >= 1, line >= 1024 bytes)");
  }
}

MineReport mine(const MineOptions& options) {
  options.validate();
  const auto t0 = Clock::now();
  auto say = [&](const std::string& s) {
    if (options.progress) options.progress(s);
  };
  const fs::path out = options.shard_count > 1 ? fs::path(part_dir(options.out_dir, options.shard_index, options.shard_count))
                                               : fs::path(options.out_dir);
  CrawlReader reader(options.crawl, options.limits);  // refuses a missing crawl before OUT is made
  std::error_code ec;
  fs::create_directories(out / "clips", ec);
  if (ec) throw Error(file_error(out.string(), "cannot create: " + ec.message()));

  // What the output depends on: a resume must be asked with the same.
  const json fingerprint = {{"crawl", fs::absolute(options.crawl).lexically_normal().string()},
                            {"clip_seconds", options.clip_seconds},
                            {"clip_position", options.clip_position},
                            {"seed", options.seed},
                            {"min_seconds", options.min_seconds},
                            {"detector", options.detector},
                            {"detector_labels", options.detector_labels},
                            {"detector_class", options.detector_class},
                            {"min_music", options.min_music},
                            {"sf_filter", options.sf_filter},
                            {"sf_rules", options.sf_rules},
                            {"lf_filter", options.lf_filter},
                            {"lf_threshold", options.lf_threshold},
                            {"shard", std::to_string(options.shard_index) + "/" + std::to_string(options.shard_count)},
                            {"limits", {options.limits.max_line_bytes, options.limits.max_text_bytes, options.limits.max_items}}};
  MineState state = read_state(out, fingerprint);
  MineReport& report = state.report;
  report.crawl = options.crawl;
  report.out_dir = out.string();
  if (state.finished) {
    say("mine: " + out.string() + " is already complete (" + std::to_string(report.kept) + " clips); nothing to do");
    return report;
  }
  report.resumed = state.rows_done > 0;
  const double prev_wall = report.wall_seconds;  // the runs before a resume

  const MusicDetector detector(options.detector, options.detector_labels, options.detector_class);
  report.detector = detector.name();
  report.sf_filter = !options.sf_filter ? "none" : options.sf_rules.empty() ? "built-in rules" : "built-in rules + " + options.sf_rules;
  report.lf_filter = options.lf_filter.empty() ? "none" : options.lf_filter;
  std::optional<text::SfRules> sf_rules;
  if (options.sf_filter) {
    sf_rules = text::SfRules::builtin();
    if (!options.sf_rules.empty()) sf_rules->extend(text::SfRules::load(options.sf_rules));
  }
  std::optional<LfFilter> lf_filter;
  if (!options.lf_filter.empty()) lf_filter.emplace(options.lf_filter);
  const double lf_threshold = !lf_filter ? 0 : options.lf_threshold >= 0 ? options.lf_threshold : lf_filter->threshold();
  const int jobs = options.jobs > 0 ? options.jobs : util::available_cores();

  Appender manifest(out / "manifest.jsonl", state.manifest_bytes), rejected(out / "rejected.jsonl", state.rejected_bytes);
  const int64_t total_rows = count_rows(options.crawl);
  const int64_t mine_rows = (total_rows - options.shard_index + options.shard_count - 1) / options.shard_count;
  if (report.resumed) {
    say("mine: resuming " + out.string() + " after " + std::to_string(report.rows) + " of " + std::to_string(mine_rows) + " rows");
  }
  const auto start = Clock::now();
  auto last_print = start;
  int64_t rows_this_run = 0;

  bool end = false;
  while (!end) {
    // Read one chunk of this shard's rows (the rows done before a resume are passed over).
    std::vector<Item> chunk;
    CrawlItem ci;
    while (static_cast<int>(chunk.size()) < options.chunk_rows) {
      if (!reader.next(ci)) {
        end = true;
        break;
      }
      if (ci.index % options.shard_count != options.shard_index || ci.index < state.rows_done) continue;
      Item it;
      it.line = ci.line;
      it.index = ci.index;
      it.row = std::move(ci.row);
      it.bad = std::move(ci.bad);
      if (it.bad) it.reject = "malformed";
      chunk.push_back(std::move(it));
    }
    if (chunk.empty()) break;

    // Decode, texts: every core.
    parallel_for(jobs, chunk.size(), [&](std::size_t i) {
      Item& it = chunk[i];
      if (!it.row) return;
      const CrawlRow& r = *it.row;
      try {
        const audio::AudioInfo info = audio::probe(r.audio);
        if (info.duration_s < options.min_seconds || info.duration_s <= 0) {
          it.reject = "too_short";
          it.bad = Failure{r.where, FailureKind::empty,
                           r.audio + ": " + std::to_string(info.duration_s) + " s, shorter than " + std::to_string(options.min_seconds) + " s"};
          return;
        }
        it.plan = plan_clip(info.duration_s, options.clip_seconds, options.clip_position, options.seed, r.id);
        audio::DecodeOptions d;
        d.offset_s = it.plan.offset_s;
        d.duration_s = it.plan.duration_s;
        it.clip = audio::decode(r.audio, d);
      } catch (const FileNotFound& e) {
        it.reject = "unreadable";
        it.bad = Failure{r.where, FailureKind::missing, e.what()};
        return;
      } catch (const Error& e) {
        it.reject = "unreadable";
        it.bad = Failure{r.where, FailureKind::unreadable, e.what()};
        return;
      }
      try {
        it.texts = extract_texts(r, sf_rules ? &*sf_rules : nullptr);
      } catch (const Error& e) {  // a user rule that gives up on this text (see text_mining.h)
        it.reject = "malformed";
        it.bad = Failure{r.where, FailureKind::malformed, std::string("texts: ") + e.what()};
      }
    });

    // The detector, over every decoded clip of the chunk at once.
    std::vector<const std::vector<float>*> clips;
    std::vector<Item*> decoded;
    for (Item& it : chunk) {
      if (it.reject.empty()) clips.push_back(&it.clip), decoded.push_back(&it);
    }
    const auto probs = detector.probabilities(clips);
    for (std::size_t k = 0; k < decoded.size(); ++k) {
      Item& it = *decoded[k];
      it.music = music_fraction(probs[k]);
      if (it.music < options.min_music) {
        it.reject = "not_music";
        it.bad = Failure{it.row->where, FailureKind::other,
                         "music in " + std::to_string(static_cast<int>(std::lround(it.music * 100))) + "% of the clip, under " +
                             std::to_string(static_cast<int>(std::lround(options.min_music * 100))) + "%"};
      } else if (it.texts.empty_raw()) {
        it.reject = "no_text";
        it.bad = Failure{it.row->where, FailureKind::empty, "no title, tags, description, comments or playlists"};
      }
    }

    // The LF filter, over every sentence of the chunk's kept rows at once.
    if (lf_filter) {
      std::vector<std::string> sentences;
      for (Item& it : chunk) {
        if (it.reject.empty()) sentences.insert(sentences.end(), it.texts.lf_raw.begin(), it.texts.lf_raw.end());
      }
      const std::vector<float> p = lf_filter->probabilities(sentences);
      std::size_t at = 0;
      for (Item& it : chunk) {
        if (!it.reject.empty()) continue;
        it.texts.lf.clear();
        it.texts.lf_tokens = 0;
        for (const std::string& s : it.texts.lf_raw) {
          if (p[at++] >= lf_threshold) {
            it.texts.lf.push_back(s);
            it.texts.lf_tokens += text::count_tokens(s);
          }
        }
      }
    }

    // Kept clips to FLAC: every core.
    parallel_for(jobs, chunk.size(), [&](std::size_t i) {
      Item& it = chunk[i];
      if (!it.reject.empty()) return;
      it.clip_file = clip_path(it.index);
      const fs::path p = out / it.clip_file;
      fs::create_directories(p.parent_path());
      write_file_atomic(p.string(), synth::encode_flac(it.clip, audio::kModelSampleRate));
    });

    // The chunk's rows, in crawl order; then the resume point.
    for (Item& it : chunk) {
      ++report.rows;
      ++rows_this_run;
      if (it.row && !it.row->capped.empty()) {
        ++report.capped;
        std::string what;
        for (const auto& c : it.row->capped) what += (what.empty() ? "" : "; ") + c;
        add_problem(report, {it.row->where, FailureKind::too_large, what});
      }
      if (it.row) report.invalid_utf8 += it.row->invalid_utf8;
      if (it.row && it.row->invalid_utf8) {
        add_problem(report, {it.row->where, FailureKind::malformed,
                             std::to_string(it.row->invalid_utf8) + " texts dropped: not valid UTF-8"});
      }
      if (!it.reject.empty()) {
        if (it.reject == "malformed") ++report.malformed;
        else if (it.reject == "unreadable") ++report.unreadable;
        else if (it.reject == "too_short") ++report.too_short;
        else if (it.reject == "not_music") ++report.not_music;
        else ++report.no_text;
        add_problem(report, *it.bad);
        ordered_json j = {{"where", it.bad->where}, {"kind", it.reject}, {"reason", it.bad->reason}};
        if (it.row) j["id"] = it.row->id;
        if (it.music >= 0) j["music"] = std::round(it.music * 1000) / 1000;
        rejected.add(j.dump(-1, ' ', false, json::error_handler_t::replace));
        continue;
      }
      const CrawlRow& r = *it.row;
      const RowTexts& t = it.texts;
      ++report.kept;
      report.audio_seconds += it.plan.duration_s;
      count_texts(report.sf, t.sf_raw, t.sf_raw_tokens, t.sf, t.sf_tokens);
      count_texts(report.lf, t.lf_raw, t.lf_raw_tokens, t.lf, t.lf_tokens);
      count_texts(report.pl, t.pl, t.pl_tokens, t.pl, t.pl_tokens);
      ordered_json row = {{"id", r.id},
                          {"audio", it.clip_file},
                          {"texts", texts_json(t.sf, t.lf, t.pl)},
                          {"texts_raw", texts_json(t.sf_raw, t.lf_raw, t.pl)},
                          {"source", fs::path(options.crawl).filename().string() + ":" + std::to_string(r.line)},
                          {"clip",
                           {{"offset_s", it.plan.offset_s}, {"duration_s", it.plan.duration_s}, {"of_s", it.plan.source_s}}},
                          {"music", std::round(it.music * 1000) / 1000}};
      manifest.add(row.dump());
    }
    manifest.flush();
    rejected.flush();
    state.rows_done = chunk.back().index + 1;
    state.manifest_bytes = manifest.bytes();
    state.rejected_bytes = rejected.bytes();
    report.wall_seconds = prev_wall + std::chrono::duration<double>(Clock::now() - t0).count();
    write_state(out, fingerprint, state);

    const auto now = Clock::now();
    if (options.progress && (std::chrono::duration<double>(now - last_print).count() >= 1.0 || end)) {
      last_print = now;
      const double s = std::chrono::duration<double>(now - start).count();
      const double rate = s > 0 ? static_cast<double>(rows_this_run) / s : 0;
      const int64_t left = std::max<int64_t>(0, mine_rows - report.rows);
      char line[256];
      std::snprintf(line, sizeof line, "mine: %lld/%lld rows (%.0f%%), kept %lld, rejected %lld, %.1f rows/s, ETA %s",
                    static_cast<long long>(report.rows), static_cast<long long>(mine_rows),
                    mine_rows ? 100.0 * static_cast<double>(report.rows) / static_cast<double>(mine_rows) : 100.0,
                    static_cast<long long>(report.kept), static_cast<long long>(report.rejected()), rate,
                    rate > 0 ? util::format_duration(static_cast<double>(left) / rate).c_str() : "?");
      say(line);
    }
    if (options.stop && options.stop->load()) {
      throw Interrupted(options.stop->load(), "mine: stopped after " + std::to_string(report.rows) + " rows, all of them saved in " +
                                                  out.string() + "; run the same command again to continue");
    }
  }

  if (options.shards) {
    say("mine: writing WebDataset shards");
    write_shards(out, options.shard_clips);
  }
  report.wall_seconds = prev_wall + std::chrono::duration<double>(Clock::now() - t0).count();
  state.finished = true;
  write_state(out, fingerprint, state);
  write_file_atomic((out / "mining-report.json").string(), report.to_json());
  return report;
}

}  // namespace mulan::mine
