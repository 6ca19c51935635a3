// Registration of every table on a connection with a given context: what procaudit_register
// does for the public API, and what the shell calls with its own context (a session event
// source, warning and progress callbacks).
#pragma once

#include <memory>

#include <sqlite3.h>  // the types only: callers may be ordinary SQLite programs (the shell)

#include "sql/table_context.h"

namespace procaudit {

// REQUIRES: api is the routine table SQLite handed to an extension entry point.
// Returns an SQLite code; on error *err (if err) is set to a message freed with sqlite3_free.
int RegisterTables(sqlite3* db, const sqlite3_api_routines* api,
                   std::shared_ptr<const TableContext> context, char** err);

}  // namespace procaudit
