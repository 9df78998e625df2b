#include "serve/metrics.h"

#include <cstdio>

namespace mulan::serve {

void Metrics::record(const std::string& route, int status, double seconds) {
  std::lock_guard lock(mutex_);
  ++requests_[{route, status}];
  auto& h = latency_[route];
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++h.counts[i];
  }
  ++h.count;
  h.sum += seconds;
}

std::string Metrics::text(int queue_depth, int64_t tracks, int64_t text_passes) const {
  std::lock_guard lock(mutex_);
  std::string out;
  char buf[256];
  out += "# HELP mulan_requests_total HTTP requests answered, by route and status code.\n";
  out += "# TYPE mulan_requests_total counter\n";
  int64_t errors = 0;
  for (const auto& [key, n] : requests_) {
    std::snprintf(buf, sizeof buf, "mulan_requests_total{route=\"%s\",code=\"%d\"} %lld\n", key.first.c_str(), key.second,
                  static_cast<long long>(n));
    out += buf;
    if (key.second >= 500) errors += n;
  }
  out += "# HELP mulan_server_errors_total Requests answered with a 5xx status.\n# TYPE mulan_server_errors_total counter\n";
  out += "mulan_server_errors_total " + std::to_string(errors) + "\n";
  out += "# HELP mulan_request_duration_seconds Time from routing to the response, by route.\n";
  out += "# TYPE mulan_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_) {
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
      std::snprintf(buf, sizeof buf, "mulan_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %lld\n", route.c_str(),
                    kBuckets[i], static_cast<long long>(h.counts[i]));
      out += buf;
    }
    std::snprintf(buf, sizeof buf,
                  "mulan_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %lld\n"
                  "mulan_request_duration_seconds_sum{route=\"%s\"} %.6f\n"
                  "mulan_request_duration_seconds_count{route=\"%s\"} %lld\n",
                  route.c_str(), static_cast<long long>(h.count), route.c_str(), h.sum, route.c_str(),
                  static_cast<long long>(h.count));
    out += buf;
  }
  out += "# HELP mulan_queue_depth Text queries waiting for the model.\n# TYPE mulan_queue_depth gauge\n";
  out += "mulan_queue_depth " + std::to_string(queue_depth) + "\n";
  out += "# HELP mulan_text_forward_passes_total Forward passes of the text tower (batched queries).\n";
  out += "# TYPE mulan_text_forward_passes_total counter\n";
  out += "mulan_text_forward_passes_total " + std::to_string(text_passes) + "\n";
  out += "# HELP mulan_tracks Tracks in the library.\n# TYPE mulan_tracks gauge\n";
  out += "mulan_tracks " + std::to_string(tracks) + "\n";
  return out;
}

}  // namespace mulan::serve
