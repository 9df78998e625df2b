// What the request handlers share: JSON replies and errors, parameter and body checks.
#pragma once

#include <httplib.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mulan/error.h"

namespace mulan::serve {

// An error with the HTTP status to answer it with.
class HttpError : public Error {
 public:
  HttpError(int status, const std::string& what) : Error(what), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

// The body as JSON (invalid UTF-8 replaced, never thrown on).
void send_json(httplib::Response& res, int status, const nlohmann::json& body);
// {"error": message} (through printable(): one line, no control characters).
void send_error(httplib::Response& res, int status, const std::string& message);
const char* status_text(int status);  // "Not Found", ...

// A decimal integer in [lo, hi]; HttpError(status) naming the parameter otherwise.
int64_t int_param(const std::string& text, const char* name, int64_t lo, int64_t hi, int status = 400);
// Valid UTF-8, not empty, at most max_bytes: HttpError 400 (414 when too long) otherwise.
void check_text(const std::string& text, const char* name, std::size_t max_bytes);
// The request body as a JSON value: 413 over max_bytes, 400 when it is not JSON, nests deeper
// than 32 levels or is not valid UTF-8.
nlohmann::json parse_json_body(const httplib::Request& req, int64_t max_bytes);
// A JSON array of 1..max_items strings, each checked by check_text.
std::vector<std::string> string_list(const nlohmann::json& v, const char* name, int max_items, std::size_t max_bytes);

bool constant_time_equal(const std::string& a, const std::string& b);

}  // namespace mulan::serve
