// `mulan mine`: a training set mined from a raw crawl of music videos, as the paper builds its
// own (docs/mulan-spec.md 3, docs/mining.md).
//
//   crawl.jsonl, one video a line:
//     {"id", "audio", "title", "tags": [...], "description", "comments": [...], "playlists": [...]}
//   -> one clip per recording (the middle --clip-seconds by default), kept when the music
//      detector hears music in at least --min-music of it
//   -> texts: SF = title and tags (rule filter), LF = sentences of the description and comments
//      (a learned filter), PL = playlist titles
//   -> OUT/manifest.jsonl ("texts": filtered, "texts_raw": unfiltered), OUT/clips/*.flac,
//      OUT/rejected.jsonl, OUT/mining-report.json (and with shards, OUT/shards/*.tar)
//
// Mining streams the crawl (memory does not grow with it), decodes on every core, resumes
// after an interruption where it stopped, and splits across machines (shard I of N writes
// OUT/parts/I-of-N; merge_parts() joins them).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "mulan/error.h"

namespace mulan::mine {

// Caps on one crawl row: longer fields are cut, longer lists shortened, each counted and named.
struct CrawlLimits {
  std::size_t max_line_bytes = 8u << 20;  // a longer line is skipped (too_large)
  std::size_t max_text_bytes = 16u << 10; // title, description, each tag, comment or playlist title: cut at a character
  std::size_t max_items = 500;            // tags, comments, playlists: the first this many are kept
};

struct MineOptions {
  std::string crawl;                 // crawl.jsonl
  std::string out_dir;               // OUT (created); a second run with the same options resumes
  double clip_seconds = 30;          // one clip of this length per recording; a shorter recording is kept whole
  std::string clip_position = "middle";  // "middle" or "random" (uniform, from seed and the row's id)
  uint64_t seed = 0;
  double min_seconds = 3;            // shorter recordings are rejected (too_short)
  int sample_rate = 16000;           // clips are written as mono 16-bit FLAC at this rate
  // Music detector: a model directory with a tagger head, its labels (DIR/labels.txt unless
  // given) and the class whose probability is "music". "" = the built-in detector.
  std::string detector;
  std::string detector_labels;
  std::string detector_class = "Music";
  double min_music = 0.5;            // a clip is kept when this fraction of its windows is music
  bool sf_filter = true;             // the rule-based SF filter (docs/mining.md)
  std::string sf_rules;              // a rules file that extends the built-in rules ("" = none)
  std::string lf_filter;             // an LF filter directory (train_lf_filter); "" = no LF filter
  double lf_threshold = -1;          // < 0: the filter's own threshold
  bool shards = false;               // also write OUT/shards/mined-NNNNN.tar (WebDataset)
  int shard_clips = 1000;            // clips per tar shard
  int shard_index = 0, shard_count = 1;  // rows i with i % N == I (0-based data rows); N > 1 writes OUT/parts/I-of-N
  int jobs = 0;                      // decoding threads; 0 = every core this process may use
  int chunk_rows = 64;               // rows processed (and committed) together: what an interruption can lose
  CrawlLimits limits;
  std::function<void(const std::string&)> progress;  // one line at a time
  const std::atomic<int>* stop = nullptr;             // set: finish the chunk in hand, then throw Interrupted

  void validate() const;  // OptionError naming the field
};

// Tokens and texts of one text source, before and after its filter (the paper's table).
struct SourceCounts {
  int64_t texts_before = 0, tokens_before = 0;
  int64_t texts_after = 0, tokens_after = 0;
};

struct MineReport {
  std::string crawl, out_dir, detector;
  std::string sf_filter = "none", lf_filter = "none";  // "built-in rules" (+ a file), an LF filter directory
  int64_t rows = 0;          // data lines of the crawl (this shard's)
  int64_t malformed = 0;     // not JSON, a field of the wrong type, no id or audio, duplicate id
  int64_t unreadable = 0;    // audio missing or not decodable
  int64_t too_short = 0;
  int64_t not_music = 0;
  int64_t no_text = 0;       // no text at all, even unfiltered
  int64_t kept = 0;
  int64_t capped = 0;        // rows with a field cut or a list shortened
  int64_t invalid_utf8 = 0;  // texts dropped for invalid UTF-8
  double audio_seconds = 0;  // clip audio kept
  SourceCounts sf, lf, pl;   // over the kept recordings
  std::vector<Failure> problems;  // the first few of each kind, named FILE:LINE
  double wall_seconds = 0;
  bool resumed = false;

  int64_t rejected() const { return malformed + unreadable + too_short + not_music + no_text; }
  std::string to_json() const;                         // mining-report.json
  static MineReport from_json(const std::string& text, const std::string& where);
  std::string table() const;                           // the filtering table, for the terminal
};

MineReport mine(const MineOptions& options);

// Joins OUT/parts/I-of-N (every part of one N present and finished) into OUT: manifest.jsonl,
// rejected.jsonl and mining-report.json, the clips left where they are. Throws naming the
// missing part and the --shard that makes it.
MineReport merge_parts(const std::string& out_dir);

// "OUT/parts/I-of-N".
std::string part_dir(const std::string& out_dir, int index, int count);

// ASET (spec 3): AudioSet's music clips as pairs, the names of their labels as the text.
// Segment CSVs and ontology.json as distributed, clips found by YTID under audio_dir (as
// `mulan dataset audioset` finds them); every clip with a label under "Music" becomes a row
// {"id", "audio", "texts": {"aset": ["Guitar, Rock music, Music"]}, "labels": [...], "split"}
// of OUT/aset.jsonl, its audio relative to OUT. A file longer than its segment (a whole video)
// is cut to the segment, written as OUT/aset-clips/YTID.flac. Mining into the same OUT lets
// `cat OUT/manifest.jsonl OUT/aset.jsonl` mix SF:LF:PL:ASET as the trainer does.
struct AsetOptions {
  std::vector<std::string> segments;  // eval_segments.csv, balanced_train_segments.csv, ...
  std::string ontology;               // ontology.json
  std::string audio_dir;              // the clips (searched recursively)
  std::string out_dir;                // OUT
};
struct AsetSummary {
  int64_t rows = 0, cut = 0;  // rows written; of them, cut out of longer files
  std::string skipped;        // what was left out and why, in one line ("" = nothing)
};
AsetSummary make_aset(const AsetOptions& options);

}  // namespace mulan::mine
