#include "mulan/train_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <utility>

#include <nlohmann/json.hpp>

#include "mulan/error.h"
#include "train/run_log.h"
#include "util/read_file.h"

namespace mulan::train {
namespace fs = std::filesystem;
using nlohmann::json;

// Named, not anonymous: this file shares a unity-build translation unit with others.
namespace run_report_impl {

// ---- reading ----------------------------------------------------------------------------

// One split's rows ("train" for rows without "split"), in file order.
struct SplitRows {
  std::vector<double> step;
  std::vector<std::string> fields;  // numeric fields, first seen first
  std::map<std::string, std::vector<std::optional<double>>> values;  // aligned with step
};

struct Metrics {
  std::string path;
  std::vector<std::string> split_order;
  std::map<std::string, SplitRows> splits;
  int64_t rows = 0;
  int64_t unfinished_line = 0;  // a last line left out (0: none)

  const std::vector<std::optional<double>>* find(const std::string& split, const std::string& field) const {
    const auto s = splits.find(split);
    if (s == splits.end()) return nullptr;
    const auto f = s->second.values.find(field);
    return f == s->second.values.end() ? nullptr : &f->second;
  }
};

Metrics read_metrics(const std::string& path) {
  Metrics m;
  m.path = path;
  const std::string text = read_file(path, kMaxMetricsBytes, "the run's metrics");
  int64_t line_no = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t nl = text.find('\n', pos);
    const bool terminated = nl != std::string::npos;
    std::string line = text.substr(pos, terminated ? nl - pos : std::string::npos);
    pos = terminated ? nl + 1 : text.size();
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::string where = path + ":" + std::to_string(line_no);
    json row;
    try {
      row = json::parse(line);
    } catch (const json::parse_error& e) {
      if (!terminated) {  // being written, or cut by a crash: the rows before it stand
        m.unfinished_line = line_no;
        break;
      }
      throw Error(file_error(where, line.find_first_not_of(" \t") == std::string::npos
                                        ? "empty line (each line must be one JSON object)"
                                        : "not valid JSON (at byte " + std::to_string(e.byte) + ")"));
    }
    if (!row.is_object()) throw Error(file_error(where, "not a JSON object"));
    const auto step = row.find("step");
    if (step == row.end() || !step->is_number() || !(step->get<double>() >= 0)) {
      throw Error(file_error(where, "no \"step\" (a number >= 0)"));
    }
    std::string split = "train";
    if (const auto s = row.find("split"); s != row.end()) {
      if (!s->is_string() || s->get<std::string>().empty()) throw Error(file_error(where, "\"split\" must be a non-empty string"));
      split = s->get<std::string>();
    }
    auto [it, added] = m.splits.try_emplace(split);
    if (added) m.split_order.push_back(split);
    SplitRows& rows = it->second;
    const std::size_t index = rows.step.size();
    rows.step.push_back(step->get<double>());
    for (const auto& [key, value] : row.items()) {
      if (key == "step" || key == "split") continue;
      if (!value.is_number() && !value.is_null()) continue;  // text and flags are not plotted
      auto [field, first] = rows.values.try_emplace(key);
      if (first) rows.fields.push_back(key);
      field->second.resize(index + 1);
      if (value.is_number()) field->second[index] = value.get<double>();
    }
    ++m.rows;
  }
  for (auto& [name, rows] : m.splits) {
    for (auto& [field, values] : rows.values) values.resize(rows.step.size());
  }
  if (m.rows == 0) {
    throw Error(file_error(path, m.unfinished_line ? "has no complete row yet (the run has not logged a step)"
                                                   : "is empty: the run has not logged a step yet"));
  }
  return m;
}

json read_json_object(const std::string& path, std::uint64_t max_bytes, const std::string& what) {
  const std::string text = read_file(path, max_bytes, what);
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    throw Error(file_error(path, "not valid JSON (at byte " + std::to_string(e.byte) + ")"));
  }
  if (!j.is_object()) throw Error(file_error(path, "not a JSON object"));
  return j;
}

// ---- formatting ---------------------------------------------------------------------------

std::string fixed2(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

std::string exact(double v) {  // round-trips
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// A value for a table: integers whole, the rest to 4 significant digits.
std::string short_number(double v) {
  char buf[64];
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.4g", v);
  }
  return buf;
}

std::string json_text(const json& v) {  // a settings value: strings as they are, the rest as JSON
  return v.is_string() ? v.get<std::string>() : v.dump(-1, ' ', false, json::error_handler_t::replace);
}

// At most `max_chars` characters (UTF-8 code points), with an ellipsis when cut.
std::string shorten(const std::string& s, std::size_t max_chars) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && chars++ == max_chars) return s.substr(0, i) + "\xE2\x80\xA6";
  }
  return s;
}

