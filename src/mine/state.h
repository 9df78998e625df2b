// OUT/mine-state.json: the resume point of a mining run, written after each chunk (atomically,
// after the chunk's rows are on disk): the options that shape the output, the data rows done,
// the bytes of manifest.jsonl and rejected.jsonl that belong to them, and the report so far.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "mulan/mine.h"

namespace mulan::mine {

struct MineState {
  MineReport report;
  int64_t rows_done = 0;  // every data row with a smaller 0-based index is done
  int64_t manifest_bytes = 0, rejected_bytes = 0;
  bool finished = false;
};

// A fresh state when OUT has none. Refuses (UsageError naming the field and both values) a state
// made with other options, and an OUT that holds a manifest.jsonl without a state (not ours to
// overwrite).
MineState read_state(const std::filesystem::path& out, const nlohmann::json& fingerprint);
void write_state(const std::filesystem::path& out, const nlohmann::json& fingerprint, const MineState& state);

}  // namespace mulan::mine
