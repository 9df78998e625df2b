// The mining report (mining-report.json and the table), and merging the parts of a sharded run.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>

#include "mine/state.h"
#include "mulan/atomic_file.h"
#include "mulan/mine.h"
#include "util/read_file.h"
#include "util/time_text.h"

namespace mulan::mine {
namespace fs = std::filesystem;
using nlohmann::json;
using nlohmann::ordered_json;

namespace {

ordered_json counts_json(const SourceCounts& c, int64_t videos) {
  auto apv = [&](int64_t n) { return videos ? std::round(1000.0 * static_cast<double>(n) / static_cast<double>(videos)) / 1000.0 : 0.0; };
  return {{"texts_before", c.texts_before}, {"texts_before_apv", apv(c.texts_before)},
          {"tokens_before", c.tokens_before}, {"tokens_before_apv", apv(c.tokens_before)},
          {"texts_after", c.texts_after},   {"texts_after_apv", apv(c.texts_after)},
          {"tokens_after", c.tokens_after}, {"tokens_after_apv", apv(c.tokens_after)}};
}

SourceCounts counts_from(const json& j) {
  SourceCounts c;
  c.texts_before = j.at("texts_before").get<int64_t>();
  c.tokens_before = j.at("tokens_before").get<int64_t>();
  c.texts_after = j.at("texts_after").get<int64_t>();
  c.tokens_after = j.at("tokens_after").get<int64_t>();
  return c;
}

FailureKind kind_from(const std::string& s) {
  for (FailureKind k : {FailureKind::missing, FailureKind::unreadable, FailureKind::malformed, FailureKind::too_large,
                        FailureKind::empty, FailureKind::duplicate, FailureKind::not_finite, FailureKind::other}) {
    if (s == to_string(k)) return k;
  }
  return FailureKind::other;
}

void add(SourceCounts& a, const SourceCounts& b) {
  a.texts_before += b.texts_before;
  a.tokens_before += b.tokens_before;
  a.texts_after += b.texts_after;
  a.tokens_after += b.tokens_after;
}

}  // namespace

std::string MineReport::to_json() const {
  ordered_json problems_j = json::array();
  for (const Failure& f : problems) problems_j.push_back({{"where", f.where}, {"kind", mulan::to_string(f.kind)}, {"reason", f.reason}});
  const ordered_json j = {{"crawl", crawl},
                          {"out", out_dir},
                          {"detector", detector},
                          {"sf_filter", sf_filter},
                          {"lf_filter", lf_filter},
                          {"rows", rows},
                          {"kept", kept},
                          {"rejected",
                           {{"malformed", malformed},
                            {"unreadable", unreadable},
                            {"too_short", too_short},
                            {"not_music", not_music},
                            {"no_text", no_text}}},
                          {"capped_rows", capped},
                          {"invalid_utf8_texts", invalid_utf8},
                          {"audio_seconds", std::round(audio_seconds * 1000) / 1000},
                          {"sf", counts_json(sf, kept)},
                          {"lf", counts_json(lf, kept)},
                          {"pl", counts_json(pl, kept)},
                          {"problems", problems_j},
                          {"wall_seconds", std::round(wall_seconds * 1000) / 1000},
                          {"resumed", resumed}};
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

MineReport MineReport::from_json(const std::string& text, const std::string& where) {
  MineReport r;
  try {
    const json j = json::parse(text);
    r.crawl = j.at("crawl").get<std::string>();
    r.out_dir = j.at("out").get<std::string>();
    r.detector = j.at("detector").get<std::string>();
    r.sf_filter = j.at("sf_filter").get<std::string>();
    r.lf_filter = j.at("lf_filter").get<std::string>();
    r.rows = j.at("rows").get<int64_t>();
    r.kept = j.at("kept").get<int64_t>();
    const json& rej = j.at("rejected");
    r.malformed = rej.at("malformed").get<int64_t>();
    r.unreadable = rej.at("unreadable").get<int64_t>();
    r.too_short = rej.at("too_short").get<int64_t>();
    r.not_music = rej.at("not_music").get<int64_t>();
    r.no_text = rej.at("no_text").get<int64_t>();
    r.capped = j.at("capped_rows").get<int64_t>();
    r.invalid_utf8 = j.at("invalid_utf8_texts").get<int64_t>();
    r.audio_seconds = j.at("audio_seconds").get<double>();
    r.sf = counts_from(j.at("sf"));
    r.lf = counts_from(j.at("lf"));
    r.pl = counts_from(j.at("pl"));
    for (const json& p : j.at("problems")) {
      r.problems.push_back({p.at("where").get<std::string>(), kind_from(p.at("kind").get<std::string>()), p.at("reason").get<std::string>()});
    }
    r.wall_seconds = j.at("wall_seconds").get<double>();
    r.resumed = j.at("resumed").get<bool>();
  } catch (const json::exception& e) {
    throw Error(file_error(where, std::string("not a mining report (") + e.what() + ")"));
  }
  return r;
}

std::string MineReport::table() const {
  std::string s;
  char line[512];
  std::snprintf(line, sizeof line, "recordings  %lld in, %lld kept (%.1f h of clips); rejected: %lld malformed, %lld unreadable, "
                "%lld too short, %lld not music, %lld without text\n",
                static_cast<long long>(rows), static_cast<long long>(kept), audio_seconds / 3600.0, static_cast<long long>(malformed),
                static_cast<long long>(unreadable), static_cast<long long>(too_short), static_cast<long long>(not_music),
                static_cast<long long>(no_text));
  s += line;
  if (capped || invalid_utf8) {
    std::snprintf(line, sizeof line, "capped      %lld rows had a field cut or a list shortened; %lld texts dropped as invalid UTF-8\n",
                  static_cast<long long>(capped), static_cast<long long>(invalid_utf8));
    s += line;
  }
  s += "per kept recording (APV)     texts before   tokens before   texts after   tokens after\n";
  auto row = [&](const char* name, const SourceCounts& c, const char* filter) {
    const double v = kept ? static_cast<double>(kept) : 1.0;
    std::snprintf(line, sizeof line, "%-4s %-23s %12.2f %15.2f %13.2f %14.2f\n", name, filter,
                  static_cast<double>(c.texts_before) / v, static_cast<double>(c.tokens_before) / v,
                  static_cast<double>(c.texts_after) / v, static_cast<double>(c.tokens_after) / v);
    s += line;
  };
  row("SF", sf, sf_filter == "none" ? "(not filtered)" : "(rule filter)");
  row("LF", lf, lf_filter == "none" ? "(not filtered)" : "(LF filter)");
  row("PL", pl, "(not filtered)");
  return s;
}

std::string part_dir(const std::string& out_dir, int index, int count) {
  return (fs::path(out_dir) / "parts" / (std::to_string(index) + "-of-" + std::to_string(count))).string();
}

MineReport merge_parts(const std::string& out_dir) {
  const fs::path out(out_dir), parts = out / "parts";
  if (!fs::is_directory(parts)) throw Error(file_error(parts.string(), "no parts to merge (mine with --shard I/N writes them)"));
  if (fs::exists(out / "mine-state.json")) {
    throw UsageError(file_error(out_dir, "holds an unsharded mining run (mine-state.json): parts are merged into a folder of their own"));
  }
  const std::regex name_re(R"((\d+)-of-(\d+))");
  std::map<int, fs::path> found;
  int count = -1;
  for (const auto& e : fs::directory_iterator(parts)) {
    std::smatch m;
    const std::string name = e.path().filename().string();
    if (!e.is_directory() || !std::regex_match(name, m, name_re)) continue;
    const int i = std::stoi(m[1]), n = std::stoi(m[2]);
    if (count >= 0 && n != count) throw Error(file_error(parts.string(), "holds parts of different splits (of " + std::to_string(count) + " and of " + std::to_string(n) + ")"));
    count = n;
    found[i] = e.path();
  }
  if (count < 1) throw Error(file_error(parts.string(), "holds no part (I-of-N folders)"));
  MineReport total;
  std::string manifest, rejected;
  std::vector<std::pair<fs::path, std::string>> tars;
  for (int i = 0; i < count; ++i) {
    auto it = found.find(i);
    const std::string flag = "--shard " + std::to_string(i) + "/" + std::to_string(count);
    if (it == found.end()) throw Error(file_error(part_dir(out_dir, i, count), "missing: run mulan mine with " + flag + " to make it"));
    const fs::path state_path = it->second / "mine-state.json";
    if (!fs::exists(state_path)) throw Error(file_error(it->second.string(), "not a mining part (no mine-state.json): run mulan mine with " + flag));
    const json st = json::parse(read_file(state_path.string(), 64 << 20, "mine-state.json"), nullptr, false);
    if (st.is_discarded() || !st.contains("finished") || !st.contains("report")) throw Error(file_error(state_path.string(), "damaged"));
    if (!st["finished"].get<bool>()) throw Error(file_error(it->second.string(), "not finished: run mulan mine with " + flag + " again to finish it"));
    const MineReport r = MineReport::from_json(st["report"].dump(), state_path.string());
    if (i == 0) {
      total.crawl = r.crawl;
      total.detector = r.detector;
      total.sf_filter = r.sf_filter;
      total.lf_filter = r.lf_filter;
    }
    total.rows += r.rows;
    total.kept += r.kept;
    total.malformed += r.malformed;
    total.unreadable += r.unreadable;
    total.too_short += r.too_short;
    total.not_music += r.not_music;
    total.no_text += r.no_text;
    total.capped += r.capped;
    total.invalid_utf8 += r.invalid_utf8;
    total.audio_seconds += r.audio_seconds;
    add(total.sf, r.sf);
    add(total.lf, r.lf);
    add(total.pl, r.pl);
    total.wall_seconds = std::max(total.wall_seconds, r.wall_seconds);
    for (const Failure& f : r.problems) total.problems.push_back(f);
    const std::string prefix = "parts/" + it->second.filename().string() + "/";
    std::ifstream in(it->second / "manifest.jsonl", std::ios::binary);
    for (std::string line; std::getline(in, line);) {
      if (line.empty()) continue;
      json row = json::parse(line);
      row["audio"] = prefix + row["audio"].get<std::string>();
      manifest += row.dump() + "\n";
    }
    std::ifstream rin(it->second / "rejected.jsonl", std::ios::binary);
    for (std::string line; std::getline(rin, line);) {
      if (!line.empty()) rejected += line + "\n";
    }
    if (fs::is_directory(it->second / "shards")) {
      for (const auto& e : fs::directory_iterator(it->second / "shards")) {
        if (e.path().extension() == ".tar") tars.emplace_back(e.path(), "part" + std::to_string(i) + "-" + e.path().filename().string());
      }
    }
  }
  total.out_dir = out_dir;
  write_file_atomic((out / "manifest.jsonl").string(), manifest);
  write_file_atomic((out / "rejected.jsonl").string(), rejected);
  if (!tars.empty()) {
    fs::create_directories(out / "shards");
    for (const auto& [src, name] : tars) {
      const fs::path dst = out / "shards" / name;
      std::error_code ec;
      fs::remove(dst, ec);
      fs::create_hard_link(src, dst, ec);
      if (ec) fs::copy_file(src, dst, fs::copy_options::overwrite_existing);
    }
  }
  write_file_atomic((out / "mining-report.json").string(), total.to_json());
  return total;
}

}  // namespace mulan::mine
