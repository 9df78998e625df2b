#include "serve/http_util.h"

#include <charconv>

#include "text/unicode.h"

namespace mulan::serve {

using json = nlohmann::json;

void send_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& message) {
  send_json(res, status, {{"error", printable(message)}});
}

const char* status_text(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 422: return "Unprocessable Entity";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return status < 500 ? "Client Error" : "Server Error";
  }
}

int64_t int_param(const std::string& text, const char* name, int64_t lo, int64_t hi, int status) {
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v < lo || v > hi) {
    throw HttpError(status, std::string(name) + " must be an integer from " + std::to_string(lo) + " to " +
                                std::to_string(hi) + ", got '" + printable(text.substr(0, 40)) + "'");
  }
  return v;
}

void check_text(const std::string& text, const char* name, std::size_t max_bytes) {
  if (text.empty()) throw HttpError(400, std::string(name) + " must not be empty");
  if (text.size() > max_bytes) {
    throw HttpError(414, std::string(name) + " is longer than " + std::to_string(max_bytes) + " bytes");
  }
  if (!text::is_valid_utf8(text)) throw HttpError(400, std::string(name) + " is not valid UTF-8");
}

namespace {
// The deepest nesting of arrays and objects, strings skipped; stops counting past `limit`.
int nesting_depth(const std::string& s, int limit) {
  int depth = 0, deepest = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
      if (deepest > limit) return deepest;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}
}  // namespace

json parse_json_body(const httplib::Request& req, int64_t max_bytes) {
  if (static_cast<int64_t>(req.body.size()) > max_bytes) {
    throw HttpError(413, "the body is larger than " + std::to_string(max_bytes) + " bytes");
  }
  constexpr int kMaxDepth = 32;
  if (nesting_depth(req.body, kMaxDepth) > kMaxDepth) {
    throw HttpError(400, "the JSON body nests deeper than " + std::to_string(kMaxDepth) + " levels");
  }
  json j = json::parse(req.body, nullptr, false);
  if (j.is_discarded()) throw HttpError(400, "the body is not valid JSON (or not valid UTF-8)");
  return j;
}

std::vector<std::string> string_list(const json& v, const char* name, int max_items, std::size_t max_bytes) {
  if (!v.is_array() || v.empty() || v.size() > static_cast<std::size_t>(max_items)) {
    throw HttpError(400, std::string("field '") + name + "' must be a list of 1 to " + std::to_string(max_items) + " strings");
  }
  std::vector<std::string> out;
  for (const auto& x : v) {
    if (!x.is_string()) throw HttpError(400, std::string("field '") + name + "' must hold strings only");
    out.push_back(x.get<std::string>());
    check_text(out.back(), name, max_bytes);
  }
  return out;
}

bool constant_time_equal(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i % (b.empty() ? 1 : b.size())]);
  return diff == 0 && !b.empty();
}

}  // namespace mulan::serve
