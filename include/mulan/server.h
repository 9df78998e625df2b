// mulan serve: a music library behind an HTTP JSON API and a web page (docs/server.md).
//
//   auto lib = mulan::Library::open("my-library");
//   mulan::ServerOptions o;                       // 127.0.0.1:8080 unless told otherwise
//   mulan::run_server(lib, lib->load_model(), o, &stop_flag);   // until stop_flag becomes non-zero
//
// No LibTorch in this header.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace mulan {

class Context;
class Library;

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;             // 0: any free port (the listening line says which)
  std::string token;           // non-empty: every /api request needs "Authorization: Bearer TOKEN"
  int threads = 8;             // HTTP worker threads
  int queue = 64;              // model requests (text and audio embedding) waiting at most; more get 503
  int text_batch = 32;         // concurrent text queries embedded in one forward pass, at most
  int64_t max_upload_bytes = int64_t{50} << 20;  // POST /api/embed/audio
  int64_t max_json_bytes = int64_t{1} << 20;     // every other body
  int max_k = 100;             // results per search, at most
  int max_query_bytes = 1000;  // a search text, at most
  int max_texts = 256;         // texts per POST /api/embed/text, at most
  int timeout_s = 10;          // reading a request, writing a response
  std::vector<std::string> tags;  // POST /api/tag without "tags" scores these ("" = the built-in list)
  std::string prompt = "{}";      // ... in this prompt
  // Called once when the server is ready, with "http://HOST:PORT".
  std::function<void(const std::string&)> on_listening;

  void validate() const;  // mulan::OptionError naming the field
};

// The built-in tag list of POST /api/tag: genres, moods, instruments, tempo and mode words.
const std::vector<std::string>& default_server_tags();

// Serves until *stop is non-zero (then lets in-flight requests finish) or the socket fails
// (mulan::Error naming host and port). ctx must be the library's model (Library::load_model).
void run_server(std::shared_ptr<const Library> library, std::shared_ptr<const Context> ctx, const ServerOptions& options,
                const std::atomic<int>* stop);

}  // namespace mulan
