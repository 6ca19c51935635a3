// What the audit event tables (process_events, file_events) share: planning on the log
// argument, pid, time and eid, and choosing the rows of a ring snapshot.
//
// Plans (idxNum bits; xFilter arguments in this order, each present only with its bit):
//   kLog       the hidden log_file argument, TABLE('FILES'): replay those files (enforced
//              exactly, omit). Without it, the session's store.
//   kPidEq/In  pid = value, or pid IN (list) all at once: the ring's pid index
//   kTimeGe    lower bound on time (>, >=, =): binary search of the ring's time order
//   kTimeLe    upper bound on time (<, <=, =)
//   kEidGe     lower bound on eid (>, >=, =): the ring is in eid order
//   kEidLe     upper bound on eid (<, <=, =)
// Only kLog is omitted; SQLite re-checks the rest, so type conversions stay SQLite's.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "sql/constraints.h"
#include "sql/follow_window.h"
#include "sql/row_table.h"
#include "tables/pid_scan.h"

namespace procaudit {

// The columns of an event table that plans use.
struct EventColumns {
  int log_file, pid, time, eid;
};

// xBestIndex of an event table.
int PlanEventScan(sqlite3_index_info* info, const EventColumns& columns, const char** plan_name);

// Whether the plan reads the log argument (it is then argv[0]).
bool PlansLogArgument(const FilterArgs& args);

// The rows a cursor walks: a list of eids, or the eid range [begin, end).
struct EventRows {
  std::vector<int64_t> eids;
  bool listed = false;
  int64_t begin = 0, end = 0;

  int64_t Eid(size_t row) const { return listed ? eids[row] : begin + static_cast<int64_t>(row); }
  size_t Count() const { return listed ? eids.size() : static_cast<size_t>(end - begin); }
};

// The plan's time range in time_ms and eid range, as half-open [lo, hi); empty when a bound
// is NULL (x > NULL is never true).
struct EventBounds {
  int64_t time_lo = INT64_MIN, time_hi = INT64_MAX;
  int64_t eid_lo = INT64_MIN, eid_hi = INT64_MAX;
  bool empty = false;
};
EventBounds ReadEventBounds(const FilterArgs& args);

// Chooses the rows of snapshot r (a RowRing<Row>::Reader) that the plan may return, within
// visible (the follow window). SQLite re-checks every constraint on what is chosen.
template <class Reader>
EventRows ChooseEventRows(const FilterArgs& args, const Reader& r, EidRange visible) {
  EventRows rows;
  const EventBounds b = ReadEventBounds(args);
  if (b.empty) return rows;
  const int64_t lo = std::max(visible.lo, b.eid_lo);
  const int64_t hi = std::min(visible.hi, b.eid_hi);
  auto in_time = [&](int64_t eid) {
    const int64_t t = r.Row(eid).time_ms;
    return t >= b.time_lo && t < b.time_hi;
  };
  if (args.idx_num & (kPidEq | kPidIn)) {
    rows.listed = true;
    sqlite3_value* pids = args.argv[PlansLogArgument(args) ? 1 : 0];
    for (int64_t pid : IntegerArgValues(pids, args.idx_num & kPidIn)) {
      if (pid < INT32_MIN || pid > INT32_MAX) continue;
      for (int64_t eid : r.EidsOfPid(static_cast<int32_t>(pid))) {
        if (eid >= lo && eid < hi && in_time(eid)) rows.eids.push_back(eid);
      }
    }
    std::sort(rows.eids.begin(), rows.eids.end());
    return rows;
  }
  rows.begin = lo;
  rows.end = std::max(lo, hi);
  if (b.time_lo == INT64_MIN && b.time_hi == INT64_MAX) return rows;
  // Time bounds: the time index narrows the range; SQLite checks each row's time.
  if (b.time_lo != INT64_MIN) rows.begin = std::max(rows.begin, r.FirstEidFromTime(b.time_lo));
  if (b.time_hi != INT64_MAX) rows.end = std::min(rows.end, r.EndEidBeforeTime(b.time_hi));
  rows.end = std::max(rows.begin, rows.end);
  return rows;
}

}  // namespace procaudit
