// Text triplet accuracy, and the RFC 4180 CSV reader of its input.
#include <torch/torch.h>

#include <fstream>
#include <map>
#include <sstream>

#include "metrics/metrics.h"
#include "eval/protocol_common.h"
#include "eval/provenance.h"
#include "mulan/error.h"

namespace mulan::eval {
using nlohmann::json;

namespace {

struct CsvRecord {
  std::vector<std::string> fields;
  int64_t line = 0;  // where the record starts
};

// Splits RFC 4180 text into records; blank lines are skipped. Throws naming PATH:LINE.
std::vector<CsvRecord> parse_csv(const std::string& text, const std::string& path) {
  std::vector<CsvRecord> records;
  std::size_t i = text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;  // a UTF-8 byte order mark
  int64_t line = 1;
  const auto fail = [&](int64_t at, const std::string& why) {
    throw Error(path + ":" + std::to_string(at) + ": " + why);
  };
  const auto at_newline = [&](std::size_t p) {
    return p < text.size() && (text[p] == '\n' || (text[p] == '\r' && p + 1 < text.size() && text[p + 1] == '\n'));
  };
  while (i < text.size()) {
    CsvRecord rec;
    rec.line = line;
    if (at_newline(i)) {  // a blank line
      i += text[i] == '\r' ? 2 : 1;
      ++line;
      continue;
    }
    for (;;) {  // one field per pass
      std::string field;
      if (i < text.size() && text[i] == '"') {
        ++i;
        for (;;) {
          if (i >= text.size()) fail(rec.line, "unterminated quoted field");
          if (text[i] == '"') {
            if (i + 1 < text.size() && text[i + 1] == '"') {
              field += '"';
              i += 2;
              continue;
            }
            ++i;
            break;
          }
          if (text[i] == '\n') ++line;
          field += text[i++];
        }
        if (i < text.size() && text[i] != ',' && !at_newline(i)) fail(line, "text after a closing quote");
      } else {
        while (i < text.size() && text[i] != ',' && !at_newline(i)) {
          if (text[i] == '"')
            fail(line, "a quote inside an unquoted field (quote the whole field and double the quote)");
          field += text[i++];
        }
      }
      rec.fields.push_back(std::move(field));
      if (i < text.size() && text[i] == ',') {
        ++i;
        continue;
      }
      if (i < text.size()) {  // the record's newline
        i += text[i] == '\r' ? 2 : 1;
        ++line;
      }
      break;
    }
    records.push_back(std::move(rec));
  }
  return records;
}

std::string lower_trimmed(std::string s) {
  const auto b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  s = b == std::string::npos ? "" : s.substr(b, e - b + 1);
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::vector<Triplet> read_triplets_csv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(file_error(path, "cannot open triplets file"));
  std::stringstream ss;
  ss << in.rdbuf();
  const std::vector<CsvRecord> records = parse_csv(ss.str(), path);
  if (records.empty()) throw Error(file_error(path, "empty file; expected a header anchor,pos,neg"));
  const CsvRecord& header = records.front();
  std::map<std::string, std::size_t> col;
  for (std::size_t c = 0; c < header.fields.size(); ++c) {
    const std::string name = lower_trimmed(header.fields[c]);
    if (!col.emplace(name, c).second) {
      throw Error(path + ":" + std::to_string(header.line) + ": column '" + name + "' appears twice in the header");
    }
  }
  for (const char* name : {"anchor", "pos", "neg"}) {
    if (!col.count(name)) {
      throw Error(path + ":" + std::to_string(header.line) +
                  ": the header must name the columns anchor, pos and neg (no '" + name + "')");
    }
  }
  std::vector<Triplet> out;
  for (std::size_t r = 1; r < records.size(); ++r) {
    const CsvRecord& rec = records[r];
    const std::string where = path + ":" + std::to_string(rec.line);
    if (rec.fields.size() != header.fields.size()) {
      throw Error(where + ": " + std::to_string(rec.fields.size()) + " fields, but the header has " +
                  std::to_string(header.fields.size()));
    }
    Triplet t{rec.fields[col["anchor"]], rec.fields[col["pos"]], rec.fields[col["neg"]], rec.line};
    for (const auto& [name, value] :
         {std::pair{"anchor", &t.anchor}, std::pair{"pos", &t.pos}, std::pair{"neg", &t.neg}}) {
      if (value->empty()) throw Error(where + ": empty " + name + " text");
    }
    out.push_back(std::move(t));
  }
  if (out.empty()) throw Error(file_error(path, "no triplets after the header"));
  return out;
}

EvalOutput run_triplets(const ModelOptions& mo, const TripletOptions& o) {
  const std::vector<Triplet> triplets = read_triplets_csv(o.triplets);
  const LoadedModel model = load_model(mo, /*need_text=*/true, /*need_audio=*/false);
  // Each distinct text is embedded once.
  std::map<std::string, int64_t> index;
  std::vector<std::string> texts;
  for (const auto& t : triplets) {
    for (const std::string* s : {&t.anchor, &t.pos, &t.neg}) {
      if (index.emplace(*s, static_cast<int64_t>(texts.size())).second) texts.push_back(*s);
    }
  }
  const at::Tensor e = embed_text_list(model, mo, texts);  // [T, d] unit rows
  std::vector<double> sim_pos, sim_neg;
  for (const auto& t : triplets) {
    const at::Tensor a = e[index[t.anchor]];
    sim_pos.push_back(torch::dot(a, e[index[t.pos]]).item<double>());
    sim_neg.push_back(torch::dot(a, e[index[t.neg]]).item<double>());
  }
  const TripletResult m = triplet_accuracy(sim_pos, sim_neg);
  EvalOutput out;
  out.result = {
      {"accuracy", number_or_null(m.accuracy)}, {"n_triplets", m.n}, {"n_correct", m.correct}, {"n_ties", m.ties}};
  out.table = "| triplets | correct | ties | accuracy |\n|---:|---:|---:|---:|\n| " + std::to_string(m.n) + " | " +
              std::to_string(m.correct) + " | " + std::to_string(m.ties) + " | " + fmt(m.accuracy) + " |\n";
  add_provenance(out, "triplets", mo, model, o.dataset.empty() ? folder_name(o.triplets) : o.dataset,
                 {{"triplets", absolute_path(o.triplets)}});
  return out;
}

}  // namespace mulan::eval
