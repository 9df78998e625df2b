// mulan serve --index LIB [--host 127.0.0.1] [--port 8080] [--token T]: the library behind an
// HTTP JSON API and a web page (mulan/server.h, docs/server.md).
#include <iostream>

#include "cli_common.h"
#include "commands.h"
#include "mulan/context.h"
#include "mulan/error.h"
#include "mulan/library.h"
#include "mulan/server.h"

namespace mulan::cli {

namespace {

struct ServeArgs {
  std::string index, model, tags_file, device = default_params().device;
  ServerOptions o;
  int64_t max_upload_mb = 50;
};

bool loopback(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

void run_serve(ServeArgs a) {
  if (!a.tags_file.empty()) a.o.tags = read_tag_list(a.tags_file);
  a.o.max_upload_bytes = a.max_upload_mb << 20;
  a.o.validate();
  if (!loopback(a.o.host) && a.o.token.empty()) {
    std::cerr << "mulan serve: warning: listening on " << a.o.host
              << " without --token: anyone who can reach this address can search the library and download its files\n";
  }
  const auto* stop = install_stop_signals();
  auto lib = Library::open(a.index);
  ContextParams params = default_params();
  params.device = a.device;
  auto ctx = lib->load_model(a.model, params);
  const int64_t tracks = lib->size();
  a.o.on_listening = [tracks](const std::string& url) {
    std::cerr << "mulan serve: listening on " << url << " (" << tracks << " tracks)" << std::endl;
  };
  run_server(lib, ctx, a.o, stop);
  std::cerr << "mulan serve: stopped" << std::endl;
}

}  // namespace

void register_serve(CLI::App& app) {
  auto* cmd = app.add_subcommand("serve", "Serve a library: a JSON API and a search page (docs/server.md)");
  auto a = std::make_shared<ServeArgs>();
  cmd->add_option("--index", a->index, "Library folder (mulan index build)")->required();
  cmd->add_option("--model", a->model, "The library's model, where it is now (default: where it was at build time)");
  cmd->add_option("--host", a->o.host, "Address to listen on (loopback only unless you say otherwise)")->capture_default_str();
  cmd->add_option("--port", a->o.port, "Port (0: any free one; the listening line says which)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--token", a->o.token, "Require 'Authorization: Bearer TOKEN' on every /api request");
  cmd->add_option("--tags", a->tags_file, "Tag list for POST /api/tag (one a line; default: a built-in list)");
  cmd->add_option("--prompt", a->o.prompt, "Text each tag is put into, at {}")->capture_default_str();
  cmd->add_option("--threads", a->o.threads, "HTTP worker threads to start with (more start for idle connections)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--queue", a->o.queue, "Text queries waiting for the model at most; more are answered 503")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--text-batch", a->o.text_batch,
                  "Waiting text queries embedded together in one forward pass, at most (1: one at a time)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--max-upload-mb", a->max_upload_mb, "Largest audio upload (POST /api/embed/audio), MiB")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{4096}));
  cmd->add_option("--timeout", a->o.timeout_s, "Seconds to read a request or write a response")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  add_device_option(cmd, a->device);
  cmd->callback([a] { run_serve(*a); });
}

}  // namespace mulan::cli
