// mulan dataset mtat|audioset|playlists: turn a published evaluation data set, as distributed,
// into a manifest (plus tags.txt or queries.jsonl). The rules are in docs/evaluation.md.
#include <iostream>

#include "commands.h"
#include "mulan/eval_adapters.h"
#include "mulan/error.h"

namespace mulan::cli {

namespace {

void register_mtat(CLI::App& parent) {
  auto* cmd = parent.add_subcommand(
      "mtat", "MagnaTagATune: annotations_final.csv (tab-separated: clip_id, 188 tag columns, mp3_path) -> "
              "DIR/manifest.jsonl, tags.txt, dataset.json. Split by mp3 folder: 0-9, a, b train; c val; d-f test");
  auto o = std::make_shared<eval::MtatOptions>();
  cmd->add_option("--annotations", o->annotations, "annotations_final.csv as distributed")->required();
  cmd->add_option("--audio", o->audio_root, "Folder holding the mp3 folders 0 ... f")->required();
  cmd->add_option("--tags", o->tag_set,
                  "top50: the 50 most frequent tags over all clips (ties: earlier column first); all188: every tag column")
      ->capture_default_str()
      ->check(CLI::IsMember({"top50", "all188"}));
  cmd->add_option("--out", o->out_dir, "Output folder")->required();
  cmd->add_option("--name", o->name, "Data set name for reports (default MTAT-50 or MTAT-188)");
  cmd->add_flag("--drop-untagged", o->drop_untagged, "Skip clips with no positive tag of the set (kept by default)");
  cmd->callback([o] { std::cerr << eval::write_dataset(o->out_dir, eval::build_mtat(*o)) << "\n"; });
}

void register_audioset(CLI::App& parent) {
  auto* cmd = parent.add_subcommand(
      "audioset", "AudioSet: segment CSVs + ontology.json -> DIR/manifest.jsonl, tags.txt, dataset.json. gen25: the "
                  "children of \"Music genre\"; mu141: every class under \"Music\"; only classes some row carries");
  auto o = std::make_shared<eval::AudioSetOptions>();
  auto split_of = std::make_shared<std::vector<std::string>>();
  cmd->add_option("--segments", o->segments,
                  "Segment CSV (repeatable): eval_segments.csv, balanced_train_segments.csv, ...; a file whose name "
                  "contains 'eval' is the test split, any other the train split")
      ->required();
  cmd->add_option("--ontology", o->ontology, "ontology.json of the AudioSet ontology")->required();
  cmd->add_option("--audio", o->audio_dir,
                  "Folder of clips, searched recursively; a clip is found by file name: YTID, YTID_START or "
                  "YTID_START_END (START/END as in the CSV, whole seconds or milliseconds), each optionally with a "
                  "leading 'Y', plus an audio extension (wav, flac, mp3, ogg, opus, aiff)")
      ->required();
  cmd->add_option("--subset", o->subset, "gen25 or mu141")->capture_default_str()->check(CLI::IsMember({"gen25", "mu141"}));
  cmd->add_option("--out", o->out_dir, "Output folder")->required();
  cmd->add_option("--name", o->name, "Data set name for reports (default Gen-25 or Mu-141)");
  cmd->add_option("--split-of", *split_of, "CSV=SPLIT (repeatable): the split of a segment CSV, by path or file name, "
                                           "overriding the name rule; SPLIT is train, val or test");
  cmd->callback([o, split_of] {
    for (const std::string& s : *split_of) {
      const std::size_t eq = s.rfind('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == s.size()) throw UsageError("--split-of wants CSV=SPLIT, got '" + s + "'");
      o->split_of[s.substr(0, eq)] = s.substr(eq + 1);
    }
    std::cerr << eval::write_dataset(o->out_dir, eval::build_audioset(*o)) << "\n";
  });
}

void register_playlists(CLI::App& parent) {
  auto* cmd = parent.add_subcommand(
      "playlists", "Playlists JSON ([{title, description, tracks}] or {\"playlists\": [...]}) -> DIR/manifest.jsonl, "
                   "queries.jsonl (a query per title and per description; targets: the tracks present), dataset.json");
  auto o = std::make_shared<eval::PlaylistOptions>();
  cmd->add_option("--playlists", o->playlists, "Playlists JSON; 'track_ids' is accepted for 'tracks'")->required();
  cmd->add_option("--tracks", o->track_dir, "Folder with the tracks as <id>.<audio extension>")->required();
  cmd->add_option("--out", o->out_dir, "Output folder")->required();
  cmd->add_option("--name", o->name, "Data set name for reports")->capture_default_str();
  cmd->callback([o] { std::cerr << eval::write_dataset(o->out_dir, eval::build_playlists(*o)) << "\n"; });
}

}  // namespace

void register_dataset(CLI::App& app) {
  auto* cmd = app.add_subcommand("dataset", "Turn a published evaluation data set into a manifest (docs/evaluation.md)");
  cmd->require_subcommand(1);
  register_mtat(*cmd);
  register_audioset(*cmd);
  register_playlists(*cmd);
}

}  // namespace mulan::cli
