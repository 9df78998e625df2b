#include "mulan/server.h"

#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ATen/ATen.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <thread>

#include "library/track_store.h"
#include "mulan/audio.h"
#include "mulan/context.h"
#include "mulan/library.h"
#include "serve/elastic_pool.h"
#include "serve/http_util.h"
#include "serve/metrics.h"
#include "serve/text_batcher.h"

namespace mulan {

namespace serve {
extern const char* const kPageHtml;  // src/serve/page/index.html, built in (serve_page.cpp)
}

void ServerOptions::validate() const {
  if (host.empty()) throw OptionError("host", "must not be empty");
  if (port < 0 || port > 65535) throw OptionError("port", "must be 0..65535, got " + std::to_string(port));
  if (threads < 1 || threads > 1024) throw OptionError("threads", "must be 1..1024, got " + std::to_string(threads));
  if (queue < 1) throw OptionError("queue", "must be >= 1, got " + std::to_string(queue));
  if (text_batch < 1) throw OptionError("text_batch", "must be >= 1, got " + std::to_string(text_batch));
  if (max_upload_bytes < 1) throw OptionError("max_upload_bytes", "must be >= 1");
  if (max_json_bytes < 1) throw OptionError("max_json_bytes", "must be >= 1");
  if (max_k < 1) throw OptionError("max_k", "must be >= 1");
  if (timeout_s < 1) throw OptionError("timeout_s", "must be >= 1, got " + std::to_string(timeout_s));
  if (prompt.find("{}") == std::string::npos) throw OptionError("prompt", "must contain {} where the tag goes");
}

const std::vector<std::string>& default_server_tags() {
  static const std::vector<std::string> kTags = {
      // genres and styles
      "rock", "pop", "jazz", "classical", "electronic", "hip hop", "metal", "folk", "blues", "country", "reggae",
      "ambient", "lo-fi", "funk", "latin", "orchestral",
      // moods
      "happy", "sad", "calm", "energetic", "dark", "romantic", "melancholic", "aggressive", "relaxing", "uplifting",
      // instruments
      "piano", "guitar", "acoustic guitar", "electric guitar", "drums", "bass", "violin", "strings", "synthesizer",
      "saxophone", "trumpet", "flute", "organ", "vocals",
      // tempo and mode
      "slow", "fast", "major key", "minor key"};
  return kTags;
}

namespace serve {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

thread_local Clock::time_point t_request_start{};

struct State {
  std::shared_ptr<const Library> lib;
  std::shared_ptr<const Context> ctx;
  ServerOptions o;
  TextBatcher batcher;
  Metrics metrics;
  std::vector<std::string> tags;
  std::vector<std::vector<float>> tag_vectors;  // the tags in the server's prompt, embedded once
  std::atomic<int> audio_in_flight{0};

