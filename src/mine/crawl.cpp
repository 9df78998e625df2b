#include "mine/crawl.h"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "mine/clip.h"
#include "text/unicode.h"

namespace mulan::mine {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The longest prefix of s of at most n bytes that ends on a character boundary.
std::string cut_utf8(const std::string& s, std::size_t n) {
  if (s.size() <= n) return s;
  std::size_t end = n;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return s.substr(0, end);
}

// Replaces every ill-formed UTF-8 sequence with U+FFFD (one per maximal subpart).
std::string repair_utf8(const std::string& s) {
  std::u32string cps;
  text::decode_utf8(s, cps);
  std::string out;
  out.reserve(s.size());
  for (char32_t c : cps) text::append_utf8(c, out);
  return out;
}

struct FieldReader {
  const json& row;
  const CrawlLimits& limits;
  CrawlRow& r;
  bool repaired;

  // A text field that came from a repaired line and holds U+FFFD is dropped (counted).
  bool usable(const std::string& s) {
    if (repaired && s.find("\xEF\xBF\xBD") != std::string::npos) {
      ++r.invalid_utf8;
      return false;
    }
    return true;
  }
  std::string capped(const std::string& field, std::string s) {
    if (s.size() > limits.max_text_bytes) {
      r.capped.push_back(field + " cut from " + std::to_string(s.size()) + " to " + std::to_string(limits.max_text_bytes) + " bytes");
      s = cut_utf8(s, limits.max_text_bytes);
    }
    return s;
  }
  std::string text(const char* field) {
    auto it = row.find(field);
    if (it == row.end() || it->is_null()) return "";
    if (!it->is_string()) throw Error(std::string("field '") + field + "' must be a string");
    std::string s = it->get<std::string>();
    return usable(s) ? capped(field, std::move(s)) : "";
  }
  std::vector<std::string> list(const char* field) {
    std::vector<std::string> out;
    auto it = row.find(field);
    if (it == row.end() || it->is_null()) return out;
    if (it->is_string()) {  // a single string where a list belongs: taken as a list of one
      if (usable(it->get<std::string>())) out.push_back(capped(field, it->get<std::string>()));
      return out;
    }
    if (!it->is_array()) throw Error(std::string("field '") + field + "' must be a list of strings");
    std::size_t seen = 0;
    for (const json& v : *it) {
      if (!v.is_string()) throw Error(std::string("field '") + field + "' must be a list of strings");
      if (++seen > limits.max_items) continue;
      std::string s = v.get<std::string>();
      if (usable(s)) out.push_back(capped(std::string(field) + "[" + std::to_string(seen - 1) + "]", std::move(s)));
    }
    if (seen > limits.max_items) {
      r.capped.push_back(std::string(field) + ": " + std::to_string(seen) + " items, the first " +
                         std::to_string(limits.max_items) + " kept");
    }
    return out;
  }
};

}  // namespace

CrawlRow parse_crawl_row(std::string line, const std::string& base, const CrawlLimits& limits) {
  CrawlRow r;
  const bool repaired = !text::is_valid_utf8(line);
  if (repaired) line = repair_utf8(line);
  json row;
  try {
    row = json::parse(line);
  } catch (const json::parse_error& e) {
    throw Error(std::string("invalid JSON (") + e.what() + ")");
  }
  if (!row.is_object()) throw Error("a row must be a JSON object");
  auto required = [&](const char* field) {
    auto it = row.find(field);
    if (it == row.end() || !it->is_string() || it->get<std::string>().empty()) {
      throw Error(std::string("field '") + field + "' must be a non-empty string");
    }
    std::string s = it->get<std::string>();
    if (repaired && s.find("\xEF\xBF\xBD") != std::string::npos) {
      throw Error(std::string("field '") + field + "' is not valid UTF-8");
    }
    return s;
  };
  r.id = required("id");
  if (r.id.size() > 1024) throw Error("field 'id' is longer than 1024 bytes");
  const fs::path p(required("audio"));
  r.audio = (p.is_absolute() ? p : fs::path(base) / p).lexically_normal().string();
  FieldReader f{row, limits, r, repaired};
  r.title = f.text("title");
  r.description = f.text("description");
  r.tags = f.list("tags");
  r.comments = f.list("comments");
  r.playlists = f.list("playlists");
  return r;
}

CrawlReader::CrawlReader(const std::string& path, const CrawlLimits& limits)
    : path_(path), base_(fs::path(path).parent_path().string()), limits_(limits), in_(path, std::ios::binary) {
  if (!fs::exists(path)) throw FileNotFound(file_error(path, "no such crawl file"));
  if (fs::is_directory(path)) throw Error(file_error(path, "is a folder, not a crawl file (.jsonl)"));
  if (!in_) throw Error(file_error(path, "cannot open"));
}

bool CrawlReader::next(CrawlItem& item) {
  item = CrawlItem{};
  std::string line;
  while (true) {
    line.clear();
    // Reads the line in pieces so that a line of gigabytes never sits in memory whole.
    bool too_long = false, any = false;
    char buf[65536];
    while (true) {
      in_.getline(buf, sizeof buf);
      const std::streamsize got = in_.gcount();
      if (got > 0) any = true;
      if (in_.bad()) throw Error(file_error(path_, "read error after line " + std::to_string(line_)));
      if (in_.fail() && !in_.eof() && got == static_cast<std::streamsize>(sizeof buf) - 1) {
        in_.clear();  // the line goes on
        if (!too_long) line.append(buf, static_cast<std::size_t>(got));
        if (line.size() > limits_.max_line_bytes) too_long = true, line.clear();
        continue;
      }
      // gcount counts the newline that ended the line (not stored); at the end of the file there is none.
      std::size_t stored = got > 0 ? static_cast<std::size_t>(got) : 0;
      if (stored > 0 && !in_.eof()) --stored;
      if (!too_long) line.append(buf, std::min(stored, sizeof buf - 1));
      break;
    }
    if (!any && in_.eof()) return false;
    ++line_;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!too_long && line.size() > limits_.max_line_bytes) too_long = true;
    const bool blank = !too_long && line.find_first_not_of(" \t") == std::string::npos;
    if (blank) {
      if (in_.eof()) return false;
      continue;
    }
    item.line = line_;
    item.index = index_++;
    const std::string where = path_ + ":" + std::to_string(line_);
    if (too_long) {
      item.bad = Failure{where, FailureKind::too_large,
                         "line longer than " + std::to_string(limits_.max_line_bytes) + " bytes: skipped"};
      return true;
    }
    try {
      CrawlRow r = parse_crawl_row(std::move(line), base_, limits_);
      r.line = line_;
      r.index = item.index;
      r.where = where;
      if (!ids_.insert(id_hash(r.id)).second) {
        item.bad = Failure{where, FailureKind::duplicate, "id '" + printable(r.id) + "' seen before: skipped"};
        return true;
      }
      item.row = std::move(r);
    } catch (const Error& e) {
      item.bad = Failure{where, FailureKind::malformed, e.what()};
    }
    return true;
  }
}

}  // namespace mulan::mine