// JSON inside <script type="application/json">: "<", ">" and "&" (only ever inside strings)
// as \u escapes, so no "</script>" or "<!--" can end or alter the element.
std::string script_safe_json(const json& j) {
  const std::string text = j.dump(-1, ' ', false, json::error_handler_t::replace);
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '<') out += "\\u003c";
    else if (c == '>') out += "\\u003e";
    else if (c == '&') out += "\\u0026";
    else out += c;
  }
  return out;
}

const char* const kColors[] = {"#2563eb", "#ea580c", "#16a34a", "#dc2626", "#9333ea", "#0891b2", "#a16207"};

// ---- line charts ---------------------------------------------------------------------------

struct SeriesSpec {
  std::string split, field, label;
  bool dashed = false;
};

struct ChartSpec {
  std::string id, title, note;
  std::vector<SeriesSpec> series;
  bool from_zero = false;
  std::string note_needs{};  // the field the note is about: no note without it
};

std::vector<ChartSpec> known_charts() {
  return {
      {"train-loss", "Training loss", "loss_mean: the mean since the previous row",
       {{"train", "loss", "loss"}, {"train", "loss_mean", "loss_mean"}}, false, "loss_mean"},
      {"val-loss", "Validation loss", "", {{"val", "loss", "validation loss"}, {"val", "chance_loss", "chance", true}}},
      {"val-retrieval", "Validation retrieval (text to music)", "", {{"val", "r_at_10", "R@10"}, {"val", "map", "mAP"}}, true},
      {"val-tagging", "Validation tagging", "", {{"val", "macro_roc_auc", "macro ROC-AUC"}, {"val", "macro_map", "macro mAP"}}, true},
      {"val-rank", "Validation median rank", "rank of the matching recording among the validation pairs",
       {{"val", "median_rank", "median rank"}}, true},
      {"tau", "Temperature (tau)", "", {{"train", "tau", "tau"}}},
      {"lr", "Learning rate", "peak-rate schedule: linear warm-up, cosine decay", {{"train", "lr", "lr"}}, true},
      {"throughput", "Throughput", "pairs (or clips) per second over the interval", {{"train", "pairs_per_s", "pairs/s"}}, true},
      {"data-wait", "Data wait", "fraction of the time spent waiting for batches", {{"train", "data_wait", "data_wait"}}, true},
      {"elapsed", "Wall-clock time", "seconds since the run (or its resume) started", {{"train", "elapsed_s", "elapsed_s"}}, true},
  };
}

struct Point {
  double x, y;
};

struct Drawn {
  std::string svg;
  json meta;  // {"id", "title", "series": [...]}
};

