// Lines of osquery's result log: one JSON object per line, fields in osquery's order, so that
// whatever reads osqueryd.results.log (Filebeat's osquery module, fleet managers, jq scripts)
// reads procaudit's.
//
// Values are written the way osquery 5 writes them: every column a string, NULL as "" (osquery's
// --nullvalue default), columns in name order with one value per name (osquery's row is a
// std::map, so a later column of the same name wins), "numerics": false. Control bytes and bytes
// that are not valid UTF-8 become the four characters \xNN, as osquery's escapeNonPrintableBytes
// does, so a line is valid JSON and keeps every byte of hostile argv visible; it never throws.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/differ.h"
#include "daemon/row.h"

namespace procaudit::daemon {

struct LogStamp {
  int64_t unix_time = 0;  // seconds since the epoch: unixTime, and calendarTime from it
  std::string host;       // hostIdentifier
  uint64_t epoch = 0;     // osquery's schedule epoch
  uint64_t counter = 0;   // executions of this query since its results were fresh (0: fresh)
};

// {"name":..,"hostIdentifier":..,"calendarTime":"Sat Nov 21 10:00:00 2026 UTC","unixTime":..,
//  "epoch":..,"counter":..,"numerics":false,"columns":{...},"action":"added"|"removed"}
// No trailing newline.
std::string FormatDifferentialRow(std::string_view name, const LogStamp& stamp,
                                  std::string_view action, const Row& row);

// {"snapshot":[{...},...],"action":"snapshot","name":..,"hostIdentifier":..,"calendarTime":..,
//  "unixTime":..,"epoch":..,"counter":..,"numerics":false}
std::string FormatSnapshot(std::string_view name, const LogStamp& stamp,
                           const std::vector<Row>& rows);

// One execution's differential as osquery logs it: the removed rows first (none when the query
// says "removed": false), then the added ones.
std::vector<std::string> FormatDifferential(std::string_view name, const LogStamp& stamp,
                                            const DiffResult& diff, bool log_removed);

// osquery's calendarTime: asctime(3) of the UTC time, without its newline, then " UTC"
// ("Sun Nov  1 09:05:03 2026 UTC": the day padded with a space). "" when out of range.
std::string CalendarTime(int64_t unix_time);

// The text osquery logs for a value: control bytes and invalid UTF-8 as \xNN (uppercase hex),
// valid UTF-8 unchanged.
std::string EscapeNonPrintable(std::string_view value);

}  // namespace procaudit::daemon
