#include "mulan/eval_report.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <map>
#include <tuple>

#include "mulan/error.h"

namespace mulan::eval {
using nlohmann::json;

namespace {

struct Protocol {
  const char* name;
  const char* title;   // table heading
  const char* metric;  // what a cell holds
  std::vector<const char*> fields;
};

const std::vector<Protocol>& protocols() {
  static const std::vector<Protocol> kProtocols = {
      {"tagging", "Zero-shot tagging", "macro ROC-AUC", {"macro_roc_auc"}},
      {"probe", "Linear probe", "ROC-AUC / mAP", {"roc_auc", "map"}},
      {"retrieval", "Text-to-music retrieval", "ROC-AUC / mAP", {"roc_auc", "map"}},
      {"triplets", "Text triplet classification", "accuracy", {"accuracy"}},
  };
  return kProtocols;
}

const Protocol* find_protocol(const std::string& name) {
  for (const Protocol& p : protocols()) {
    if (name == p.name) return &p;
  }
  return nullptr;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string required_string(const json& j, const char* field, const std::string& path, const std::string& prefix = "") {
  auto it = j.find(field);
  if (it == j.end()) throw Error(file_error(path, "field '" + prefix + field + "' missing"));
  if (!it->is_string() || it->get<std::string>().empty()) {
    throw Error(file_error(path, "field '" + prefix + field + "' must be a non-empty string (got " + it->dump() + ")"));
  }
  return it->get<std::string>();
}

bool digits(const std::string& s, std::size_t pos, std::size_t n, int* v) {
  if (pos + n > s.size()) return false;
  *v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    *v = *v * 10 + (s[i] - '0');
  }
  return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
long days_from_civil(int y, int m, int d) {
  y -= m <= 2;
  const long era = (y >= 0 ? y : y - 399) / 400;
  const long yoe = y - era * 400;
  const long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

std::string cell(const RunResult& r) {
  std::string s;
  for (std::size_t i = 0; i < r.values.size(); ++i) {
    char buf[32];
    if (r.values[i]) {
      std::snprintf(buf, sizeof buf, "%.3f", *r.values[i]);
    } else {
      std::snprintf(buf, sizeof buf, "–");
    }
    s += (i ? " / " : "") + std::string(buf);
  }
  return s;
}

// "sha256:0123456789ab" or "0123456789ab": the first 12 hex digits, enough to tell models apart.
std::string short_hash(const std::string& h) {
  if (h.empty()) return "(no hash)";
  const std::size_t colon = h.find(':');
  const std::size_t digits_from = colon == std::string::npos ? 0 : colon + 1;
  return h.substr(0, std::min(h.size(), digits_from + 12));
}

}  // namespace

bool parse_iso8601(const std::string& s, double* seconds) {
  int y, mo, d, h, mi, sec;
  if (!digits(s, 0, 4, &y) || s.size() < 19 || s[4] != '-' || !digits(s, 5, 2, &mo) || s[7] != '-' ||
      !digits(s, 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(s, 11, 2, &h) || s[13] != ':' ||
      !digits(s, 14, 2, &mi) || s[16] != ':' || !digits(s, 17, 2, &sec)) {
    return false;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return false;
  std::size_t pos = 19;
  double frac = 0;
  if (pos < s.size() && s[pos] == '.') {
    double scale = 0.1;
    const std::size_t start = ++pos;
    for (; pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos])); ++pos, scale /= 10) frac += (s[pos] - '0') * scale;
    if (pos == start) return false;
  }
  long offset = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!digits(s, pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' || !digits(s, pos + 4, 2, &om)) return false;
    offset = (s[pos] == '+' ? 1 : -1) * (oh * 3600L + om * 60L);
    pos += 6;
  } else {
    return false;  // a time without a zone is ambiguous
  }
  if (pos != s.size()) return false;
  *seconds = static_cast<double>(days_from_civil(y, mo, d) * 86400L + h * 3600L + mi * 60L + sec - offset) + frac;
  return true;
}

RunResult parse_run(const json& j, const std::string& path) {
  if (!j.is_object()) throw Error(file_error(path, "expected a JSON object (an evaluation result)"));
  RunResult r;
  r.file = path;
  r.protocol = required_string(j, "protocol", path);
  const Protocol* p = find_protocol(r.protocol);
  if (!p) {
    throw Error(file_error(path, "field 'protocol' must be tagging, probe, retrieval or triplets (got '" + r.protocol + "')"));
  }
  auto model = j.find("model");
  if (model == j.end()) throw Error(file_error(path, "field 'model' missing"));
  if (!model->is_object()) throw Error(file_error(path, "field 'model' must be an object with 'name' and 'hash'"));
  r.model = required_string(*model, "name", path, "model.");
  if (auto h = model->find("hash"); h != model->end() && h->is_string()) r.model_hash = h->get<std::string>();
  r.dataset = required_string(j, "dataset", path);
  r.date = required_string(j, "date", path);
  if (!parse_iso8601(r.date, &r.time)) {
    throw Error(file_error(path, "field 'date' is not an ISO 8601 time with a zone (\"2026-11-25T12:00:00Z\"): '" + r.date + "'"));
  }
  for (const char* field : p->fields) {
    auto v = j.find(field);
    if (v == j.end()) throw Error(file_error(path, std::string("field '") + field + "' missing (a " + r.protocol + " result has it)"));
    if (v->is_null()) {
      r.values.push_back(std::nullopt);
      continue;
    }
    if (!v->is_number()) throw Error(file_error(path, std::string("field '") + field + "' must be a number (got " + v->dump() + ")"));
    const double x = v->get<double>();
    if (!(x >= 0.0 && x <= 1.0)) throw Error(file_error(path, std::string("field '") + field + "' must lie in [0, 1] (got " + v->dump() + ")"));
    r.values.push_back(x);
  }
  return r;
}

RunResult read_run(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(file_error(path, "cannot open the result file"));
  json j;
  try {
    j = json::parse(in);
  } catch (const json::parse_error& e) {
    throw Error(file_error(path, std::string("invalid JSON: ") + e.what()));
  }
  return parse_run(j, path);
}

std::vector<std::string> order_datasets(std::vector<std::string> names) {
  static const std::vector<std::string> kCanonical = {"mtat-50", "mtat-188", "gen-25", "mu-141"};
  const auto rank = [](const std::string& n) {
    const auto it = std::find(kCanonical.begin(), kCanonical.end(), lower(n));
    return static_cast<std::size_t>(it - kCanonical.begin());
  };
  std::sort(names.begin(), names.end(), [&](const std::string& a, const std::string& b) {
    const std::size_t ra = rank(a), rb = rank(b);
    if (ra != rb) return ra < rb;
    const std::string la = lower(a), lb = lower(b);
    return la != lb ? la < lb : a < b;
  });
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

Report make_report(const std::vector<RunResult>& runs) {
  Report rep;
  // Newest date wins; on equal dates the later argument.
  std::map<std::tuple<std::string, std::string, std::string>, std::size_t> kept;
  std::map<std::tuple<std::string, std::string, std::string>, std::vector<std::size_t>> all;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const RunResult& r = runs[i];
    const auto key = std::make_tuple(r.protocol, r.model, r.dataset);
    all[key].push_back(i);
    auto [it, fresh] = kept.emplace(key, i);
    if (!fresh && r.time >= runs[it->second].time) it->second = i;
  }
  for (const auto& [key, list] : all) {
    if (list.size() < 2) continue;
    const RunResult& k = runs[kept.at(key)];
    std::string note = std::to_string(list.size()) + " results for " + std::get<1>(key) + " on " + std::get<2>(key) + " (" +
                       std::get<0>(key) + "): kept " + k.file + " (" + k.date + "), the newest; ignored";
    for (std::size_t i : list) {
      if (i != kept.at(key)) note += " " + runs[i].file + " (" + runs[i].date + ")";
    }
    rep.notes.push_back(note);
  }

  std::vector<std::string> models;  // in order of first appearance
  for (const RunResult& r : runs) {
    if (std::find(models.begin(), models.end(), r.model) == models.end()) models.push_back(r.model);
  }

  std::string md = "# MuLan evaluation\n";
  for (const Protocol& p : protocols()) {
    std::vector<std::string> datasets, rows;
    for (const auto& [key, i] : kept) {
      if (std::get<0>(key) == p.name) datasets.push_back(std::get<2>(key));
    }
    if (datasets.empty()) continue;
    datasets = order_datasets(datasets);
    md += "\n## " + std::string(p.title) + " (" + p.metric + ")\n\n| Model |";
    for (const std::string& d : datasets) md += " " + d + " |";
    md += "\n|---|";
    for (std::size_t i = 0; i < datasets.size(); ++i) md += "---:|";
    md += "\n";
    for (const std::string& m : models) {
      std::string line = "| " + m + " |";
      bool any = false;
      for (const std::string& d : datasets) {
        auto it = kept.find(std::make_tuple(std::string(p.name), m, d));
        if (it == kept.end()) {
          line += " – |";
          continue;
        }
        any = true;
        const RunResult& r = runs[it->second];
        line += " " + cell(r) + " |";
        if (std::any_of(r.values.begin(), r.values.end(), [](const auto& v) { return !v.has_value(); })) {
          rep.notes.push_back(r.file + ": a metric is null (no valid tag or query?); shown as –");
        }
      }
      if (any) md += line + "\n";
    }
  }

  // Which model files the rows came from, in argument order.
  std::vector<std::size_t> kept_in_order;
  for (const auto& [key, i] : kept) kept_in_order.push_back(i);
  std::sort(kept_in_order.begin(), kept_in_order.end());
  md += "\nModels:\n";
  for (const std::string& m : models) {
    std::vector<std::string> hashes;
    for (const std::size_t i : kept_in_order) {
      const RunResult& r = runs[i];
      if (r.model == m && std::find(hashes.begin(), hashes.end(), r.model_hash) == hashes.end()) hashes.push_back(r.model_hash);
    }
    md += "- " + m + ":";
    for (const std::string& h : hashes) md += " " + short_hash(h);
    md += "\n";
    if (hashes.size() > 1) rep.notes.push_back("model " + m + ": its results come from " + std::to_string(hashes.size()) + " different model hashes");
  }
  if (!rep.notes.empty()) {
    md += "\nNotes:\n";
    for (const std::string& n : rep.notes) md += "- " + n + "\n";
  }
  md += "\nFrom " + std::to_string(runs.size()) + " result file" + (runs.size() == 1 ? "" : "s") + ".\n";
  rep.markdown = md;
  return rep;
}

}  // namespace mulan::eval