// One chart, or nothing when none of its series has a value.
std::optional<Drawn> draw_chart(const ChartSpec& spec, const Metrics& m, double x_max) {
  struct Line {
    const SeriesSpec* spec;
    std::vector<std::vector<Point>> runs;  // runs of consecutive non-null values, by step
    std::size_t points = 0;
  };
  std::vector<Line> lines;
  double lo = INFINITY, hi = -INFINITY;
  for (const SeriesSpec& s : spec.series) {
    const auto* values = m.find(s.split, s.field);
    if (!values) continue;
    const std::vector<double>& steps = m.splits.at(s.split).step;
    std::vector<std::size_t> order(steps.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return steps[a] < steps[b]; });
    Line line{&s, {}, 0};
    bool open = false;
    for (std::size_t i : order) {
      const auto& v = (*values)[i];
      if (!v) {
        open = false;
        continue;
      }
      if (!open) line.runs.emplace_back();
      open = true;
      line.runs.back().push_back({steps[i], *v});
      ++line.points;
      lo = std::min(lo, *v);
      hi = std::max(hi, *v);
    }
    if (line.points) lines.push_back(std::move(line));
  }
  if (lines.empty()) return std::nullopt;

  if (spec.from_zero) {
    lo = std::min(lo, 0.0);
    hi = std::max(hi, 0.0);
  }
  if (!(hi > lo)) {  // one value: a band around it
    const double pad = lo == 0 ? 1 : std::fabs(lo) * 0.1;
    if (!(spec.from_zero && lo == 0)) lo -= pad;
    hi += pad;
  }
  const AxisTicks y = nice_ticks(lo, hi, 5);
  const AxisTicks xt = nice_ticks(0, std::max(x_max, 1.0), 6);
  const double x_lo = 0, x_hi = std::max(x_max, 1.0);

  constexpr double W = 560, H = 260, L = 62, R = 14, T = 34, B = 40;
  constexpr double PW = W - L - R, PH = H - T - B;
  auto px = [&](double x) { return L + (x - x_lo) / (x_hi - x_lo) * PW; };
  auto py = [&](double v) { return T + PH - (v - y.lo) / (y.hi - y.lo) * PH; };

  std::string s;
  s += "<svg class=\"chart\" id=\"chart-" + html_escape(spec.id) + "\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " +
       short_number(W) + " " + short_number(H) + "\" role=\"img\" aria-label=\"" + html_escape(spec.title) + "\" data-x-min=\"" +
       exact(x_lo) + "\" data-x-max=\"" + exact(x_hi) + "\" data-y-min=\"" + exact(y.lo) + "\" data-y-max=\"" + exact(y.hi) +
       "\" data-plot=\"" + short_number(L) + " " + short_number(T) + " " + short_number(PW) + " " + short_number(PH) + "\">\n";
  s += "<rect class=\"plot-bg\" x=\"" + short_number(L) + "\" y=\"" + short_number(T) + "\" width=\"" + short_number(PW) +
       "\" height=\"" + short_number(PH) + "\"/>\n";
  for (double v : y.ticks) {
    const std::string yy = fixed2(py(v));
    s += "<line class=\"grid\" x1=\"" + short_number(L) + "\" x2=\"" + short_number(L + PW) + "\" y1=\"" + yy + "\" y2=\"" + yy + "\"/>";
    s += "<text class=\"tick\" x=\"" + short_number(L - 6) + "\" y=\"" + yy + "\" text-anchor=\"end\" dominant-baseline=\"middle\">" +
         html_escape(tick_label(v, y.step)) + "</text>\n";
  }
  for (double v : xt.ticks) {
    if (v > x_hi + 1e-9 * x_hi) break;
    const std::string xx = fixed2(px(v));
    s += "<line class=\"grid\" x1=\"" + xx + "\" x2=\"" + xx + "\" y1=\"" + short_number(T) + "\" y2=\"" + short_number(T + PH) + "\"/>";
    s += "<text class=\"tick\" x=\"" + xx + "\" y=\"" + short_number(T + PH + 16) + "\" text-anchor=\"middle\">" +
         html_escape(tick_label(v, std::max(xt.step, 1.0))) + "</text>\n";
  }
  s += "<text class=\"axis\" x=\"" + short_number(L + PW / 2) + "\" y=\"" + short_number(H - 6) + "\" text-anchor=\"middle\">step</text>\n";

  // Legend along the top.
  double lx = L;
  json series_meta = json::array();
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const SeriesSpec& ss = *lines[i].spec;
    const char* color = kColors[i % std::size(kColors)];
    s += "<line class=\"swatch\" x1=\"" + fixed2(lx) + "\" x2=\"" + fixed2(lx + 18) + "\" y1=\"14\" y2=\"14\" stroke=\"" + color + "\"" +
         (ss.dashed ? " stroke-dasharray=\"5 4\"" : "") + "/>";
    s += "<text class=\"legend\" x=\"" + fixed2(lx + 23) + "\" y=\"14\" dominant-baseline=\"middle\">" + html_escape(ss.label) + "</text>\n";
    lx += 23 + 7.0 * static_cast<double>(ss.label.size()) + 18;
    series_meta.push_back(ss.split + "." + ss.field);
  }

  s += "<g class=\"lines\">\n";
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const Line& line = lines[i];
    const std::string key = html_escape(line.spec->split + "." + line.spec->field);
    const char* color = kColors[i % std::size(kColors)];
    const bool markers = line.points <= 60;
    for (const auto& run : line.runs) {
      if (run.size() >= 2) {
        s += "<polyline data-series=\"" + key + "\" stroke=\"" + color + "\"" + (line.spec->dashed ? " stroke-dasharray=\"5 4\"" : "") +
             " points=\"";
        for (std::size_t k = 0; k < run.size(); ++k) {
          if (k) s += ' ';
          s += fixed2(px(run[k].x)) + "," + fixed2(py(run[k].y));
        }
        s += "\"/>\n";
      }
      if (markers || run.size() == 1) {
        for (const Point& p : run) {
          s += "<circle data-series=\"" + key + "\" fill=\"" + color + "\" cx=\"" + fixed2(px(p.x)) + "\" cy=\"" + fixed2(py(p.y)) +
               "\" r=\"3\"><title>" + html_escape(line.spec->label) + " at step " + short_number(p.x) + ": " + exact(p.y) +
               "</title></circle>";
        }
        s += "\n";
      }
    }
  }
  s += "</g>\n</svg>";

  bool note = !spec.note.empty();
  if (!spec.note_needs.empty()) {
    note = note && std::any_of(lines.begin(), lines.end(), [&](const Line& l) { return l.spec->field == spec.note_needs; });
  }
  Drawn d;
  d.svg = "<figure class=\"chart-box\"><figcaption><strong>" + html_escape(spec.title) + "</strong>" +
          (note ? "<span class=\"note\">" + html_escape(spec.note) + "</span>" : "") + "</figcaption>\n" + s + "</figure>\n";
  d.meta = {{"id", spec.id}, {"title", spec.title}, {"series", series_meta}};
  return d;
}

