#include "tables/pid_scan.h"

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "proc/process_reader.h"
#include "sql/constraints.h"
#include "util/parallel.h"

namespace procaudit {

int PlanOnPid(sqlite3_index_info* info, int pid_column, int next_argv, const char** plan_name) {
  const EqConstraint pid = FindEqConstraint(info, pid_column);
  if (pid.index < 0) {
    info->estimatedCost = 100000;
    info->estimatedRows = 1000;
    return 0;
  }
  info->aConstraintUsage[pid.index].argvIndex = next_argv;
  info->estimatedCost = pid.is_in ? 100 : 10;
  info->estimatedRows = pid.is_in ? 10 : 1;
  *plan_name = pid.is_in ? "pid IN" : "pid =";
  return pid.is_in ? kPidIn : kPidEq;
}

int BestIndexOnPid(sqlite3_index_info* info, int pid_column, const char** plan_name) {
  info->idxNum = PlanOnPid(info, pid_column, 1, plan_name);
  return SQLITE_OK;
}

uint32_t PartsForColumns(const FilterArgs& args, std::initializer_list<ColumnsNeed> needs) {
  uint32_t parts = 0;
  for (const ColumnsNeed& need : needs) {
    for (const int c : need.columns) {
      if (args.Uses(c)) parts |= need.part;
    }
  }
  return parts;
}

std::vector<int64_t> PidsToScan(const ProcRoot& root, const FilterArgs& args) {
  if ((args.idx_num & (kPidEq | kPidIn)) == 0) return root.ListPids();
  std::vector<int64_t> pids;
  std::string scratch;
  for (const int64_t pid : IntegerArgValues(args.argv[0], args.idx_num & kPidIn)) {
    const PidDir dir(root, pid);
    if (dir.valid() && IsThreadGroupLeader(dir, scratch)) pids.push_back(pid);
  }
  return pids;
}

std::vector<ProcessInfo> ReadProcesses(const ProcRoot& root, const std::vector<int64_t>& pids,
                                       uint32_t parts) {
  std::vector<ProcessInfo> infos(pids.size());
  ForEachChunk(pids.size(), ScanThreads(pids.size()), [&](size_t, size_t begin, size_t end) {
    std::string scratch;
    for (size_t i = begin; i < end; ++i) {
      const PidDir dir(root, pids[i]);
      if (dir.valid()) infos[i] = ReadProcess(dir, parts, scratch);
    }
  });
  return infos;
}

ProcRoot OpenProcRoot(const TableContext& ctx) {
  ProcRoot root(ctx.proc_root);
  if (!root.valid()) {
    throw std::runtime_error("cannot open proc root '" + ctx.proc_root +
                             "': " + std::strerror(errno));
  }
  return root;
}

}  // namespace procaudit
