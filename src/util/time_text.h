// Times as text, the same everywhere: the current UTC time in ISO 8601, and a duration as a
// person reads it. No LibTorch.
#pragma once

#include <string>

namespace mulan::util {

// The current time in UTC, ISO 8601 to the second: "2024-05-01T12:34:56Z".
std::string utc_now_iso8601();
// "1h05m", "3m12s", "42s"; "?" for a negative, NaN or absurd (> 1e8 s) duration.
std::string format_duration(double seconds);

}  // namespace mulan::util
