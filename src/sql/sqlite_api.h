// Every procaudit source that calls SQLite includes this instead of <sqlite3.h>.
//
// procaudit's core is built once and linked both into the loadable extension and
// into the shell. Calls therefore go through the routine table SQLite hands to an
// extension entry point (sqlite3ext.h), never straight to a libsqlite3 symbol: a
// host that embeds its own copy of SQLite must be called back through its own copy.
// The table pointer is set by procaudit_register() (src/sql/register.cc).
#pragma once

#include <sqlite3ext.h>

SQLITE_EXTENSION_INIT3
