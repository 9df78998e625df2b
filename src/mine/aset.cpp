// ASET pairs from AudioSet (mine.h make_aset): the evaluation adapter's reading of the segment
// CSVs and the ontology (every clip with a label under "Music"), clips cut to their segment
// where the file is a whole video.
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "mine/clip.h"
#include "mulan/atomic_file.h"
#include "mulan/audio.h"
#include "mulan/eval_adapters.h"
#include "mulan/mine.h"
#include "mulan/synth.h"

namespace mulan::mine {
namespace fs = std::filesystem;
using nlohmann::ordered_json;

AsetSummary make_aset(const AsetOptions& o) {
  if (o.out_dir.empty()) throw OptionError("out_dir", "is required");
  eval::AudioSetOptions ao;
  ao.segments = o.segments;
  ao.ontology = o.ontology;
  ao.audio_dir = o.audio_dir;
  ao.subset = "mu141";  // every descendant of "Music"
  ao.out_dir = o.out_dir;
  fs::create_directories(o.out_dir);
  const eval::AdapterResult r = eval::build_audioset(ao);

  // The segments' times, by YTID (the adapter kept the first row of a repeated YTID).
  std::map<std::string, std::pair<double, double>> times;
  for (const std::string& csv : o.segments) {
    std::ifstream in(csv);
    for (std::string line; std::getline(in, line);) {
      if (line.empty() || line[0] == '#') continue;
      try {
        const eval::Segment s = eval::parse_segment_line(line);
        times.emplace(s.ytid, std::make_pair(std::stod(s.start), std::stod(s.end)));
      } catch (const Error&) {  // the adapter reported it already
      }
    }
  }
  AsetSummary summary;
  std::string out;
  const fs::path base(o.out_dir);
  for (const eval::ManifestRow& row : r.rows) {
    std::string audio = row.audio;
    const auto t = times.find(row.id);
    if (t != times.end()) {
      const double start = t->second.first, length = t->second.second - t->second.first;
      const audio::AudioInfo info = audio::probe((base / row.audio).string());
      if (length > 0 && info.duration_s > length + 1.0 && start + length <= info.duration_s + 0.5) {
        audio::DecodeOptions d;
        d.offset_s = start;
        d.duration_s = length;
        std::string name;
        for (char c : row.id) name += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '_';
        audio = "aset-clips/" + name + ".flac";
        fs::create_directories(base / "aset-clips");
        write_file_atomic((base / audio).string(),
                          synth::encode_flac(audio::decode((base / row.audio).string(), d), audio::kModelSampleRate));
        ++summary.cut;
      }
    }
    ordered_json j = {{"id", row.id}, {"audio", audio}, {"texts", row.texts}, {"labels", row.labels}};
    if (!row.split.empty()) j["split"] = row.split;
    out += j.dump() + "\n";
    ++summary.rows;
  }
  write_file_atomic((base / "aset.jsonl").string(), out);
  summary.skipped = r.skipped.summary();
  return summary;
}

}  // namespace mulan::mine
