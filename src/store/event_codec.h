// process_events rows to and from the durable store's `process_events` table: one list of
// columns drives the table's schema, the insert and the load, so they cannot disagree.
//
// The stored columns are the table's (specs/process_events.toml), with the same names and
// values, so the stock sqlite3 CLI reads the store like the shell reads process_events; the
// derived ones (time, cmdline_size) are generated columns. A value the table shows as NULL is
// stored as NULL, and the row's flags are rebuilt from which values are NULL.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>

#include "audit/event_ring.h"

namespace procaudit::store {

// CREATE TABLE process_events (...) for the store, with eid as the rowid.
std::string ProcessEventsTableSql();
// INSERT INTO process_events (...) VALUES (?, ...), binding in BindProcessEvent's order.
std::string InsertProcessEventSql();
// SELECT (...) FROM process_events, in the order DecodeProcessEvent reads; the caller adds
// WHERE and ORDER BY.
std::string SelectProcessEventsSql();

// Binds row (its strings read through r) to insert's parameters.
void BindProcessEvent(const audit::EventRing::Reader& r, const audit::ProcessEventRow& row,
                      sqlite3_stmt* insert);
// The row at select's current step, its strings interned through w. Returns false (and sets
// error, one line) for a row the table could not have shown (an unknown syscall name).
bool DecodeProcessEvent(sqlite3_stmt* select, audit::EventRing::Writer& w,
                        audit::ProcessEventRow* row, std::string& error);

}  // namespace procaudit::store
