#include "shell/output.h"

#include <sqlite3.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "shell/tree_output.h"

namespace procaudit {

std::optional<OutputMode> ParseOutputMode(std::string_view name) {
  if (name == "table") return OutputMode::kTable;
  if (name == "list") return OutputMode::kList;
  if (name == "json") return OutputMode::kJson;
  if (name == "csv") return OutputMode::kCsv;
  if (name == "line") return OutputMode::kLine;
  if (name == "tree") return OutputMode::kTree;
  return std::nullopt;
}

std::string_view OutputModeName(OutputMode mode) {
  switch (mode) {
    case OutputMode::kTable: return "table";
    case OutputMode::kList: return "list";
    case OutputMode::kJson: return "json";
    case OutputMode::kCsv: return "csv";
    case OutputMode::kLine: return "line";
    case OutputMode::kTree: return "tree";
  }
  return "";
}

namespace {

std::string HexBlob(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

// Appends the plain text of a value, as list, csv and line modes print it.
void AppendPlain(const Value& v, std::string& out) {
  char buf[64];
  switch (v.type) {
    case Value::kNull: return;
    case Value::kInteger: {
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v.integer);
      out.append(buf, end);
      return;
    }
    case Value::kReal:
      sqlite3_snprintf(sizeof buf, buf, "%!.15g", v.real);  // as sqlite3 prints reals
      out += buf;
      return;
    case Value::kText: out += v.text; return;
    case Value::kBlob: out += HexBlob(v.text); return;
  }
}

std::string PlainText(const Value& v) {
  std::string out;
  AppendPlain(v, out);
  return out;
}

void Write(std::FILE* out, std::string_view s) { std::fwrite(s.data(), 1, s.size(), out); }

class ListPrinter : public Printer {
 public:
  // visible_controls: cells as TableCell shows them, for a terminal.
  ListPrinter(bool headers, std::FILE* out, bool visible_controls = false)
      : headers_(headers), visible_controls_(visible_controls), out_(out) {}
  void Begin(const std::vector<std::string>& columns) override {
    if (!headers_) return;
    for (size_t i = 0; i < columns.size(); ++i) {
      if (i) Write(out_, "|");
      Write(out_, columns[i]);
    }
    Write(out_, "\n");
  }
  void Row(const std::vector<Value>& values) override {
    row_.clear();  // one buffer and one write per row: this is the hot path of big results
    for (size_t i = 0; i < values.size(); ++i) {
      if (i) row_ += '|';
      if (visible_controls_) {
        row_ += TableCell(values[i]);
      } else {
        AppendPlain(values[i], row_);
      }
    }
    row_ += '\n';
    Write(out_, row_);
  }
  void End() override {}

 private:
  bool headers_;
  bool visible_controls_;
  std::FILE* out_;
  std::string row_;
};

class CsvPrinter : public Printer {
 public:
  CsvPrinter(bool headers, std::FILE* out) : headers_(headers), out_(out) {}
  void Begin(const std::vector<std::string>& columns) override {
    if (!headers_) return;
    for (size_t i = 0; i < columns.size(); ++i) {
      if (i) Write(out_, ",");
      Write(out_, CsvField(columns[i]));
    }
    Write(out_, "\r\n");
  }
  void Row(const std::vector<Value>& values) override {
    row_.clear();
    for (size_t i = 0; i < values.size(); ++i) {
      if (i) row_ += ',';
      row_ += CsvField(PlainText(values[i]));
    }
    row_ += "\r\n";
    Write(out_, row_);
  }
  void End() override {}

 private:
  bool headers_;
  std::FILE* out_;
  std::string row_;
};

std::string JsonEncode(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// One row as a JSON object. Written by hand around nlohmann's encoding: a result may name two
// columns alike (SELECT a.name, b.name), and both values must be kept, as sqlite3 does.
std::string JsonObject(const std::vector<std::string>& columns, const std::vector<Value>& values) {
  std::string row = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) row += ',';
    row += JsonEncode(columns[i]);
    row += ':';
    const Value& v = values[i];
    switch (v.type) {
      case Value::kNull: row += "null"; break;
      case Value::kInteger: row += std::to_string(v.integer); break;
      case Value::kReal: row += JsonEncode(nlohmann::json(v.real)); break;
      case Value::kText: row += JsonEncode(std::string(v.text)); break;
      case Value::kBlob: row += JsonEncode(HexBlob(v.text)); break;
    }
  }
  row += '}';
  return row;
}

class JsonPrinter : public Printer {
 public:
  explicit JsonPrinter(std::FILE* out) : out_(out) {}
  void Begin(const std::vector<std::string>& columns) override {
    columns_ = columns;
    rows_ = 0;
    Write(out_, "[");
  }
  void Row(const std::vector<Value>& values) override {
    Write(out_, rows_++ ? ",\n  " : "\n  ");
    Write(out_, JsonObject(columns_, values));
  }
  void End() override { Write(out_, rows_ ? "\n]\n" : "]\n"); }

 private:
  std::FILE* out_;
  std::vector<std::string> columns_;
  size_t rows_ = 0;
};

// NDJSON: one object per line, nothing around them, so a reader can act on each line.
class JsonLinesPrinter : public Printer {
 public:
  explicit JsonLinesPrinter(std::FILE* out) : out_(out) {}
  void Begin(const std::vector<std::string>& columns) override { columns_ = columns; }
  void Row(const std::vector<Value>& values) override {
    Write(out_, JsonObject(columns_, values) + "\n");
  }
  void End() override {}

