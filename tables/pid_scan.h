// What the /proc tables share: planning on the pid column, and choosing the pids.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <vector>

#include "proc/proc_dir.h"
#include "proc/process_reader.h"
#include "sql/row_table.h"

namespace procaudit {

// idxNum bits of a plan on the pid column, and the xFilter argument they bring.
// A table with more arguments numbers its own bits from kPidPlanBits upwards.
enum PidPlan : int {
  kPidEq = 1,  // argv[0] is one pid value
  kPidIn = 2,  // argv[0] is an IN list, processed all at once
  kPidPlanBits = 2,
};

// Uses an = or IN constraint on pid_column when there is one. The constraint is
// not omitted: SQLite still checks it, so type conversions stay SQLite's.
// next_argv is the argvIndex to give the constraint; returns the idxNum bits.
int PlanOnPid(sqlite3_index_info* info, int pid_column, int next_argv, const char** plan_name);

// xBestIndex of a table whose only pushed-down column is pid.
int BestIndexOnPid(sqlite3_index_info* info, int pid_column, const char** plan_name);

// Which ProcessPart bits the used columns need: {{columns...}, part} pairs.
struct ColumnsNeed {
  std::initializer_list<int> columns;
  uint32_t part;
};
uint32_t PartsForColumns(const FilterArgs& args, std::initializer_list<ColumnsNeed> needs);

// The pids to read for a plan: the constrained ones that are processes (not
// threads, not gone), or every process under the root.
std::vector<int64_t> PidsToScan(const ProcRoot& root, const FilterArgs& args);

// Reads the given parts of each pid, on a few threads when there are many. The
// result is aligned with pids; a process that could not be opened (gone) has an
// empty ProcessInfo (no stat, pid 0).
std::vector<ProcessInfo> ReadProcesses(const ProcRoot& root, const std::vector<int64_t>& pids,
                                       uint32_t parts);

// Opens the proc root or throws a one-line error naming it.
ProcRoot OpenProcRoot(const TableContext& ctx);

}  // namespace procaudit
