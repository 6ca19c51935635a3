// What the event tables share: the audit event store a statement reads.
#pragma once

#include <memory>
#include <string>

#include "audit/event_store.h"
#include "sql/sqlite_api.h"
#include "sql/table_context.h"

namespace procaudit {

// The store of the log files named by a table's hidden argument (log_arg, when not null:
// replayed now or from the cache, *spec set to the argument), else the session's (live capture
// started if need be); null when the session has none. Throws a one-line std::runtime_error for
// a bad argument or a source that cannot be read or started.
std::shared_ptr<audit::EventStore> EventStoreFor(const TableContext& ctx, sqlite3_value* log_arg,
                                                 const char* table, std::string* spec);

}  // namespace procaudit
