// mulan mine: a training set from a raw crawl (mulan/mine.h, docs/mining.md), and its tools:
//   mulan mine --crawl CRAWL.jsonl --out DIR [...]     mine (resumes; --shard I/N or RANK/WORLD_SIZE)
//   mulan mine merge DIR                             join the parts of a split run
//   mulan mine train-lf-filter --model M --data S --out F
//   mulan mine make-detector --out DIR               the built-in detector's recipe
//   mulan mine aset --segments CSV --ontology J --audio DIR --out DIR   AudioSet as ASET pairs
#include <iostream>

#include "cli_common.h"
#include "commands.h"
#include "mulan/error.h"
#include "mulan/lf_filter.h"
#include "mulan/mine.h"
#include "mulan/music_detector.h"

namespace mulan::cli {

namespace {

void say(const std::string& line) { std::cerr << "mulan: " << line << std::endl; }

struct MineArgs {
  mine::MineOptions o;
  std::string shard;
  bool no_sf_filter = false;
};

void run_mine(MineArgs& a) {
  mine::MineOptions o = a.o;
  if (o.crawl.empty() || o.out_dir.empty()) {
    throw UsageError("mine: --crawl and --out are required (or a subcommand: merge, train-lf-filter, make-detector, aset; see --help)");
  }
  o.sf_filter = !a.no_sf_filter;
  std::tie(o.shard_index, o.shard_count) = shard_of_this_process(a.shard);
  o.progress = say;
  o.stop = install_stop_signals();
  const mine::MineReport r = mine::mine(o);
  std::vector<Failure> problems = r.problems;
  print_skipped(problems);
  std::cerr << r.table();
  const std::string where = o.shard_count > 1 ? mine::part_dir(o.out_dir, o.shard_index, o.shard_count) : o.out_dir;
  std::cerr << "mulan: " << where << "/manifest.jsonl: " << r.kept << " clips; rejected rows in " << where
            << "/rejected.jsonl; the report in " << where << "/mining-report.json\n";
  if (o.shard_count > 1) {
    std::cerr << "mulan: part " << o.shard_index << " of " << o.shard_count << " done; when every part is: mulan mine merge "
              << o.out_dir << "\n";
  }
  if (r.kept == 0) throw Error(file_error(o.crawl, "no recording was kept (see " + where + "/rejected.jsonl)"));
}

void register_merge(CLI::App& parent) {
  auto* cmd = parent.add_subcommand("merge", "Join the parts of a split mining run (DIR/parts/I-of-N) into DIR/manifest.jsonl, "
                                             "rejected.jsonl and mining-report.json (the clips stay in the parts)");
  auto dir = std::make_shared<std::string>();
  cmd->add_option("DIR", *dir, "The --out of the split run")->required();
  cmd->callback([dir] {
    const mine::MineReport r = mine::merge_parts(*dir);
    std::cerr << r.table();
    std::cerr << "mulan: " << *dir << "/manifest.jsonl: " << r.kept << " clips from " << r.rows << " rows\n";
  });
}

void register_train_lf(CLI::App& parent) {
  auto* cmd = parent.add_subcommand(
      "train-lf-filter",
      "Fine-tune a model's text tower with a binary head on sentences labelled as about the music or not "
      "(JSON Lines of {\"text\", \"music\": true|false}); writes an LF filter directory for mulan mine --lf-filter, "
      "with its held-out accuracy and ROC-AUC");
  auto o = std::make_shared<mine::LfTrainOptions>();
  cmd->add_option("--model", o->model_dir, "Model directory with a text tower (e.g. an imported Hugging Face BERT)")->required();
  cmd->add_option("--data", o->data, "Labelled sentences (.jsonl); the project's set: data/mining/lf-sentences.jsonl")->required();
  cmd->add_option("--out", o->out_dir, "The LF filter directory to write")->required();
  cmd->add_option("--val-fraction", o->val_fraction, "Held out (per label), for the accuracy and ROC-AUC")->capture_default_str();
  cmd->add_option("--steps", o->steps, "Optimiser steps")->capture_default_str();
  cmd->add_option("--batch", o->batch, "Sentences per step")->capture_default_str();
  cmd->add_option("--lr", o->lr, "AdamW peak learning rate")->capture_default_str();
  cmd->add_option("--seed", o->seed, "Seed of the split, the order and dropout")->capture_default_str();
  cmd->add_option("--threshold", o->threshold, "Probability at and above which mine keeps a sentence")->capture_default_str();
  cmd->callback([o] {
    mine::LfTrainOptions opt = *o;
    opt.progress = say;
    const mine::LfTrainSummary s = mine::train_lf_filter(opt);
    print_skipped(s.bad);
    std::fprintf(stderr, "mulan: LF filter %s: held-out accuracy %.3f, ROC-AUC %.3f on %lld sentences (%lld for training)\n",
                 opt.out_dir.c_str(), s.val_accuracy, s.val_roc_auc, static_cast<long long>(s.val), static_cast<long long>(s.train));
  });
}

void register_make_detector(CLI::App& parent) {
  auto* cmd = parent.add_subcommand(
      "make-detector",
      "Make a music detector by the built-in one's recipe: music from the synthesiser against speech (espeak-ng), "
      "noise and tones (sox) and speech over quiet music, a tiny ResNet tagger (Music, Speech, Noise, Sine wave) "
      "trained on it, and its accuracy on held-out material (DIR/detector.json). The built-in detector is "
      "models/music-detector, made with the defaults");
  auto r = std::make_shared<mine::DetectorRecipe>();
  cmd->add_option("--out", r->out_dir, "The detector's model directory")->required();
  cmd->add_option("--seed", r->seed, "Seed of the material and the training")->capture_default_str();
  cmd->add_option("--clips-per-kind", r->clips_per_kind, "Training clips of each of the five kinds")->capture_default_str();
  cmd->add_option("--seconds", r->seconds, "Length of each clip")->capture_default_str();
  cmd->add_option("--steps", r->steps, "Training steps")->capture_default_str();
  cmd->add_option("--soundfont", r->soundfont, "SoundFont for the music (default: the usual places)");
  cmd->add_option("--work", r->work_dir, "Keep the training material and run here (default: a folder in --out, removed)");
  cmd->callback([r] {
    mine::DetectorRecipe recipe = *r;
    recipe.progress = say;
    const mine::DetectorSummary s = mine::make_detector(recipe);
    std::fprintf(stderr, "mulan: detector %s: held-out accuracy %.3f on %lld clips (", recipe.out_dir.c_str(), s.heldout.accuracy(),
                 static_cast<long long>(s.heldout.clips));
    for (std::size_t i = 0; i < s.heldout.per_kind.size(); ++i) {
      std::fprintf(stderr, "%s%s %.2f", i ? ", " : "", s.heldout.per_kind[i].first.c_str(), s.heldout.per_kind[i].second);
    }
    std::fprintf(stderr, ") in %.0f s\n", s.train_seconds);
  });
}

void register_aset(CLI::App& parent) {
  auto* cmd = parent.add_subcommand(
      "aset", "ASET pairs: AudioSet clips with a label under \"Music\", the label names as text, into OUT/aset.jsonl "
              "(audio relative to OUT; whole videos cut to their 10 s segment into OUT/aset-clips). Mine into the same OUT "
              "and train on `cat OUT/manifest.jsonl OUT/aset.jsonl`");
  auto o = std::make_shared<mine::AsetOptions>();
  cmd->add_option("--segments", o->segments, "Segment CSVs as distributed (balanced_train_segments.csv, ...)")->required();
  cmd->add_option("--ontology", o->ontology, "ontology.json as distributed")->required();
  cmd->add_option("--audio", o->audio_dir, "Folder holding the clips, found by YTID")->required();
  cmd->add_option("--out", o->out_dir, "Output folder")->required();
  cmd->callback([o] {
    const mine::AsetSummary s = mine::make_aset(*o);
    if (!s.skipped.empty()) std::cerr << "mulan: left out: " << s.skipped << "\n";
    std::cerr << "mulan: " << o->out_dir << "/aset.jsonl: " << s.rows << " ASET pairs (" << s.cut << " cut out of longer files)\n";
  });
}

}  // namespace

void register_mine(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "mine",
      "Mine a training set from a crawl (JSON Lines: id, audio, title, tags, description, comments, playlists): one "
      "clip per recording, kept when the music detector hears enough music, with SF/LF/PL texts filtered and "
      "unfiltered. Writes DIR/manifest.jsonl (for mulan train), DIR/clips/, DIR/rejected.jsonl and "
      "DIR/mining-report.json. Running it again continues an interrupted run. docs/mining.md");
  auto a = std::make_shared<MineArgs>();
  mine::MineOptions& o = a->o;
  cmd->add_option("--crawl", o.crawl, "The crawl (.jsonl)");
  cmd->add_option("--out", o.out_dir, "Output folder (created; the same command continues it)");
  cmd->add_option("--clip-seconds", o.clip_seconds, "Length of the clip taken from each recording")->capture_default_str();
  cmd->add_option("--clip-position", o.clip_position, "middle, or random (drawn from --seed and the row's id)")
      ->capture_default_str()
      ->check(CLI::IsMember({"middle", "random"}));
  cmd->add_option("--seed", o.seed, "Seed of random clip positions")->capture_default_str();
  cmd->add_option("--min-seconds", o.min_seconds, "Recordings shorter than this are rejected")->capture_default_str();
  cmd->add_option("--min-music", o.min_music, "Keep a clip when at least this fraction of its windows is music")
      ->capture_default_str();
  cmd->add_option("--detector", o.detector, "Music detector: a model directory with a tagger head (default: the built-in one)");
  cmd->add_option("--detector-labels", o.detector_labels,
                  "Its class names, one a line, or AudioSet's class_labels_indices.csv (default: DETECTOR/labels.txt)");
  cmd->add_option("--detector-class", o.detector_class, "The class that means music")->capture_default_str();
  cmd->add_flag("--no-sf-filter", a->no_sf_filter, "Keep SF texts (title, tags) unfiltered");
  cmd->add_option("--sf-rules", o.sf_rules, "A rules file that extends the built-in SF rules (format: docs/mining.md)");
  cmd->add_option("--lf-filter", o.lf_filter, "An LF filter directory (mulan mine train-lf-filter); default: none");
  cmd->add_option("--lf-threshold", o.lf_threshold, "Keep LF sentences scored at least this (default: the filter's own)");
  cmd->add_flag("--shards", o.shards, "Also write DIR/shards/mined-NNNNN.tar (WebDataset, for mulan train --data DIR/shards)");
  cmd->add_option("--shard-clips", o.shard_clips, "Clips per tar with --shards")->capture_default_str();
  cmd->add_option("--shard", a->shard,
                  "Mine only rows I, I+N, ... into DIR/parts/I-of-N (torchrun's RANK and WORLD_SIZE do the same); then "
                  "mulan mine merge DIR");
  cmd->add_option("--jobs", o.jobs, "Decoding threads (0: one per core this process may use)")->capture_default_str();
  cmd->add_option("--chunk", o.chunk_rows, "Rows processed and saved together (what an interruption can lose)")
      ->capture_default_str();
  cmd->add_option("--max-text-bytes", o.limits.max_text_bytes, "Longer titles, descriptions, comments, ... are cut")
      ->capture_default_str();
  cmd->add_option("--max-items", o.limits.max_items, "Longer tag, comment and playlist lists are shortened")->capture_default_str();
  register_merge(*cmd);
  register_train_lf(*cmd);
  register_make_detector(*cmd);
  register_aset(*cmd);
  cmd->require_subcommand(0, 1);
  cmd->callback([a, cmd] {
    if (!cmd->get_subcommands().empty()) return;
    run_mine(*a);
  });
}

}  // namespace mulan::cli
