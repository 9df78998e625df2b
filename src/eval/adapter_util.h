// Small helpers shared by the data set adapters (not part of their interface).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "util/time_text.h"

namespace mulan::eval::detail {

std::string_view trim(std::string_view s);
std::string lower(std::string s);
std::vector<std::string> split(std::string_view s, char sep);
// Removes one pair of surrounding double quotes ("a" -> a; "" inside is an escaped quote).
std::string unquote(std::string_view s);
std::string join(const std::vector<std::string>& v, const std::string& sep);

// A folder's absolute, symlink-resolved path (it may not exist yet).
std::filesystem::path canonical_dir(const std::string& dir);
// FILE relative to DIR (both canonical, as from canonical_dir); FILE itself if it cannot be made relative.
std::string relative_to(const std::filesystem::path& file, const std::filesystem::path& dir);
// True when PATH is a regular file (symlinks followed); sets *empty when it has zero bytes.
bool audio_present(const std::filesystem::path& path, bool* empty);

// "2026-11-25T12:00:00Z", the current UTC time.
inline std::string utc_now() { return util::utc_now_iso8601(); }

}  // namespace mulan::eval::detail