  State(std::shared_ptr<const Library> l, std::shared_ptr<const Context> c, const ServerOptions& opts)
      : lib(std::move(l)), ctx(std::move(c)), o(opts), batcher(ctx, opts.text_batch, opts.queue) {}
};

json hit_json(const LibraryHit& h) {
  json j = library::track_json(h.track);
  j["score"] = h.score;
  j["start_s"] = h.start_s;
  return j;
}

json hits_json(const std::vector<LibraryHit>& hits) {
  json out = json::array();
  for (const auto& h : hits) out.push_back(hit_json(h));
  return out;
}

int64_t k_param(const httplib::Request& req, const State& s) {
  if (!req.has_param("k")) return std::min<int64_t>(10, s.o.max_k);
  return int_param(req.get_param_value("k"), "k", 1, s.o.max_k);
}

int64_t id_from(const std::string& text, const char* name) {
  return int_param(text, name, 0, std::numeric_limits<int64_t>::max(), 404);
}

double dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}

std::string mime_for(const std::string& path) {
  std::string ext = path.substr(path.find_last_of('.') + 1);
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  if (ext == "wav") return "audio/wav";
  if (ext == "flac") return "audio/flac";
  if (ext == "ogg" || ext == "oga" || ext == "opus") return "audio/ogg";
  if (ext == "mp3") return "audio/mpeg";
  if (ext == "aif" || ext == "aiff") return "audio/aiff";
  return "application/octet-stream";
}

void search(State& s, const httplib::Request& req, httplib::Response& res) {
  if (!req.has_param("q")) throw HttpError(400, "missing the query parameter q");
  const std::string q = req.get_param_value("q");
  check_text(q, "q", s.o.max_query_bytes);
  const int64_t k = k_param(req, s);
  const auto rows = s.batcher.embed({q});
  send_json(res, 200, {{"query", q}, {"results", hits_json(s.lib->nearest(rows.front(), k))}});
}

void similar(State& s, const httplib::Request& req, httplib::Response& res) {
  if (!req.has_param("id")) throw HttpError(400, "missing the query parameter id");
  const int64_t id = id_from(req.get_param_value("id"), "id");
  const int64_t k = k_param(req, s);
  send_json(res, 200, {{"id", id}, {"results", hits_json(s.lib->similar(id, k))}});
}

void track(State& s, const httplib::Request& req, httplib::Response& res) {
  send_json(res, 200, library::track_json(s.lib->track(id_from(req.matches[1].str(), "id"))));
}

void track_audio(State& s, const httplib::Request& req, httplib::Response& res) {
  const Track t = s.lib->track(id_from(req.matches[1].str(), "id"));
  const int fd = ::open(t.path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    if (fd >= 0) ::close(fd);
    throw HttpError(410, "track " + std::to_string(t.id) + "'s file is no longer readable");
  }
  // Debian's httplib 0.11 neither clamps a range that runs past the end nor refuses one that
  // starts past it (it would promise bytes that never come, or a length that wrapped around):
  // each range is checked, and clamped in place, here. The Request is httplib's own mutable
  // object handed over as const; the ranges are only read after this handler returns.
  const auto size = static_cast<ssize_t>(st.st_size);
  auto& ranges = const_cast<httplib::Request&>(req).ranges;
  for (auto& [first, last] : ranges) {
    if (first < 0 && last < 0) continue;
    if (first < 0) {  // "bytes=-N": the last N bytes
      first = std::max<ssize_t>(0, size - last);
      last = size - 1;
    }
    if (last < 0 || last >= size) last = size - 1;
    if (first >= size || first > last) {
      ::close(fd);
      ranges.clear();  // or httplib would cut the error's body by the range too
      res.set_header("Content-Range", "bytes */" + std::to_string(size));
      throw HttpError(416, "the range is outside the file (" + std::to_string(size) + " bytes)");
    }
  }
  res.set_header("Accept-Ranges", "bytes");
  res.set_header("Cache-Control", "private, max-age=3600");
  res.set_content_provider(
      static_cast<std::size_t>(st.st_size), mime_for(t.path),
      [fd](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
        char buf[1 << 16];
        const std::size_t n = std::min(length, sizeof buf);
        const ssize_t got = ::pread(fd, buf, n, static_cast<off_t>(offset));
        if (got <= 0) return false;
        return sink.write(buf, static_cast<std::size_t>(got));
      },
      [fd](bool) { ::close(fd); });
}

void tag(State& s, const httplib::Request& req, httplib::Response& res) {
  const json body = parse_json_body(req, s.o.max_json_bytes);
  if (!body.is_object()) throw HttpError(400, "the body must be a JSON object");
  if (!body.contains("id") || !body["id"].is_number_integer()) throw HttpError(400, "field 'id' must be a track id");
  const int64_t id = body["id"].get<int64_t>();
  const auto audio = s.lib->embedding(id);
  std::vector<std::string> tags = s.tags;
  std::string prompt = s.o.prompt;
  std::vector<std::vector<float>> vectors;
  const bool custom = body.contains("tags") || body.contains("prompt");
  if (body.contains("tags")) tags = string_list(body["tags"], "tags", 256, 1000);
  if (body.contains("prompt")) {
    if (!body["prompt"].is_string()) throw HttpError(400, "field 'prompt' must be a string");
    prompt = body["prompt"].get<std::string>();
    check_text(prompt, "prompt", 1000);
  }
  if (custom) {
    std::vector<std::string> texts;
    for (const auto& t : tags) texts.push_back(expand_prompt(prompt, t));
    vectors = s.batcher.embed(texts);
  } else {
    vectors = s.tag_vectors;
  }
  int64_t k = static_cast<int64_t>(tags.size());
  if (body.contains("k")) {
    if (!body["k"].is_number_integer() || body["k"].get<int64_t>() < 1 || body["k"].get<int64_t>() > 10000) {
      throw HttpError(400, "field 'k' must be an integer from 1 to 10000");
    }
    k = std::min(k, body["k"].get<int64_t>());
  }
  std::vector<std::pair<double, std::size_t>> order;
  for (std::size_t i = 0; i < tags.size(); ++i) order.emplace_back(dot(audio, vectors[i]), i);
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  json scores = json::array();
  for (int64_t i = 0; i < k; ++i) {
    scores.push_back({{"tag", tags[order[static_cast<std::size_t>(i)].second]}, {"score", order[static_cast<std::size_t>(i)].first}});
  }
  send_json(res, 200, {{"id", id}, {"prompt", prompt}, {"scores", scores}});
}

void embed_text(State& s, const httplib::Request& req, httplib::Response& res) {
  const json body = parse_json_body(req, s.o.max_json_bytes);
  if (!body.is_object() || !body.contains("texts")) throw HttpError(400, "the body must be {\"texts\": [...]}");
  const auto texts = string_list(body["texts"], "texts", s.o.max_texts, 10000);
  const auto rows = s.batcher.embed(texts);
  send_json(res, 200, {{"dim", s.ctx->embed_dim()}, {"embeddings", rows}});
}

void embed_audio(State& s, const httplib::Request& req, httplib::Response& res) {
  if (req.body.empty()) throw HttpError(400, "the body must be an audio file (WAV, FLAC, OGG, MP3, ...)");
  // Two uploads embed at once at most: each holds a decoded recording and a model pass.
  if (s.audio_in_flight.fetch_add(1) >= 2) {
    --s.audio_in_flight;
    throw Busy("server busy: too many audio uploads in progress");
  }
  struct Release {
    std::atomic<int>& n;
    ~Release() { --n; }
  } release{s.audio_in_flight};
  AudioEmbedding e;
  double duration = 0;
  try {
    duration = audio::AudioReader(req.body.data(), req.body.size(), "upload").info().duration_s;
    e = s.ctx->embed_audio(AudioSource::encoded(req.body, "upload"));
  } catch (const UsageError&) {
    throw;
  } catch (const Error& err) {
    throw HttpError(422, err.what());
  }
  const at::Tensor v = e.embedding.contiguous();
  send_json(res, 200,
            {{"dim", s.ctx->embed_dim()},
             {"embedding", std::vector<float>(v.data_ptr<float>(), v.data_ptr<float>() + v.numel())},
             {"duration_s", duration}});
}

// The route's label in the metrics: the path with ids replaced.
std::string route_label(const std::string& path) {
  static const char* kFixed[] = {"/", "/healthz", "/metrics", "/api/search", "/api/similar", "/api/tag",
                                 "/api/embed/text", "/api/embed/audio"};
  for (const char* f : kFixed) {
    if (path == f) return f;
  }
  if (path.rfind("/api/tracks/", 0) == 0) {
    return path.size() > 6 && path.compare(path.size() - 6, 6, "/audio") == 0 ? "/api/tracks/{id}/audio"
                                                                               : "/api/tracks/{id}";
  }
  return "other";
}

// The handler with every exception turned into a JSON error.
httplib::Server::Handler guarded(State& s, void (*f)(State&, const httplib::Request&, httplib::Response&)) {
  return [&s, f](const httplib::Request& req, httplib::Response& res) {
    try {
      f(s, req, res);
    } catch (const HttpError& e) {
      send_error(res, e.status(), e.what());
    } catch (const Busy& e) {
      res.set_header("Retry-After", "1");
      send_error(res, 503, e.what());
    } catch (const FileNotFound& e) {
      send_error(res, 404, e.what());
    } catch (const UsageError& e) {
      send_error(res, 400, e.what());
    } catch (const std::exception& e) {
      send_error(res, 500, error_text(e));
    }
  };
}

}  // namespace
}  // namespace serve

