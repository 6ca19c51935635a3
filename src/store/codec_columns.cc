#include "store/codec_columns.h"

#include <cstdio>
#include <cstdlib>

namespace procaudit::store::codec {
namespace {

std::string NameList(std::span<const Column> columns) {
  std::string out;
  for (const Column& c : columns) out += std::string(out.empty() ? "\"" : ", \"") + c.name + '"';
  return out;
}

}  // namespace

std::string CreateTableSql(const char* table, std::span<const Column> columns,
                           std::string_view extra) {
  std::string sql = std::string("CREATE TABLE IF NOT EXISTS ") + table + " (";
  for (size_t i = 0; i < columns.size(); ++i) {
    sql += std::string(i == 0 ? "\"" : ", \"") + columns[i].name + "\" " + columns[i].type;
  }
  if (!extra.empty()) sql += ", " + std::string(extra);
  return sql + ")";
}

std::string InsertSql(const char* table, std::span<const Column> columns) {
  std::string params;
  for (size_t i = 0; i < columns.size(); ++i) params += i == 0 ? "?" : ", ?";
  return std::string("INSERT INTO ") + table + " (" + NameList(columns) + ") VALUES (" + params +
         ")";
}

std::string SelectSql(const char* table, std::span<const Column> columns) {
  return "SELECT " + NameList(columns) + " FROM " + table;
}

void BindOctal(sqlite3_stmt* s, int param, uint32_t v) {
  char text[16];
  const int n = std::snprintf(text, sizeof text, "0%o", v);
  sqlite3_bind_text(s, param, text, n, SQLITE_TRANSIENT);
}

uint32_t ColumnOctal(sqlite3_stmt* s, int column) {
  if (IsNull(s, column)) return 0;
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(s, column));
  return static_cast<uint32_t>(std::strtoul(text, nullptr, 8));
}

}  // namespace procaudit::store::codec
