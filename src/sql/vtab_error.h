// The one way a table reports an error to the user: a sentence in zErrMsg.
#pragma once

#include "sql/sqlite_api.h"

namespace procaudit {

// Replaces vtab->zErrMsg with a printf-style message (sqlite3_mprintf formats).
void SetVtabError(sqlite3_vtab* vtab, const char* format, ...)
    __attribute__((format(printf, 2, 3)));

}  // namespace procaudit
