// Each subcommand registers itself on the top-level app; its callback does the work and
// throws mulan::Error (exit 1) or mulan::UsageError (exit 2) on failure.
#pragma once

#include <CLI/CLI.hpp>

namespace mulan::cli {

void register_info(CLI::App& app);
void register_mel(CLI::App& app);
void register_tokenize(CLI::App& app);
void register_init(CLI::App& app);
void register_import(CLI::App& app);
void register_quantize(CLI::App& app);  // quantize: the int8 form of a model directory
void register_embed_text(CLI::App& app);
void register_embed_audio(CLI::App& app);
void register_train(CLI::App& app);
void register_pretrain_tagger(CLI::App& app);
void register_search(CLI::App& app);
void register_dataset(CLI::App& app);
void register_eval(CLI::App& app);  // eval tagging|probe|retrieval|triplets
void register_eval_report(CLI::App& app);
// The 'eval' subcommand group: created by the first caller, found by the others.
CLI::App* eval_command(CLI::App& app);

void register_synth(CLI::App& app);
void register_report(CLI::App& app);  // report RUN_DIR: an HTML page of a training run
void register_index(CLI::App& app);   // index build|search|similar|info|export|merge
void register_tag(CLI::App& app);     // tag: zero-shot tags of files, folders or a library
void register_serve(CLI::App& app);   // serve: a library behind an HTTP API and a page
void register_mine(CLI::App& app);    // mine: a training set from a raw crawl; merge, train-lf-filter, make-detector
}  // namespace mulan::cli
