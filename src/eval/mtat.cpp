// MagnaTagATune: annotations_final.csv as distributed -> MTAT-50 / MTAT-188 manifests.
//
// The file is tab-separated with a header line: "clip_id", the 188 tag columns, "mp3_path";
// every field may be wrapped in double quotes (the distributed file quotes them all).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <set>

#include "eval/adapter_util.h"
#include "mulan/eval_adapters.h"
#include "mulan/error.h"

namespace mulan::eval {
namespace fs = std::filesystem;
using detail::unquote;

namespace {

std::vector<std::string> tab_fields(const std::string& line) {
  std::vector<std::string> out;
  for (const std::string& f : detail::split(line, '\t')) out.push_back(unquote(detail::trim(f)));
  return out;
}

}  // namespace

std::string mtat_split(const std::string& mp3_path) {
  const std::size_t slash = mp3_path.find('/');
  if (slash != 1) return "";
  const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(mp3_path[0])));
  if ((c >= '0' && c <= '9') || c == 'a' || c == 'b') return "train";
  if (c == 'c') return "val";
  if (c >= 'd' && c <= 'f') return "test";
  return "";
}

MtatAnnotations read_mtat_annotations(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(file_error(path, "cannot open the MagnaTagATune annotations"));
  MtatAnnotations a;
  std::string line;
  int64_t n = 0;
  std::size_t columns = 0;
  std::set<std::string> ids;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (detail::trim(line).empty()) continue;
    const std::vector<std::string> f = tab_fields(line);
    const std::string at = "line " + std::to_string(n) + ": ";
    if (columns == 0) {  // the header
      if (f.size() < 3 || f.front() != "clip_id" || f.back() != "mp3_path") {
        throw Error(file_error(path, at + "expected a tab-separated header \"clip_id\", the tag columns, \"mp3_path\" (got " +
                                         std::to_string(f.size()) + " column" + (f.size() == 1 ? "" : "s") +
                                         ", first '" + f.front() + "'" + (f.size() == 1 ? "; is the file tab-separated?)" : ")")));
      }
      a.tags.assign(f.begin() + 1, f.end() - 1);
      std::set<std::string> seen;
      for (const std::string& t : a.tags) {
        if (t.empty()) throw Error(file_error(path, at + "a tag column has an empty name"));
        if (!seen.insert(t).second) throw Error(file_error(path, at + "tag column '" + t + "' appears twice"));
      }
      columns = f.size();
      continue;
    }
    if (f.size() != columns) {
      throw Error(file_error(path, at + std::to_string(f.size()) + " columns, the header has " + std::to_string(columns)));
    }
    MtatAnnotations::Clip clip;
    clip.clip_id = f.front();
    clip.mp3_path = f.back();
    clip.line = n;
    if (clip.clip_id.empty()) throw Error(file_error(path, at + "empty clip_id"));
    if (!ids.insert(clip.clip_id).second) throw Error(file_error(path, at + "clip_id " + clip.clip_id + " appears twice"));
    if (mtat_split(clip.mp3_path).empty()) {
      throw Error(file_error(path, at + "mp3_path '" + clip.mp3_path + "' is not in one of the folders 0-9, a-f"));
    }
    clip.on.resize(a.tags.size());
    for (std::size_t t = 0; t < a.tags.size(); ++t) {
      const std::string& v = f[t + 1];
      if (v != "0" && v != "1") {
        throw Error(file_error(path, at + "column '" + a.tags[t] + "': expected 0 or 1, got '" + v + "'"));
      }
      clip.on[t] = v == "1";
    }
    a.clips.push_back(std::move(clip));
  }
  if (in.bad()) throw Error(file_error(path, "read error"));
  if (columns == 0) throw Error(file_error(path, "empty file, expected the MagnaTagATune annotations"));
  return a;
}

std::vector<std::size_t> mtat_top_tags(const MtatAnnotations& a, std::size_t n) {
  std::vector<int64_t> count(a.tags.size(), 0);
  for (const auto& clip : a.clips) {
    for (std::size_t t = 0; t < count.size(); ++t) count[t] += clip.on[t];
  }
  std::vector<std::size_t> order(a.tags.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) { return count[x] > count[y]; });
  order.resize(std::min(n, order.size()));
  return order;
}

AdapterResult build_mtat(const MtatOptions& o) {
  if (o.tag_set != "top50" && o.tag_set != "all188") {
    throw OptionError("tag_set", "must be top50 or all188, not '" + o.tag_set + "'");
  }
  const MtatAnnotations a = read_mtat_annotations(o.annotations);
  if (a.clips.empty()) throw Error(file_error(o.annotations, "no clip rows after the header"));

  std::vector<std::size_t> set;  // tag columns of the set, in tags.txt order
  if (o.tag_set == "top50") {
    set = mtat_top_tags(a, 50);
  } else {
    set.resize(a.tags.size());
    std::iota(set.begin(), set.end(), std::size_t{0});
  }

  AdapterResult r;
  r.adapter = "mtat";
  r.dataset = !o.name.empty() ? o.name : o.tag_set == "top50" ? "MTAT-50" : "MTAT-188";
  for (std::size_t t : set) r.tags.push_back(a.tags[t]);
  r.info["sources"] = {{"annotations", o.annotations}, {"audio", o.audio_root}};
  r.info["tag_set"] = o.tag_set;
  r.info["tag_columns"] = a.tags.size();
  r.info["rule"] = o.tag_set == "top50"
                       ? "tags: the 50 most frequent tag columns over all rows of the annotations (ties: earlier column "
                         "first), most frequent first; split by mp3 folder: 0-9, a, b train; c val; d, e, f test"
                       : "tags: every tag column, in file order; split by mp3 folder: 0-9, a, b train; c val; d, e, f test";

  const fs::path root = detail::canonical_dir(o.audio_root);
  const fs::path out = detail::canonical_dir(o.out_dir);
  for (const auto& clip : a.clips) {
    ManifestRow row;
    row.id = clip.clip_id;
    for (std::size_t t : set) {
      if (clip.on[t]) row.tags.push_back(a.tags[t]);
    }
    if (o.drop_untagged && row.tags.empty()) {
      r.skipped.add("no tag of the set", clip.clip_id);
      continue;
    }
    const fs::path audio = root / clip.mp3_path;
    bool empty = false;
    if (!detail::audio_present(audio, &empty)) {
      r.skipped.add("audio missing", clip.mp3_path);
      continue;
    }
    if (empty) {  // the distributed archive holds a few zero-byte mp3 files
      r.skipped.add("audio empty", clip.mp3_path);
      continue;
    }
    row.audio = detail::relative_to(audio, out);
    if (!row.tags.empty()) row.texts["aset"] = {detail::join(row.tags, ", ")};
    row.split = mtat_split(clip.mp3_path);
    r.rows.push_back(std::move(row));
  }
  return r;
}

}  // namespace mulan::eval