// ---- evaluation results -----------------------------------------------------------------

struct TagScore {
  std::string tag;
  std::optional<double> roc_auc;
};

struct EvalResult {
  std::string file;
  json j;
  std::vector<TagScore> tags;  // scored ones best first, then the unscored by name
  bool has_tags = false;
};

EvalResult read_eval(const std::string& path) {
  EvalResult r;
  r.file = path;
  r.j = read_json_object(path, kMaxEvalResultBytes, "the evaluation result");
  const auto protocol = r.j.find("protocol");
  if (protocol == r.j.end() || !protocol->is_string()) {
    throw Error(file_error(path, "not a result of mulan eval (no \"protocol\" string)"));
  }
  if (const auto tags = r.j.find("tags"); tags != r.j.end()) {
    if (!tags->is_object()) throw Error(file_error(path, "\"tags\" must be an object of per-tag results"));
    r.has_tags = true;
    for (const auto& [tag, v] : tags->items()) {
      const json* auc = v.is_object() && v.contains("roc_auc") ? &v.at("roc_auc") : nullptr;
      if (!auc || !(auc->is_number() || auc->is_null())) {
        throw Error(file_error(path, "tags." + tag + ": no \"roc_auc\" (a number or null)"));
      }
      r.tags.push_back({tag, auc->is_number() ? std::optional<double>(auc->get<double>()) : std::nullopt});
    }
    std::stable_sort(r.tags.begin(), r.tags.end(), [](const TagScore& a, const TagScore& b) {
      if (a.roc_auc.has_value() != b.roc_auc.has_value()) return a.roc_auc.has_value();
      if (a.roc_auc && *a.roc_auc != *b.roc_auc) return *a.roc_auc > *b.roc_auc;
      return a.tag < b.tag;
    });
  }
  return r;
}

std::string kv_table(const std::vector<std::pair<std::string, std::string>>& rows, const std::string& cls) {
  std::string s = "<table class=\"" + cls + "\">\n";
  for (const auto& [k, v] : rows) s += "<tr><th>" + html_escape(k) + "</th><td>" + html_escape(v) + "</td></tr>\n";
  return s + "</table>\n";
}

std::string draw_tag_bars(const EvalResult& r, const std::string& id) {
  std::vector<const TagScore*> scored;
  for (const TagScore& t : r.tags) {
    if (t.roc_auc) scored.push_back(&t);
  }
  if (scored.empty()) return "";
  constexpr double W = 1100, L = 230, R = 70, T = 28, Row = 18, B = 40;
  const double PW = W - L - R, PH = Row * static_cast<double>(scored.size()), H = T + PH + B;
  auto px = [&](double v) { return L + std::clamp(v, 0.0, 1.0) * PW; };
  std::string s = "<svg class=\"bars\" id=\"" + html_escape(id) + "\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + short_number(W) +
                  " " + short_number(H) + "\" role=\"img\" aria-label=\"per-tag ROC-AUC\" data-x-min=\"0\" data-x-max=\"1\" data-plot=\"" +
                  short_number(L) + " " + short_number(T) + " " + short_number(PW) + " " + fixed2(PH) + "\">\n";
  for (int i = 0; i <= 10; ++i) {
    const double v = i / 10.0;
    const std::string xx = fixed2(px(v));
    s += "<line class=\"grid\" x1=\"" + xx + "\" x2=\"" + xx + "\" y1=\"" + short_number(T) + "\" y2=\"" + fixed2(T + PH) + "\"/>";
    s += "<text class=\"tick\" x=\"" + xx + "\" y=\"" + short_number(T - 8) + "\" text-anchor=\"middle\">" + tick_label(v, 0.1) + "</text>";
    s += "<text class=\"tick\" x=\"" + xx + "\" y=\"" + fixed2(T + PH + 16) + "\" text-anchor=\"middle\">" + tick_label(v, 0.1) + "</text>\n";
  }
  for (std::size_t i = 0; i < scored.size(); ++i) {
    const TagScore& t = *scored[i];
    const double y = T + Row * static_cast<double>(i);
    const double v = *t.roc_auc;
    const std::string tag = html_escape(t.tag);
    s += "<text class=\"tag\" x=\"" + short_number(L - 8) + "\" y=\"" + fixed2(y + Row / 2) + "\" text-anchor=\"end\" dominant-baseline=\"middle\">" +
         html_escape(shorten(t.tag, 34)) + "<title>" + tag + "</title></text>";
    s += "<rect class=\"bar" + std::string(v >= 0.5 ? "" : " below") + "\" data-tag=\"" + tag + "\" data-value=\"" + exact(v) + "\" x=\"" +
         short_number(L) + "\" y=\"" + fixed2(y + 3) + "\" width=\"" + fixed2(px(v) - L) + "\" height=\"" + fixed2(Row - 6) + "\"><title>" + tag +
         ": " + exact(v) + "</title></rect>";
    s += "<text class=\"val\" x=\"" + fixed2(px(v) + 5) + "\" y=\"" + fixed2(y + Row / 2) + "\" dominant-baseline=\"middle\">" +
         tick_label(v, 0.001) + "</text>\n";
  }
  const std::string xc = fixed2(px(0.5));
  s += "<line class=\"chance\" x1=\"" + xc + "\" x2=\"" + xc + "\" y1=\"" + short_number(T) + "\" y2=\"" + fixed2(T + PH) + "\"/>";
  if (const auto macro = r.j.find("macro_roc_auc"); macro != r.j.end() && macro->is_number()) {
    const std::string xm = fixed2(px(macro->get<double>()));
    s += "<line class=\"macro\" x1=\"" + xm + "\" x2=\"" + xm + "\" y1=\"" + short_number(T) + "\" y2=\"" + fixed2(T + PH) + "\"><title>macro ROC-AUC " +
         exact(macro->get<double>()) + "</title></line>";
    s += "<text class=\"macro-label\" x=\"" + xm + "\" y=\"" + fixed2(T + PH + 32) + "\" text-anchor=\"middle\">macro " +
         tick_label(macro->get<double>(), 0.001) + "</text>";
  }
  return s + "\n</svg>\n";
}

