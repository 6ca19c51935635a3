// One registration function per table; each lives in tables/<name>.cc.
#pragma once

#include <memory>

#include "sql/sqlite_api.h"
#include "sql/table_context.h"

namespace procaudit {

int RegisterProcessTree(sqlite3* db, std::shared_ptr<const TableContext> ctx);
int RegisterOpenFiles(sqlite3* db, std::shared_ptr<const TableContext> ctx);
int RegisterProcesses(sqlite3* db, std::shared_ptr<const TableContext> ctx);
int RegisterProcessOpenFiles(sqlite3* db, std::shared_ptr<const TableContext> ctx);
int RegisterProcessOpenSockets(sqlite3* db, std::shared_ptr<const TableContext> ctx);
int RegisterProcessEvents(sqlite3* db, std::shared_ptr<const TableContext> ctx);
int RegisterFileEvents(sqlite3* db, std::shared_ptr<const TableContext> ctx);
int RegisterAuditStatus(sqlite3* db, std::shared_ptr<const TableContext> ctx);
int RegisterAcctExits(sqlite3* db, std::shared_ptr<const TableContext> ctx);
int RegisterProcessLifecycle(sqlite3* db, std::shared_ptr<const TableContext> ctx);

}  // namespace procaudit
