// What the store's two row codecs (event_codec.h, file_event_codec.h) share: a table's stored
// columns as one list, which makes its CREATE, INSERT and SELECT, and ring strings to and from
// SQLite values. Internal to src/store/.
#pragma once

#include <sqlite3.h>

#include <span>
#include <string>
#include <string_view>

#include "audit/row_ring.h"

namespace procaudit::store::codec {

struct Column {
  const char* name;
  const char* type;
};

// CREATE TABLE IF NOT EXISTS table (columns..., extra), extra being generated columns.
std::string CreateTableSql(const char* table, std::span<const Column> columns,
                           std::string_view extra);
// INSERT INTO table (columns...) VALUES (?, ...): parameter i + 1 is column i.
std::string InsertSql(const char* table, std::span<const Column> columns);
// SELECT columns... FROM table: result column i is column i. The caller adds WHERE, ORDER BY.
std::string SelectSql(const char* table, std::span<const Column> columns);

// Binds the string id (read through r) to parameter param, NULL for kNull.
template <class Reader>
void BindText(sqlite3_stmt* s, int param, const Reader& r, audit::StrId id) {
  if (auto text = r.Text(id)) {
    sqlite3_bind_text(s, param, text->data(), static_cast<int>(text->size()), SQLITE_STATIC);
  } else {
    sqlite3_bind_null(s, param);
  }
}

// Binds v as octal text ("0644"), as the tables show modes.
void BindOctal(sqlite3_stmt* s, int param, uint32_t v);

inline bool IsNull(sqlite3_stmt* s, int column) {
  return sqlite3_column_type(s, column) == SQLITE_NULL;
}

// Result column column interned through w (kNull for NULL).
template <class Writer>
audit::StrId InternText(sqlite3_stmt* s, int column, Writer& w) {
  if (IsNull(s, column)) return StringPool::kNull;
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(s, column));
  return w.Intern(std::string_view(text, static_cast<size_t>(sqlite3_column_bytes(s, column))));
}

// Result column column read as octal text ("0644"); 0 for NULL.
uint32_t ColumnOctal(sqlite3_stmt* s, int column);

}  // namespace procaudit::store::codec