std::string eval_section(const EvalResult& r, std::size_t index, json& meta) {
  const json& j = r.j;
  const std::string protocol = j.at("protocol").get<std::string>();
  std::vector<std::pair<std::string, std::string>> about = {{"file", r.file}, {"protocol", protocol}};
  if (const auto model = j.find("model"); model != j.end() && model->is_object()) {
    for (const char* k : {"name", "dir"}) {
      if (model->contains(k)) about.emplace_back(std::string("model ") + k, json_text(model->at(k)));
    }
  }
  for (const char* k : {"dataset", "date"}) {
    if (j.contains(k)) about.emplace_back(k, json_text(j.at(k)));
  }
  if (const auto data = j.find("data"); data != j.end() && data->is_object()) {
    for (const char* k : {"split", "prompt"}) {
      if (data->contains(k)) about.emplace_back(k, json_text(data->at(k)));
    }
  }
  std::vector<std::pair<std::string, std::string>> numbers, counts;  // the metrics first, then the counts (n_*)
  for (const auto& [k, v] : j.items()) {
    if (v.is_number()) (k.starts_with("n_") ? counts : numbers).emplace_back(k, short_number(v.get<double>()));
  }
  numbers.insert(numbers.end(), counts.begin(), counts.end());
  std::string s = "<section class=\"eval\"><h2>Evaluation: " + html_escape(protocol) + " <span class=\"file\">" +
                  html_escape(fs::path(r.file).filename().string()) + "</span></h2>\n<div class=\"cols\">" + kv_table(about, "kv") +
                  kv_table(numbers, "kv numbers") + "</div>\n";
  json tags = json::array();
  for (const TagScore& t : r.tags) tags.push_back({{"tag", t.tag}, {"roc_auc", t.roc_auc ? json(*t.roc_auc) : json(nullptr)}});
  meta = {{"file", r.file}, {"protocol", protocol}, {"tags", tags}};
  if (r.has_tags) {
    std::size_t scored = 0;
    std::vector<std::string> unscored;
    for (const TagScore& t : r.tags) {
      if (t.roc_auc) ++scored;
      else unscored.push_back(t.tag);
    }
    s += "<h3>Per-tag ROC-AUC, best first (" + std::to_string(scored) + " tags; dashed: chance 0.5; solid: the macro mean)</h3>\n";
    s += draw_tag_bars(r, "tags-" + std::to_string(index));
    if (!unscored.empty()) {
      std::string list;
      for (const std::string& t : unscored) list += (list.empty() ? "" : ", ") + t;
      s += "<p class=\"note\">Not scored (no positive or no negative recording): " + html_escape(list) + "</p>\n";
    }
  } else if (protocol == "tagging") {
    s += "<p class=\"note\">No per-tag results in this file: write them with <code>mulan eval tagging --per-tag</code>.</p>\n";
  }
  return s + "</section>\n";
}

