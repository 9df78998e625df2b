// WebDataset tar shards (the layout of LAION's audio-text sets): members KEY.flac|wav|mp3|ogg|
// opus and KEY.json in one tar, grouped by KEY (the member name up to the first dot of its file
// name). The JSON holds our "texts" object, or "text" (a string or a list: taken as LF, a
// description), and optionally "tags", "labels", "split". Read with libarchive.
//
// A recording's audio is then the reference "SHARD.tar#MEMBER"; load_audio() reads either
// kind of reference.
#pragma once

#include <string>
#include <vector>

#include "mulan/manifest.h"

namespace mulan::data {

// A shard spec -> shard paths: a .tar file; a directory (its *.tar, sorted); or a pattern with
// one brace range, "train-{000..123}.tar" (zero padding kept).
std::vector<std::string> expand_shards(const std::string& spec);

// True when spec names shards rather than a .jsonl manifest.
bool is_shard_spec(const std::string& spec);

// Indexes the shards: one Recording per key with audio and (when options.require_texts) texts;
// bad samples (no audio, invalid JSON, no texts, an unreadable shard) are skipped and listed.
Manifest read_shards(const std::vector<std::string>& shards, const ManifestOptions& options = {});

// Training data either way: shards when is_shard_spec(spec), else a .jsonl manifest.
Manifest read_data(const std::string& spec, const ManifestOptions& options);

// The 16 kHz mono samples of a recording: a file path, or "SHARD.tar#MEMBER".
std::vector<float> load_audio(const std::string& ref);

}  // namespace mulan::data