 private:
  std::FILE* out_;
  std::vector<std::string> columns_;
};

class LinePrinter : public Printer {
 public:
  explicit LinePrinter(std::FILE* out) : out_(out) {}
  void Begin(const std::vector<std::string>& columns) override {
    columns_ = columns;
    width_ = 0;
    for (const auto& c : columns) width_ = std::max(width_, DisplayWidth(c));
    rows_ = 0;
  }
  void Row(const std::vector<Value>& values) override {
    if (rows_++) Write(out_, "\n");
    for (size_t i = 0; i < values.size(); ++i) {
      Write(out_, std::string(width_ - DisplayWidth(columns_[i]), ' '));
      Write(out_, columns_[i]);
      Write(out_, " = ");
      Write(out_, PlainText(values[i]));
      Write(out_, "\n");
    }
  }
  void End() override {}

 private:
  std::FILE* out_;
  std::vector<std::string> columns_;
  size_t width_ = 0;
  size_t rows_ = 0;
};

class TablePrinter : public Printer {
 public:
  explicit TablePrinter(std::FILE* out) : out_(out) {}
  void Begin(const std::vector<std::string>& columns) override {
    columns_ = columns;
    cells_.clear();
    numeric_.assign(columns.size(), true);
  }
  void Row(const std::vector<Value>& values) override {
    std::vector<std::string> row;
    row.reserve(values.size());
    for (size_t i = 0; i < values.size(); ++i) {
      // A column is right-aligned when all its values are numbers (or NULL).
      if (values[i].type == Value::kText || values[i].type == Value::kBlob) numeric_[i] = false;
      row.push_back(TableCell(values[i]));
    }
    cells_.push_back(std::move(row));
  }
  void End() override {
    if (columns_.empty()) return;
    std::vector<size_t> width(columns_.size());
    for (size_t i = 0; i < columns_.size(); ++i) width[i] = DisplayWidth(columns_[i]);
    for (const auto& row : cells_) {
      for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], DisplayWidth(row[i]));
    }
    Rule(width);
    Line(columns_, width, std::vector<bool>(columns_.size(), false));
    Rule(width);
    for (const auto& row : cells_) Line(row, width, numeric_);
    Rule(width);
    cells_.clear();
  }

 private:
  void Rule(const std::vector<size_t>& width) {
    std::string line = "+";
    for (size_t w : width) line += std::string(w + 2, '-') + "+";
    Write(out_, line + "\n");
  }
  void Line(const std::vector<std::string>& row, const std::vector<size_t>& width,
            const std::vector<bool>& right) {
    std::string line = "|";
    for (size_t i = 0; i < row.size(); ++i) {
      const std::string pad(width[i] - DisplayWidth(row[i]), ' ');
      const bool r = i < right.size() && right[i];
      line += " " + (r ? pad + row[i] : row[i] + pad) + " |";
    }
    Write(out_, line + "\n");
  }

  std::FILE* out_;
  std::vector<std::string> columns_;
  std::vector<std::vector<std::string>> cells_;
  std::vector<bool> numeric_;
};

}  // namespace

std::string CsvField(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos &&
      (s.empty() || (s.front() != ' ' && s.back() != ' '))) {
    return std::string(s);
  }
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string TableCell(const Value& v) {
  if (v.type != Value::kText) return PlainText(v);
  std::string out;
  out.reserve(v.text.size());
  for (size_t i = 0; i < v.text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(v.text[i]);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else if (c == 0xc2 && i + 1 < v.text.size() &&
               static_cast<unsigned char>(v.text[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(v.text[i + 1]) <= 0x9f) {
      // C1 controls (U+0080-U+009F): some terminals obey them, like ESC.
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned char>(v.text[++i]));
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

size_t DisplayWidth(std::string_view s) {
  return static_cast<size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

Value ColumnValue(sqlite3_stmt* stmt, int i) {
  Value v;
  switch (sqlite3_column_type(stmt, i)) {
    case SQLITE_INTEGER:
      v.type = Value::kInteger;
      v.integer = sqlite3_column_int64(stmt, i);
      break;
    case SQLITE_FLOAT:
      v.type = Value::kReal;
      v.real = sqlite3_column_double(stmt, i);
      break;
    case SQLITE_TEXT:
      v.type = Value::kText;
      v.text = std::string_view(reinterpret_cast<const char*>(sqlite3_column_text(stmt, i)),
                                static_cast<size_t>(sqlite3_column_bytes(stmt, i)));
      break;
    case SQLITE_BLOB:
      v.type = Value::kBlob;
      v.text = std::string_view(static_cast<const char*>(sqlite3_column_blob(stmt, i)),
                                static_cast<size_t>(sqlite3_column_bytes(stmt, i)));
      break;
    default: break;
  }
  return v;
}

std::unique_ptr<Printer> MakePrinter(OutputMode mode, bool headers, std::FILE* out) {
  switch (mode) {
    case OutputMode::kTable: return std::make_unique<TablePrinter>(out);
    case OutputMode::kList: return std::make_unique<ListPrinter>(headers, out);
    case OutputMode::kJson: return std::make_unique<JsonPrinter>(out);
    case OutputMode::kCsv: return std::make_unique<CsvPrinter>(headers, out);
    case OutputMode::kLine: return std::make_unique<LinePrinter>(out);
    case OutputMode::kTree:
      return MakeTreePrinter(
          headers, out,
          GlyphsForLocale(std::getenv("LC_ALL"), std::getenv("LC_CTYPE"), std::getenv("LANG")));
  }
  return nullptr;
}

std::unique_ptr<Printer> MakeFollowPrinter(OutputMode mode, bool headers, std::FILE* out) {
  switch (mode) {
    case OutputMode::kJson: return std::make_unique<JsonLinesPrinter>(out);
    case OutputMode::kTable:
      return std::make_unique<ListPrinter>(headers, out, /*visible_controls=*/true);
    default: return MakePrinter(mode, headers, out);
  }
}

}  // namespace procaudit
