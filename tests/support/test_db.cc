#include "support/test_db.h"

#include <gtest/gtest.h>

#include "audit/event_store.h"
#include "sql/register.h"

namespace procaudit::testing {
namespace {

// The auto-extension callback is how a program linked with libsqlite3 gets the
// routine table procaudit calls SQLite through; it takes no argument of ours.
std::shared_ptr<TableContext> g_context;

int RegisterOnOpen(sqlite3* db, char** err, const sqlite3_api_routines* api) {
  return RegisterTables(db, api, g_context, err);
}

}  // namespace

std::string FixtureProcRoot() { return std::string(PROCAUDIT_SOURCE_DIR) + "/tests/fixtures/proc"; }

std::string FixtureAuditLog() {
  return std::string(PROCAUDIT_SOURCE_DIR) + "/tests/fixtures/audit/workload.log";
}

TestDb::TestDb(const std::string& proc_root, const std::string& session_audit_log) {
  g_context = std::make_shared<TableContext>();
  g_context->proc_root = proc_root;
  g_context->events->warn = [this](const std::string& w) { warnings_.push_back(w); };
  if (!session_audit_log.empty()) {
    g_context->events->SetSession(
        audit::EventStore::Replay({session_audit_log}, g_context->events->capacity, nullptr));
  }
  sqlite3_auto_extension(reinterpret_cast<void (*)()>(RegisterOnOpen));
  const int rc = sqlite3_open(":memory:", &db_);
  sqlite3_cancel_auto_extension(reinterpret_cast<void (*)()>(RegisterOnOpen));
  EXPECT_EQ(rc, SQLITE_OK) << (db_ ? sqlite3_errmsg(db_) : "open failed");
  context_ = std::move(g_context);
}

TestDb::~TestDb() { sqlite3_close(db_); }

void TestDb::SetSession(std::shared_ptr<audit::EventStore> store) {
  context_->events->SetSession(std::move(store));
}

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
