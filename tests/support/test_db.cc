#include "support/test_db.h"

#include <gtest/gtest.h>

#include "procaudit.h"

namespace procaudit::testing {
namespace {

// The auto-extension callback is how a program linked with libsqlite3 gets the
// routine table procaudit calls SQLite through; it takes no argument of ours.
std::string g_proc_root;

int RegisterOnOpen(sqlite3* db, char** err, const sqlite3_api_routines* api) {
  procaudit_options options{g_proc_root.c_str()};
  return procaudit_register(db, api, &options, err);
}

}  // namespace

std::string FixtureProcRoot() { return std::string(PROCAUDIT_SOURCE_DIR) + "/tests/fixtures/proc"; }

TestDb::TestDb(const std::string& proc_root) {
  g_proc_root = proc_root;
  sqlite3_auto_extension(reinterpret_cast<void (*)()>(RegisterOnOpen));
  const int rc = sqlite3_open(":memory:", &db_);
  sqlite3_cancel_auto_extension(reinterpret_cast<void (*)()>(RegisterOnOpen));
  EXPECT_EQ(rc, SQLITE_OK) << (db_ ? sqlite3_errmsg(db_) : "open failed");
}

TestDb::~TestDb() { sqlite3_close(db_); }

Rows TestDb::Query(const std::string& sql) {
  Rows rows;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db_);
    return rows;
  }
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    std::vector<std::string> row;
    for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
      const unsigned char* text = sqlite3_column_text(stmt, i);
      row.emplace_back(text ? std::string(reinterpret_cast<const char*>(text),
                                          static_cast<size_t>(sqlite3_column_bytes(stmt, i)))
                            : "NULL");
    }
    rows.push_back(std::move(row));
  }
  if (rc != SQLITE_DONE) ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db_);
  sqlite3_finalize(stmt);
  return rows;
}

std::string TestDb::Value(const std::string& sql) {
  const Rows rows = Query(sql);
  if (rows.size() != 1 || rows[0].size() != 1) {
    ADD_FAILURE() << sql << ": expected one value, got " << rows.size() << " rows";
    return "";
  }
  return rows[0][0];
}

std::string TestDb::Error(const std::string& sql) {
  char* err = nullptr;
  sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  std::string msg = err ? err : "";
  sqlite3_free(err);
  return msg;
}

std::string TestDb::Plan(const std::string& sql) {
  std::string plan;
  for (const auto& row : Query("EXPLAIN QUERY PLAN " + sql)) {
    if (!plan.empty()) plan += '\n';
    plan += row.back();
  }
  return plan;
}

}  // namespace procaudit::testing
