// src/shell/authorizer.h: what SQL may do on the shell's and the daemon's connections, on real
// in-memory connections.
#include "shell/authorizer.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>
#include <string>

namespace procaudit {
namespace {

// "" when sql prepares on a connection under policy, else SQLite's message.
std::string Prepare(StatementPolicy policy, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
  InstallAuthorizer(db, policy);
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr);
  std::string error = rc == SQLITE_OK ? "" : sqlite3_errmsg(db);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return error;
}

constexpr const char* kNotAuthorized = "not authorized";

std::string FunctionRefused(const char* name) {
  return std::string("not authorized to use function: ") + name;
}

TEST(ShellPolicy, NoFunctionLoadsCodeOrNamesFiles) {
  for (const auto& [sql, name] : {std::pair{"SELECT load_extension('/tmp/x.so')", "load_extension"},
                                  std::pair{"SELECT LOAD_EXTENSION('x', 'y')", "LOAD_EXTENSION"},
                                  std::pair{"SELECT fts3_tokenizer('simple')", "fts3_tokenizer"}}) {
    EXPECT_EQ(Prepare(StatementPolicy::kShell, sql), FunctionRefused(name)) << sql;
    EXPECT_EQ(Prepare(StatementPolicy::kDaemon, sql), FunctionRefused(name)) << sql;
  }
}

TEST(ShellPolicy, TheUsersOwnSessionMayWriteAndAttach) {
  for (const char* sql : {"CREATE TEMP TABLE t(x)", "ATTACH ':memory:' AS other", "BEGIN",
                          "PRAGMA cache_size = 100", "SELECT 1"}) {
    EXPECT_EQ(Prepare(StatementPolicy::kShell, sql), "") << sql;
  }
}

TEST(ShellPolicy, ExtensionLoadingIsOffForTheCApiToo) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
  InstallAuthorizer(db, StatementPolicy::kShell);
  char* error = nullptr;
  EXPECT_NE(sqlite3_load_extension(db, "/nonexistent/libx.so", nullptr, &error), SQLITE_OK);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(std::string(error), "not authorized");
  sqlite3_free(error);
  int on = -1;
  sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, -1, &on);
  EXPECT_EQ(on, 0) << "an attached file's views and triggers are not trusted";
  sqlite3_close(db);
}

TEST(DaemonPolicy, ReadingStatementsRun) {
  for (const char* sql :
       {"SELECT 1", "SELECT name FROM sqlite_schema",
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3) SELECT i FROM "
        "n",
        "SELECT printf('%d', 1), json_array(1, 2)", "PRAGMA user_version",
        "PRAGMA table_info(sqlite_schema)", "SELECT * FROM pragma_table_info('sqlite_schema')",
        "SELECT * FROM json_each('[1]') JOIN json_tree('[2]')", "PRAGMA integrity_check",
        "PRAGMA compile_options"}) {
    EXPECT_EQ(Prepare(StatementPolicy::kDaemon, sql), "") << sql;
  }
}

// sqlite3_stmt_readonly() is true of each of these; the scheduler's check alone lets them by.
TEST(DaemonPolicy, StatementsReadOnlyLetByAreRefused) {
  for (const char* sql :
       {"ATTACH '/tmp/procaudit-authorizer-test.db' AS x", "DETACH x", "BEGIN", "SAVEPOINT a",
        "PRAGMA writable_schema = ON", "PRAGMA temp_store_directory = '/tmp'",
        "PRAGMA cache_size = 10", "PRAGMA trusted_schema = 1"}) {
    EXPECT_EQ(Prepare(StatementPolicy::kDaemon, sql), kNotAuthorized) << sql;
  }
}

// VACUUM INTO and REINDEX have no authorizer action: the scheduler refuses VACUUM, which is not
// read-only, and REINDEX rebuilds the connection's own indexes, in memory.
TEST(DaemonPolicy, WritesAndActingPragmasAreRefused) {
  for (const char* sql :
       {"CREATE TEMP TABLE t(x)", "CREATE TEMP VIEW v AS SELECT 1", "ANALYZE", "PRAGMA optimize",
        "PRAGMA shrink_memory", "PRAGMA wal_checkpoint", "PRAGMA user_version = 3"}) {
    EXPECT_EQ(Prepare(StatementPolicy::kDaemon, sql), kNotAuthorized) << sql;
  }
}

// What the first use of an eponymous table is authorized as: SQLite itself refuses the real one.
TEST(DaemonPolicy, AnUpdateOfTheSchemaTableIsStillRefused) {
  EXPECT_EQ(Prepare(StatementPolicy::kDaemon, "UPDATE sqlite_master SET sql = ''"),
            "table sqlite_master may not be modified");
  EXPECT_EQ(Prepare(StatementPolicy::kDaemon, "DELETE FROM sqlite_master"),
            "table sqlite_master may not be modified");
}

TEST(DaemonPolicy, AttachCreatesNoFile) {
  const std::string path = testing::TempDir() + "procaudit-attach-test.db";
  std::remove(path.c_str());
  EXPECT_EQ(Prepare(StatementPolicy::kDaemon, "ATTACH '" + path + "' AS x"), kNotAuthorized);
  EXPECT_NE(access(path.c_str(), F_OK), 0) << path << " was created";
}

TEST(Authorize, ThePureAnswers) {
  EXPECT_EQ(Authorize(StatementPolicy::kDaemon, SQLITE_ATTACH, "/x.db", nullptr), SQLITE_DENY);
  EXPECT_EQ(Authorize(StatementPolicy::kDaemon, SQLITE_PRAGMA, "journal_mode", nullptr), SQLITE_OK);
  EXPECT_EQ(Authorize(StatementPolicy::kDaemon, SQLITE_PRAGMA, "journal_mode", "off"), SQLITE_DENY);
  EXPECT_EQ(Authorize(StatementPolicy::kDaemon, SQLITE_PRAGMA, "TABLE_INFO", "t"), SQLITE_OK);
  EXPECT_EQ(Authorize(StatementPolicy::kShell, SQLITE_FUNCTION, nullptr, "writefile"), SQLITE_DENY);
  EXPECT_EQ(Authorize(StatementPolicy::kShell, SQLITE_FUNCTION, nullptr, "edit"), SQLITE_DENY);
  EXPECT_EQ(Authorize(StatementPolicy::kShell, SQLITE_FUNCTION, nullptr, "readfile"), SQLITE_DENY);
  EXPECT_EQ(Authorize(StatementPolicy::kShell, SQLITE_FUNCTION, nullptr, "upper"), SQLITE_OK);
}

}  // namespace
}  // namespace procaudit