void run_server(std::shared_ptr<const Library> library, std::shared_ptr<const Context> ctx, const ServerOptions& options,
                const std::atomic<int>* stop) {
  using namespace serve;
  options.validate();
  if (library->embed_dim() != ctx->embed_dim()) throw UsageError("the model's embedding size is not the library's");
  State s(std::move(library), std::move(ctx), options);
  s.tags = options.tags.empty() ? default_server_tags() : options.tags;
  {
    std::vector<std::string> texts;
    for (const auto& t : s.tags) texts.push_back(expand_prompt(options.prompt, t));
    s.tag_vectors = s.batcher.embed(texts);
  }

  httplib::Server svr;
  const std::size_t max_threads = std::max<std::size_t>(static_cast<std::size_t>(options.threads), 256);
  svr.new_task_queue = [&] { return new ElasticPool(static_cast<std::size_t>(options.threads), max_threads); };
  svr.set_payload_max_length(static_cast<std::size_t>(std::max(options.max_upload_bytes, options.max_json_bytes)));
  svr.set_read_timeout(options.timeout_s, 0);
  svr.set_write_timeout(options.timeout_s, 0);
  svr.set_keep_alive_timeout(5);
  svr.set_keep_alive_max_count(1000);

  svr.set_pre_routing_handler([&](const httplib::Request& req, httplib::Response& res) {
    t_request_start = Clock::now();
    res.set_header("X-Content-Type-Options", "nosniff");
    if (!options.token.empty() && req.path.rfind("/api/", 0) == 0) {
      const bool header_ok = constant_time_equal(req.get_header_value("Authorization"), "Bearer " + options.token);
      const bool param_ok = route_label(req.path) == "/api/tracks/{id}/audio" && req.has_param("token") &&
                            constant_time_equal(req.get_param_value("token"), options.token);
      if (!header_ok && !param_ok) {
        res.set_header("WWW-Authenticate", "Bearer");
        send_error(res, 401, "missing or wrong token (send Authorization: Bearer TOKEN)");
        return httplib::Server::HandlerResponse::Handled;
      }
    }
    // A body past its limit is refused from its Content-Length, before it is read (httplib
    // would read and discard it all first: a 1 GB upload would cost a 1 GB read).
    if (req.has_header("Content-Length")) {
      const bool upload = req.path == "/api/embed/audio";
      const int64_t limit = upload ? options.max_upload_bytes : options.max_json_bytes;
      const std::string len = req.get_header_value("Content-Length");
      int64_t n = 0;
      const auto [end, ec] = std::from_chars(len.data(), len.data() + len.size(), n);
      if (ec != std::errc() || end != len.data() + len.size() || n > limit) {
        send_error(res, 413, std::string(upload ? "the upload" : "the body") + " is larger than " + std::to_string(limit) + " bytes");
        res.set_header("Connection", "close");
        return httplib::Server::HandlerResponse::Handled;
      }
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  svr.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
    if (res.body.empty()) {
      const std::string label = route_label(req.path);
      // A known path asked with another method: httplib answers 404 for those.
      if (res.status == 413 && req.get_header_value("Content-Type").rfind("application/x-www-form-urlencoded", 0) == 0) {
        // httplib caps form bodies at 8 KiB: an upload sent as a form (curl --data-binary's default).
        send_error(res, 413, "a form body is limited to 8 KiB: send audio and JSON with Content-Type "
                             "application/octet-stream (or audio/*) and application/json");
      } else if (res.status == 404 && label != "other" && label.find("{id}") == std::string::npos) {
        res.status = 405;
        send_error(res, 405, "method " + req.method + " is not allowed on " + label);
      } else {
        send_error(res, res.status, status_text(res.status));
      }
    }
    return httplib::Server::HandlerResponse::Handled;
  }));
  svr.set_logger([&](const httplib::Request& req, const httplib::Response& res) {
    double seconds = 0;
    if (t_request_start != Clock::time_point{}) {
      seconds = std::chrono::duration<double>(Clock::now() - t_request_start).count();
      t_request_start = Clock::time_point{};
    }
    s.metrics.record(route_label(req.path), res.status, seconds);
  });

  svr.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Content-Security-Policy",
                   "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
                   "media-src 'self'; img-src 'self' data:; connect-src 'self'");
    res.set_content(kPageHtml, "text/html; charset=utf-8");
  });
  svr.Get("/healthz", [&](const httplib::Request&, httplib::Response& res) {
    send_json(res, 200, {{"status", "ok"}, {"tracks", s.lib->size()}});
  });
  svr.Get("/metrics", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(s.metrics.text(s.batcher.depth(), s.lib->size(), s.batcher.passes()),
                    "text/plain; version=0.0.4; charset=utf-8");
  });
  svr.Get("/api/search", guarded(s, search));
  svr.Get("/api/similar", guarded(s, similar));
  svr.Get(R"(/api/tracks/(\d{1,18}))", guarded(s, track));
  svr.Get(R"(/api/tracks/(\d{1,18})/audio)", guarded(s, track_audio));
  svr.Post("/api/tag", guarded(s, tag));
  svr.Post("/api/embed/text", guarded(s, embed_text));
  svr.Post("/api/embed/audio", guarded(s, embed_audio));

  // The listening socket: httplib 0.11 listens with a backlog of 5, so a burst of connections
  // waits for SYN retries (a second each); it is raised once bound.
  int listen_fd = -1;
  svr.set_socket_options([&listen_fd](int sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    // Accepted sockets inherit it: httplib writes headers and body apart, and with Nagle's
    // algorithm against the client's delayed ACK every answer waited 40 ms.
    ::setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
    listen_fd = sock;
  });
  int port = options.port;
  if (port == 0) {
    port = svr.bind_to_any_port(options.host);
    if (port < 0) throw Error("cannot listen on " + options.host + ": " + std::strerror(errno));
  } else if (!svr.bind_to_port(options.host, port)) {
    throw Error("cannot listen on " + options.host + ":" + std::to_string(port) + ": " + std::strerror(errno));
  }
  if (listen_fd >= 0) ::listen(listen_fd, SOMAXCONN);
  std::atomic<bool> done{false};
  std::thread watcher([&] {  // a signal handler may not call stop(): this thread does
    while (!done.load()) {
      if (stop && stop->load() != 0) {
        svr.stop();
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  const std::string host = options.host.find(':') != std::string::npos ? "[" + options.host + "]" : options.host;
  if (options.on_listening) options.on_listening("http://" + host + ":" + std::to_string(port));
  const bool ok = svr.listen_after_bind();
  const int err = errno;
  done = true;
  watcher.join();
  if (!ok && (!stop || stop->load() == 0)) {
    throw Error("the server on " + host + ":" + std::to_string(port) + " stopped: " + std::strerror(err));
  }
}

}  // namespace mulan
