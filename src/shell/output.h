// Result printers for the shell's output modes. Printers stream rows as they
// come, except the table and tree modes, which must see every row to size columns and
// shape the tree.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace procaudit {

enum class OutputMode { kTable, kList, kJson, kCsv, kLine, kTree };

std::optional<OutputMode> ParseOutputMode(std::string_view name);
std::string_view OutputModeName(OutputMode mode);

// One result value, typed as SQLite returned it. text views the bytes of a text
// or blob value where SQLite keeps them: valid only during the Row() call that
// receives it, so printers copy what they keep.
struct Value {
  enum Type { kNull, kInteger, kReal, kText, kBlob } type = kNull;
  int64_t integer = 0;
  double real = 0;
  std::string_view text;
};

// Column i of the row stmt stands on (after sqlite3_step gave SQLITE_ROW); its text stays valid
// until the next step.
Value ColumnValue(sqlite3_stmt* stmt, int i);

class Printer {
 public:
  virtual ~Printer() = default;
  // Called once per statement that returns columns, before its rows.
  virtual void Begin(const std::vector<std::string>& columns) = 0;
  virtual void Row(const std::vector<Value>& values) = 0;
  // Called by --follow after the rows of each round: a printer that holds rows prints them.
  virtual void EndRound() {}
  // Called once after the last row (also when there were none).
  virtual void End() = 0;
};

// headers: whether list, csv and tree modes print column names (table, json and line
// modes always name their columns). Tree mode (shell/tree_output.h) draws with UTF-8 box
// drawing when the locale's environment says UTF-8, else with ASCII.
std::unique_ptr<Printer> MakePrinter(OutputMode mode, bool headers, std::FILE* out);

// Printers for --follow, whose rows come in rounds: Begin once, Row for the rows of every round,
// End when the follow ends. json writes one object per line (NDJSON), not an array; table
// mode, which must see every row to size its columns, prints as list (with a header unless
// headers is false) and shows control characters as table cells do; tree mode draws the rows of
// each round as a tree of their own; the other modes print as MakePrinter's.
std::unique_ptr<Printer> MakeFollowPrinter(OutputMode mode, bool headers, std::FILE* out);

// Helpers exposed for tests.
std::string CsvField(std::string_view s);
// Text shown in a table cell: control characters made visible (\n, \t, \x1b).
std::string TableCell(const Value& v);
// Display width: UTF-8 code points (continuation bytes do not count).
size_t DisplayWidth(std::string_view s);

}  // namespace procaudit
