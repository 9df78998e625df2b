#include "mulan/error.h"

#include <cstdio>

namespace mulan {

std::string file_error(const std::string& path, const std::string& message) {
  return "'" + path + "': " + message;
}

const char* to_string(FailureKind kind) {
  switch (kind) {
    case FailureKind::missing: return "missing";
    case FailureKind::unreadable: return "unreadable";
    case FailureKind::malformed: return "malformed";
    case FailureKind::too_large: return "too_large";
    case FailureKind::empty: return "empty";
    case FailureKind::duplicate: return "duplicate";
    case FailureKind::not_finite: return "not_finite";
    case FailureKind::other: break;
  }
  return "other";
}

std::string Failure::text() const { return where.empty() ? reason : file_error(where, reason); }

namespace {
// Length of the valid UTF-8 sequence at s[i] (1 to 4), or 0 if there is none.
size_t utf8_length(std::string_view s, size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  size_t n = b < 0x80 ? 1 : (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : (b & 0xF8) == 0xF0 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  uint32_t cp = n == 1 ? b : n == 2 ? b & 0x1F : n == 3 ? b & 0x0F : b & 0x07;
  for (size_t k = 1; k < n; ++k) {
    const auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (c & 0x3F);
  }
  const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;  // overlong, out of range, surrogate
  if (cp >= 0x80 && cp < 0xA0) return 0;  // C1 controls (CSI 0x9B starts escapes on some terminals)
  if (cp == 0x2028 || cp == 0x2029 || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069)) return 0;  // separators, bidi
  return n;
}
}  // namespace

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const auto b = static_cast<unsigned char>(text[i]);
    const size_t n = utf8_length(text, i);
    if (n > 1 || (n == 1 && b >= 0x20 && b != 0x7F && b != '\\')) {
      out.append(text.substr(i, n));
      i += n;
      continue;
    }
    if (b == '\\') out += "\\\\";
    else if (b == '\n') out += "\\n";
    else if (b == '\t') out += "\\t";
    else if (b == '\r') out += "\\r";
    else {
      // A sequence that is not printed as text: escape its first byte, go on from the next.
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02X", b);
      out += buf;
    }
    ++i;
  }
  return out;
}

}  // namespace mulan
