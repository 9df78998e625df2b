#include "mine/state.h"

#include "mulan/atomic_file.h"
#include "util/read_file.h"

namespace mulan::mine {
namespace fs = std::filesystem;
using nlohmann::json;

MineState read_state(const fs::path& out, const json& fingerprint) {
  const fs::path path = out / "mine-state.json";
  MineState s;
  if (!fs::exists(path)) {
    for (const char* f : {"manifest.jsonl", "rejected.jsonl"}) {
      if (fs::exists(out / f)) {
        throw UsageError(file_error((out / f).string(), "exists, but not from a mining run (no mine-state.json beside it): "
                                                         "mine into another --out"));
      }
    }
    return s;
  }
  const std::string where = path.string();
  json j;
  try {
    j = json::parse(read_file(where, 64 << 20, "mine-state.json"));
    const json& saved = j.at("options");
    for (const auto& [key, value] : fingerprint.items()) {
      auto it = saved.find(key);
      if (it == saved.end() || *it != value) {
        throw UsageError(file_error(where, "this folder was mined with " + key + " = " + (it == saved.end() ? "(none)" : it->dump()) +
                                               ", not " + value.dump() + ": run with the same options to continue, or mine "
                                                                         "into another --out"));
      }
    }
    s.rows_done = j.at("rows_done").get<int64_t>();
    s.manifest_bytes = j.at("manifest_bytes").get<int64_t>();
    s.rejected_bytes = j.at("rejected_bytes").get<int64_t>();
    s.finished = j.at("finished").get<bool>();
    s.report = MineReport::from_json(j.at("report").dump(), where);
  } catch (const json::exception& e) {
    throw Error(file_error(where, std::string("damaged (") + e.what() + "): remove the folder and mine again"));
  }
  return s;
}

void write_state(const fs::path& out, const json& fingerprint, const MineState& s) {
  const json j = {{"options", fingerprint},
                  {"rows_done", s.rows_done},
                  {"manifest_bytes", s.manifest_bytes},
                  {"rejected_bytes", s.rejected_bytes},
                  {"finished", s.finished},
                  {"report", json::parse(s.report.to_json())}};
  write_file_atomic((out / "mine-state.json").string(), j.dump(1) + "\n");
}

}  // namespace mulan::mine
