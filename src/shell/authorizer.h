// What SQL may do on the shell's and the daemon's connections, enforced by an SQLite authorizer
// (consulted when a statement is prepared, whatever its text looks like).
//
// Neither connection runs code or touches files because SQL says so: extension loading is off
// for the C API and SQL alike (SQLite's default, set again), load_extension() is denied, and so
// are readfile(), writefile(), edit() (the sqlite3 CLI's, which a libsqlite3 does not register
// today) and fts3_tokenizer() (whose two-argument form takes a function pointer). The schema of
// an attached file is not trusted (SQLITE_DBCONFIG_TRUSTED_SCHEMA off): its views and triggers
// may call only innocuous functions. The shell has no dot command that runs a program.
//
// The daemon runs the SQL of its config as root: only statements that read. Its scheduler already
// refuses those sqlite3_stmt_readonly() says write, but that is true of ATTACH (which creates
// the file it names), DETACH, BEGIN, SAVEPOINT and PRAGMAs that change a setting
// (writable_schema, temp_store_directory...). So its policy is an allow-list: SELECT, reading
// tables and columns, functions, recursive CTEs, and PRAGMAs that only read.
#pragma once

#include <sqlite3.h>

namespace procaudit {

enum class StatementPolicy {
  kShell,   // the user's own session: anything but running code or touching files from SQL
  kDaemon,  // a config's scheduled queries: reading only
};

// The authorizer's answer (SQLITE_OK or SQLITE_DENY) for one action; the arguments are
// sqlite3_set_authorizer's (null when the action has none).
int Authorize(StatementPolicy policy, int action, const char* arg1, const char* arg2);

// Sets the policy's authorizer and the connection options above on db.
void InstallAuthorizer(sqlite3* db, StatementPolicy policy);

}  // namespace procaudit
