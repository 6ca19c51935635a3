// xBestIndex and xFilter helpers for integer key columns (pid, root).
#pragma once

#include <cstdint>
#include <vector>

#include "sql/sqlite_api.h"

namespace procaudit {

// An equality (=, IS, or IN, which SQLite passes as =) on one column.
struct EqConstraint {
  int index = -1;         // into aConstraint, -1 when there is none
  bool is_in = false;     // an IN list, handed to xFilter all at once
  bool unusable = false;  // present but not usable in this plan (e.g. a join order)
};

// Finds a usable = / IS / IN constraint on column. IN lists are asked for all at
// once (sqlite3_vtab_in), so xFilter sees every value in one call instead of
// regenerating the table once per value.
EqConstraint FindEqConstraint(sqlite3_index_info* info, int column);

// The integer values of an xFilter argument: the value itself, or every value of
// an all-at-once IN list. Values that cannot equal an integer column ('abc', 1.5,
// NULL) are dropped; the result is sorted and unique.
std::vector<int64_t> IntegerArgValues(sqlite3_value* arg, bool is_in);

}  // namespace procaudit
