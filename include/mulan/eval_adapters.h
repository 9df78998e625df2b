// Data set adapters: read the published evaluation data sets as they are distributed and write
// the manifest format of src/data/manifest.h (docs/evaluation.md has the rules).
//
//   MagnaTagATune  annotations_final.csv (tab-separated: clip_id, 188 tag columns, mp3_path)
//                  -> MTAT-50 (the 50 most frequent tags) or MTAT-188; split by mp3 folder
//   AudioSet       segment CSVs + ontology.json -> Gen-25 (the children of "Music genre") or
//                  Mu-141 (every class under "Music"); a CSV named like *eval* is the test split
//   Playlists      JSON of {title, description, tracks} -> manifest + retrieval queries
//
// Each adapter writes DIR/manifest.jsonl (audio paths relative to DIR), DIR/tags.txt or
// DIR/queries.jsonl, and DIR/dataset.json (name, sources, rule, counts), every file atomically.
// Malformed input throws mulan::Error naming the file and the line; rows that are merely
// unusable (audio not downloaded, no label of the subset) are skipped and counted.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace mulan::eval {

// One manifest.jsonl row as an adapter writes it.
struct ManifestRow {
  std::string id;
  std::string audio;  // relative to the manifest's folder
  std::map<std::string, std::vector<std::string>> texts;  // source -> texts; empty sources left out
  std::vector<std::string> tags;    // positive evaluation tags
  std::vector<std::string> labels;  // source labels (AudioSet: every label id of the clip)
  std::string split;                // "train" | "val" | "test" | "" (none)
};

// One queries.jsonl row: a text and the ids of the recordings it should find.
struct QueryRow {
  std::string id;
  std::string text;
  std::vector<std::string> targets;
};

// Rows left out, by reason, keeping the first few examples of each.
class SkipLog {
 public:
  void add(const std::string& reason, const std::string& example);
  int64_t total() const;
  int64_t count(const std::string& reason) const;
  // "audio missing 3 (e.g. 'a', 'b'), no tag of the set 1 (e.g. 'c')"; "" when nothing was skipped.
  std::string summary(std::size_t examples = 3) const;
  nlohmann::ordered_json to_json() const;  // {reason: {"count": N, "examples": [...]}}

 private:
  struct Entry {
    std::string reason;
    int64_t count = 0;
    std::vector<std::string> examples;
  };
  std::vector<Entry> entries_;
};

// Everything an adapter produced, ready to be written.
struct AdapterResult {
  std::string adapter;  // "mtat" | "audioset" | "playlists"
  std::string dataset;  // the name reports use: "MTAT-50", "Gen-25", ...
  std::vector<ManifestRow> rows;
  std::vector<std::string> tags;  // tags.txt, one a line (not written when empty)
  std::vector<QueryRow> queries;  // queries.jsonl (written when write_queries)
  bool write_queries = false;
  SkipLog skipped;
  nlohmann::ordered_json info;  // adapter-specific provenance for dataset.json (sources, rule)
};

// Writes DIR/manifest.jsonl, tags.txt, queries.jsonl and dataset.json (creating DIR), each
// atomically, and returns the one-line summary. Throws when there is no row to write.
std::string write_dataset(const std::string& out_dir, const AdapterResult& result);

// ---- MagnaTagATune ----

struct MtatOptions {
  std::string annotations;       // annotations_final.csv as distributed (tab-separated, header line)
  std::string audio_root;        // folder holding the mp3 folders 0 ... f
  std::string tag_set = "top50"; // "top50" (50 most frequent tags) or "all188" (every tag column)
  std::string out_dir;           // where the manifest goes (audio paths are made relative to it)
  std::string name;              // data set name for reports; "" = "MTAT-50" / "MTAT-188"
  bool drop_untagged = false;    // skip clips with no positive tag of the set (kept by default)
};

// The parsed annotations_final.csv.
struct MtatAnnotations {
  std::vector<std::string> tags;  // the tag columns, in file order
  struct Clip {
    std::string clip_id, mp3_path;
    std::vector<uint8_t> on;  // one 0/1 per tag column
    int64_t line = 0;
  };
  std::vector<Clip> clips;
};

MtatAnnotations read_mtat_annotations(const std::string& path);
// Indices of the n most frequent tag columns over all clips, most frequent first; ties go to the
// column that comes first in the file.
std::vector<std::size_t> mtat_top_tags(const MtatAnnotations& a, std::size_t n);
// "train" for folders 0-9, a, b; "val" for c; "test" for d, e, f (the usual MTAT split);
// "" when mp3_path does not start with one of those folders.
std::string mtat_split(const std::string& mp3_path);

AdapterResult build_mtat(const MtatOptions& options);

// ---- AudioSet ----

struct AudioSetOptions {
  std::vector<std::string> segments;  // segment CSVs (eval_segments.csv, balanced_train_segments.csv, ...)
  std::string ontology;               // ontology.json
  std::string audio_dir;              // clips, found by YTID (searched recursively)
  std::string subset = "gen25";       // "gen25" or "mu141"
  std::string out_dir;
  std::string name;                   // data set name; "" = "Gen-25" / "Mu-141"
  std::map<std::string, std::string> split_of;  // CSV (path or file name) -> split, overriding the name rule
};

struct OntologyClass {
  std::string id, name;
  std::vector<std::string> children;
  std::vector<std::string> restrictions;
};

struct Ontology {
  std::vector<OntologyClass> classes;  // file order
  std::map<std::string, std::size_t> by_id;
  const OntologyClass& find_by_name(const std::string& name, const std::string& path) const;
};

Ontology read_ontology(const std::string& path);
// Class ids of a subset in ontology order, before the "carried by some row" filter:
// gen25 = the direct children of "Music genre"; mu141 = every descendant of "Music".
std::vector<std::string> audioset_subset_candidates(const Ontology& o, const std::string& subset,
                                                    const std::string& ontology_path);

struct Segment {
  std::string ytid, start, end;  // start/end as written in the CSV ("30.000")
  std::vector<std::string> labels;
  std::string where;  // "FILE:LINE"
};

// One data line of a segment CSV (`YTID, start, end, "label,label"`); throws Error(reason).
Segment parse_segment_line(const std::string& line);
// Stems under which a clip of this segment may be stored: YTID, YTID_START, YTID_START_END
// (START/END as written, as whole seconds and as milliseconds), each also with a leading "Y".
std::vector<std::string> segment_file_stems(const Segment& s);

AdapterResult build_audioset(const AudioSetOptions& options);

// ---- Playlists ----

struct PlaylistOptions {
  std::string playlists;  // JSON: [{title, description, tracks|track_ids}] or {"playlists": [...]}
  std::string track_dir;  // tracks as TRACK_DIR/<id>.<audio extension>
  std::string out_dir;
  std::string name = "Playlists";  // data set name for reports
};

AdapterResult build_playlists(const PlaylistOptions& options);

// Audio file extensions the adapters look for (lower case, with the dot).
const std::vector<std::string>& audio_extensions();

}  // namespace mulan::eval
