// mulan: the command-line tool. Errors end here: one line on stderr, exit 1 for a failure,
// 2 for wrong usage.
#include <iostream>

#include "cli_common.h"
#include "commands.h"
#include "mulan/blas.h"
#include "mulan/error.h"
#include "mulan/threads.h"

int main(int argc, char** argv) {
  mulan::use_best_blas_kernels();  // first: before any tensor work or thread
  CLI::App app{"mulan: a joint embedding of music audio and natural language (MuLan)"};
  app.set_version_flag("--version", std::string("mulan ") + MULAN_VERSION);
  app.require_subcommand(1);
  app.fallthrough();
  app.footer(
      "Threads: LibTorch runs on every core this process may use (its CPU affinity); OMP_NUM_THREADS=N overrides.");
  mulan::cli::register_info(app);
  mulan::cli::register_mel(app);
  mulan::cli::register_tokenize(app);
  mulan::cli::register_init(app);
  mulan::cli::register_import(app);
  mulan::cli::register_quantize(app);
  mulan::cli::register_embed_text(app);
  mulan::cli::register_embed_audio(app);
  mulan::cli::register_train(app);
  mulan::cli::register_pretrain_tagger(app);
  mulan::cli::register_report(app);
  mulan::cli::register_search(app);
  mulan::cli::register_dataset(app);
  mulan::cli::register_eval(app);
  mulan::cli::register_eval_report(app);
  mulan::cli::register_synth(app);
  mulan::cli::register_index(app);
  mulan::cli::register_tag(app);
  mulan::cli::register_serve(app);
  mulan::cli::register_mine(app);

  try {
    mulan::util::use_available_cores();
    app.parse(argc, argv);
    mulan::cli::finish_stdout();
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "mulan: usage error: " << mulan::printable(e.what()) << " (see 'mulan --help')\n";
    return 2;
  } catch (const mulan::OptionError& e) {
    std::cerr << "mulan: usage error: " << mulan::printable(mulan::OptionError::joined(mulan::cli::flag_for(app, e.field()), e.message())) << "\n";
    return 2;
  } catch (const mulan::UsageError& e) {
    std::cerr << "mulan: usage error: " << mulan::printable(e.what()) << "\n";
    return 2;
  } catch (const mulan::Interrupted& e) {
    std::cerr << "mulan: interrupted: " << mulan::printable(e.what()) << "\n";
    return 128 + e.signal();
  } catch (const mulan::Error& e) {
    std::cerr << "mulan: error: " << mulan::printable(e.what()) << "\n";
    return 1;
  } catch (const std::exception& e) {
    // LibTorch's errors and allocation failures: one line, without the C++ backtrace.
    std::cerr << "mulan: error: " << mulan::error_text(e) << "\n";
    return 1;
  }
  return 0;
}
