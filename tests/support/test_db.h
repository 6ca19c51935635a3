// A SQLite connection with procaudit's tables registered on a chosen proc root,
// and helpers that return results as text for compact assertions.
#pragma once

#include <sqlite3.h>

#include <memory>
#include <string>
#include <vector>

#include "sql/table_context.h"

namespace procaudit::testing {

using Rows = std::vector<std::vector<std::string>>;

class TestDb {
 public:
  // session_audit_log, if given, is replayed as the session's event source (--audit-log).
  explicit TestDb(const std::string& proc_root = "/proc", const std::string& session_audit_log = "");
  ~TestDb();
  TestDb(const TestDb&) = delete;
  TestDb& operator=(const TestDb&) = delete;

  // Every row, every value as text; NULL as "NULL". Fails the test on error.
  Rows Query(const std::string& sql);
  // The single value of a one-row, one-column query.
  std::string Value(const std::string& sql);
  // The error message of a statement expected to fail ("" if it succeeded).
  std::string Error(const std::string& sql);
  // EXPLAIN QUERY PLAN, the detail lines joined with '\n'.
  std::string Plan(const std::string& sql);

  // Makes store the session's event source, as the shell's --audit-stdin does.
  void SetSession(std::shared_ptr<audit::EventStore> store);

  sqlite3* db() const { return db_; }
  // What the tables of this connection share (set follow to test --follow rounds).
  TableContext& context() const { return *context_; }
  // Warnings the event tables gave (skipped records), in order.
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  sqlite3* db_ = nullptr;
  std::shared_ptr<TableContext> context_;
  std::vector<std::string> warnings_;
};

// The fixture tree under tests/fixtures/proc.
std::string FixtureProcRoot();
// The recorded workload log under tests/fixtures/audit (real kernel output).
std::string FixtureAuditLog();
// A file of the public corpora under tests/fixtures/public.
inline std::string PublicCorpus(const std::string& relative) {
  return std::string(PROCAUDIT_SOURCE_DIR) + "/tests/fixtures/public/" + relative;
}

}  // namespace procaudit::testing