// ---- the page -----------------------------------------------------------------------------

const char* const kStyle = R"CSS(
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1f2937; background: #f8fafc; margin: 0; }
main { max-width: 1160px; margin: 0 auto; padding: 18px 20px 40px; }
h1 { font-size: 22px; margin: 0 0 2px; }
h1 .task { font-weight: normal; color: #475569; font-size: 16px; margin-left: 8px; }
h2 { font-size: 17px; margin: 26px 0 10px; border-bottom: 1px solid #e2e8f0; padding-bottom: 4px; }
h2 .file { font-weight: normal; color: #64748b; font-size: 13px; margin-left: 6px; }
h3 { font-size: 14px; margin: 14px 0 6px; font-weight: 600; }
.path { color: #64748b; font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; margin: 0; word-break: break-all; }
.note { color: #64748b; font-size: 12px; }
.grid2 { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 14px; }
figure.chart-box { margin: 0; background: #fff; border: 1px solid #e2e8f0; border-radius: 6px; padding: 8px 10px 4px; }
figcaption strong { font-size: 14px; }
figcaption .note { margin-left: 8px; }
svg { display: block; width: 100%; height: auto; }
svg text { font: 11px system-ui, "DejaVu Sans", sans-serif; fill: #475569; }
svg .legend { font-size: 12px; fill: #1f2937; }
svg .axis { font-size: 12px; }
svg .plot-bg { fill: #fcfcfd; stroke: #cbd5e1; }
svg .grid { stroke: #e5e7eb; stroke-width: 1; }
svg polyline { fill: none; stroke-width: 1.8; stroke-linejoin: round; }
svg .swatch { stroke-width: 3; }
svg .bar { fill: #3b82f6; }
svg .bar.below { fill: #f97316; }
svg .tag { font-size: 12px; fill: #1f2937; }
svg .chance { stroke: #64748b; stroke-dasharray: 4 4; stroke-width: 1.2; }
svg .macro { stroke: #111827; stroke-width: 1.5; }
svg .macro-label { fill: #111827; font-weight: 600; }
table { border-collapse: collapse; background: #fff; font-size: 13px; }
table.kv th { text-align: left; font-weight: 600; padding: 2px 12px 2px 8px; color: #334155; white-space: nowrap; vertical-align: top; }
table.kv td { padding: 2px 8px; font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; word-break: break-all; }
table.kv tr:nth-child(odd) { background: #f1f5f9; }
table.values th, table.values td { padding: 3px 10px; border-bottom: 1px solid #e2e8f0; text-align: right; font-variant-numeric: tabular-nums; }
table.values th:first-child, table.values td:first-child { text-align: left; }
table.values thead th { background: #f1f5f9; }
.cols { display: flex; flex-wrap: wrap; gap: 18px; align-items: flex-start; }
.settings { column-count: 3; column-gap: 18px; background: #fff; border: 1px solid #e2e8f0; border-radius: 6px; padding: 6px 4px; }
.settings div { break-inside: avoid; display: flex; gap: 8px; padding: 1px 6px; font-size: 12px; }
.settings .k { color: #334155; font-weight: 600; min-width: 8.5em; }
.settings .v { font-family: ui-monospace, "DejaVu Sans Mono", monospace; word-break: break-all; }
.warn { background: #fef3c7; border: 1px solid #f59e0b; padding: 6px 10px; border-radius: 6px; }
)CSS";

// field | first | last | min | max of each split's numeric fields.
std::string values_table(const Metrics& m) {
  std::string s;
  for (const std::string& split : m.split_order) {
    const SplitRows& rows = m.splits.at(split);
    double last_step = *std::max_element(rows.step.begin(), rows.step.end());
    s += "<table class=\"values\"><thead><tr><th>" + html_escape(split) + " (" + std::to_string(rows.step.size()) +
         " rows, last step " + short_number(last_step) + ")</th><th>first</th><th>last</th><th>min</th><th>max</th></tr></thead><tbody>\n";
    for (const std::string& field : rows.fields) {
      const auto& values = rows.values.at(field);
      std::optional<double> first, last, lo, hi;
      for (const auto& v : values) {
        if (!v) continue;
        if (!first) first = v;
        last = v;
        lo = lo ? std::min(*lo, *v) : *v;
        hi = hi ? std::max(*hi, *v) : *v;
      }
      auto cell = [](const std::optional<double>& v) { return v ? short_number(*v) : std::string("&ndash;"); };
      s += "<tr><td>" + html_escape(field) + "</td><td>" + cell(first) + "</td><td>" + cell(last) + "</td><td>" + cell(lo) + "</td><td>" +
           cell(hi) + "</td></tr>\n";
    }
    s += "</tbody></table>\n";
  }
  return s;
}

std::string settings_block(const json& j) {
  std::string s = "<div class=\"settings\">\n";
  for (const auto& [k, v] : j.items()) {  // nlohmann keeps keys sorted
    s += "<div><span class=\"k\">" + html_escape(k) + "</span><span class=\"v\">" + html_escape(json_text(v)) + "</span></div>\n";
  }
  return s + "</div>\n";
}

}  // namespace run_report_impl

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

AxisTicks nice_ticks(double lo, double hi, int target) {
  AxisTicks t;
  if (!std::isfinite(lo) || !std::isfinite(hi)) return t;  // [0, 1]
  if (hi < lo) std::swap(lo, hi);
  if (hi == lo) {
    const double pad = lo == 0 ? 1 : std::fabs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const double raw = (hi - lo) / std::max(target, 1);
  if (!std::isfinite(raw) || raw <= 0) {
    t.lo = lo;
    t.hi = hi;
    t.step = hi - lo;
    t.ticks = {lo, hi};
    return t;
  }
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double norm = raw / mag;
  t.step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
  t.lo = std::floor(lo / t.step + 1e-9) * t.step;
  t.hi = std::ceil(hi / t.step - 1e-9) * t.step;
  const auto n = static_cast<int64_t>(std::llround((t.hi - t.lo) / t.step));
  for (int64_t i = 0; i <= n; ++i) {
    double v = t.lo + static_cast<double>(i) * t.step;
    if (std::fabs(v) < t.step * 1e-9) v = 0;  // no "-0" or 1e-17
    t.ticks.push_back(v);
  }
  return t;
}

std::string tick_label(double value, double step) {
  char buf[64];
  const double big = std::max(std::fabs(value), std::fabs(step));
  const int decimals = step > 0 ? std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9))) : 3;
  if (step > 0 && (decimals > 4 || big >= 1e7)) {
    if (value == 0) return "0";
    // Scientific, with the mantissa digits the step needs (one at least, so an axis reads alike): 5.0e-5, 2.5e-4.
    const int digits = std::clamp(static_cast<int>(std::floor(std::log10(std::fabs(value)) + 1e-9) -
                                                   std::floor(std::log10(step) + 1e-9)), 1, 6);
    std::snprintf(buf, sizeof buf, "%.*e", digits, value);
    std::string s = buf;  // "2.5e-04" -> "2.5e-4"
    const std::size_t e = s.find('e');
    std::string exponent = s.substr(e + 1);
    const bool negative = exponent[0] == '-';
    exponent.erase(0, exponent[0] == '-' || exponent[0] == '+' ? 1 : 0);
    exponent.erase(0, std::min(exponent.find_first_not_of('0'), exponent.size() - 1));
    return s.substr(0, e) + "e" + (negative ? "-" : "") + exponent;
  }
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

std::string make_run_report(const RunReportOptions& options) {
  using namespace run_report_impl;
  const fs::path dir(options.run_dir);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw Error(file_error(options.run_dir, fs::exists(dir, ec) ? "not a folder (a training run directory is one)" : "no such run directory"));
  }
  const std::string metrics_path = (dir / "metrics.jsonl").string();
  if (!fs::exists(dir / "metrics.jsonl", ec)) {
    throw Error(file_error(metrics_path, "missing: not a run directory of mulan train or pretrain-tagger, or one that has not started"));
  }
  const Metrics m = read_metrics(metrics_path);

  std::vector<std::string> notes;
  json train_json = json::object(), run_json = json::object();
  bool have_train_json = false, have_run_json = false;
  if (fs::exists(dir / "train.json", ec)) {
    train_json = read_json_object((dir / "train.json").string(), kMaxConfigBytes, "the run's train.json");
    have_train_json = true;
  } else {
    notes.push_back("no train.json in the run directory: its settings are not shown");
  }
  if (fs::exists(dir / "run.json", ec)) {
    run_json = read_json_object((dir / "run.json").string(), kMaxConfigBytes, "the run's run.json");
    have_run_json = true;
  }
  std::vector<EvalResult> evals;
  for (const std::string& f : options.eval_files) evals.push_back(read_eval(f));
  if (m.unfinished_line) {
    notes.push_back("line " + std::to_string(m.unfinished_line) + " of metrics.jsonl is unfinished (no newline: being written, or cut by a crash) and is left out");
  }

  std::string task;
  if (run_json.contains("task") && run_json["task"].is_string()) task = run_json["task"].get<std::string>();
  else if (have_run_json || m.find("train", "tau")) task = "train";
  const std::string task_text = task == "train" ? "mulan train (contrastive)" : task == "pretrain-tagger" ? "mulan pretrain-tagger (audio tower on tags)"
                                                                                                      : task;
  std::string name = fs::path(options.run_dir).lexically_normal().filename().string();
  if (name.empty() || name == ".") name = fs::absolute(dir, ec).lexically_normal().parent_path().filename().string();

  double x_max = 0;
  for (const auto& [split, rows] : m.splits) {
    for (double st : rows.step) x_max = std::max(x_max, st);
  }

  // Charts: the known ones, then every other field that changes; constant ones listed.
  std::vector<ChartSpec> specs = known_charts();
  std::set<std::string> covered;
  for (const ChartSpec& c : specs) {
    for (const SeriesSpec& s : c.series) covered.insert(s.split + "." + s.field);
  }
  std::vector<std::string> constants;
  for (const std::string& split : m.split_order) {
    const SplitRows& rows = m.splits.at(split);
    for (const std::string& field : rows.fields) {
      if (covered.count(split + "." + field)) continue;
      std::set<double> distinct;
      for (const auto& v : rows.values.at(field)) {
        if (v) distinct.insert(*v);
      }
      if (distinct.size() >= 2) {
        const std::string label = (split == "train" ? "" : split + " ") + field;
        specs.push_back({"field-" + split + "-" + field, label, "", {{split, field, field}}, false});
      } else if (distinct.size() == 1) {
        constants.push_back(split + "." + field + " = " + short_number(*distinct.begin()));
      }
    }
  }
  std::string charts;
  json charts_meta = json::array();
  for (const ChartSpec& spec : specs) {
    if (auto d = draw_chart(spec, m, x_max)) {
      charts += d->svg;
      charts_meta.push_back(d->meta);
    }
  }

  json series = json::object();
  for (const auto& [split, rows] : m.splits) {
    json& s = series[split];
    s["step"] = rows.step;
    for (const auto& [field, values] : rows.values) {
      json a = json::array();
      for (const auto& v : values) a.push_back(v ? json(*v) : json(nullptr));
      s[field] = std::move(a);
    }
  }

  std::string page = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>mulan report: " +
                     html_escape(name) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n<main>\n";
  page += "<h1>" + html_escape(name) + (task_text.empty() ? "" : " <span class=\"task\">" + html_escape(task_text) + "</span>") + "</h1>\n";
  page += "<p class=\"path\">" + html_escape(fs::absolute(dir, ec).lexically_normal().string()) + "</p>\n";

  // The headline: how far the run got, and in how long.
  std::string headline = std::to_string(m.rows) + " rows in metrics.jsonl; last step " + short_number(x_max);
  if (have_train_json && train_json.contains("steps") && train_json["steps"].is_number()) {
    const double planned = train_json["steps"].get<double>();
    headline += " of " + short_number(planned) + (x_max >= planned ? " (finished)" : " (not finished)");
  }
  if (const auto* elapsed = m.find("train", "elapsed_s")) {
    for (auto it = elapsed->rbegin(); it != elapsed->rend(); ++it) {
      if (*it) {
        headline += "; " + format_duration(**it) + " of training";
        break;
      }
    }
  }
  page += "<p>" + html_escape(headline) + "</p>\n";
  for (const std::string& n : notes) page += "<p class=\"warn\">" + html_escape(n) + "</p>\n";

  page += "<h2>Over the steps</h2>\n<div class=\"grid2\">\n" + charts + "</div>\n";
  if (!constants.empty()) {
    std::string list;
    for (const std::string& c : constants) list += (list.empty() ? "" : ", ") + c;
    page += "<p class=\"note\">The same at every row (not drawn): " + html_escape(list) + "</p>\n";
  }
  json evals_meta = json::array();
  for (std::size_t i = 0; i < evals.size(); ++i) {
    json meta;
    page += eval_section(evals[i], i, meta);
    evals_meta.push_back(meta);
  }
  page += "<h2>Logged values</h2>\n<div class=\"cols\">\n" + values_table(m) + "</div>\n";
  if (have_run_json) page += "<h2>Run <span class=\"file\">run.json</span></h2>\n" + settings_block(run_json);
  if (have_train_json) page += "<h2>Settings <span class=\"file\">train.json</span></h2>\n" + settings_block(train_json);

  const json data = {{"run_dir", options.run_dir}, {"task", task}, {"series", series}, {"charts", charts_meta}, {"evals", evals_meta}};
  page += "<script type=\"application/json\" id=\"mulan-report-data\">" + script_safe_json(data) + "</script>\n";
  page += "</main>\n</body>\n</html>\n";
  return page;
}

}  // namespace mulan::train
