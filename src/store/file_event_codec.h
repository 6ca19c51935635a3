// file_events rows to and from the durable store's `file_events` table, as event_codec.h does
// for process_events: one list of columns drives the schema, the insert and the load.
//
// The stored columns are the table's (specs/file_events.toml), with the same names and values
// (flags decoded, modes in octal, error's name), so the stock sqlite3 CLI reads the store like
// the shell reads file_events; `open_flags` keeps the flags' bits as well, for the load. time is
// generated. A value the table shows as NULL is stored as NULL, and the row's flags are rebuilt
// from which values are NULL.
#pragma once

#include <sqlite3.h>

#include <string>

#include "audit/file_event_row.h"

namespace procaudit::store {

// CREATE TABLE file_events (...) for the store, with eid as the rowid.
std::string FileEventsTableSql();
// INSERT INTO file_events (...) VALUES (?, ...), binding in BindFileEvent's order.
std::string InsertFileEventSql();
// SELECT (...) FROM file_events, in the order DecodeFileEvent reads; the caller adds WHERE and
// ORDER BY.
std::string SelectFileEventsSql();

// Binds row (its strings read through r) to insert's parameters.
void BindFileEvent(const audit::FileRing::Reader& r, const audit::FileEventRow& row,
                   sqlite3_stmt* insert);
// The row at select's current step, its strings interned through w. Returns false (and sets
// error, one line) for a row the table could not have shown (an unknown syscall or operation).
bool DecodeFileEvent(sqlite3_stmt* select, audit::FileRing::Writer& w, audit::FileEventRow* row,
                     std::string& error);

}  // namespace procaudit::store
