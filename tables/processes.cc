// processes: osquery's Linux `processes` columns over /proc.
//
// Plans (idxNum bits, xFilter arguments): kPidEq / kPidIn, argv[0]. Rows by pid.
#include <ctime>

#include "generated/table_specs.h"
#include "proc/process_reader.h"
#include "tables/pid_scan.h"
#include "tables/tables.h"

namespace procaudit {
namespace {

namespace col = spec::processes;

struct Processes {
  static constexpr const char* kSchema = col::meta::kSchema;

  struct Scan {
    std::vector<ProcessInfo> rows;
    HostClock clock;
    int64_t now = 0;
  };

  static int BestIndex(sqlite3_index_info* info, const char** plan_name) {
    return BestIndexOnPid(info, col::kPid, plan_name);
  }

  static uint32_t PartsFor(const FilterArgs& a) {
    return kPartStat |
           PartsForColumns(a, {{{col::kUid, col::kGid, col::kEuid, col::kEgid, col::kSuid,
                                 col::kSgid, col::kWiredSize, col::kResidentSize, col::kTotalSize},
                                kPartStatus},
                               {{col::kCmdline}, kPartCmdline},
                               {{col::kPath, col::kOnDisk}, kPartExe},
                               {{col::kCwd}, kPartCwd},
                               {{col::kRoot}, kPartRoot},
                               {{col::kCgroupPath}, kPartCgroup},
                               {{col::kDiskBytesRead, col::kDiskBytesWritten}, kPartIo}});
  }

  static void Filter(const TableContext& ctx, const FilterArgs& args, Scan& scan) {
    const ProcRoot root = OpenProcRoot(ctx);
    scan.clock = HostClock::Read(root);
    scan.now = std::time(nullptr);
    for (ProcessInfo& info : ReadProcesses(root, PidsToScan(root, args), PartsFor(args))) {
      if (info.stat) scan.rows.push_back(std::move(info));  // no stat: exited meanwhile
    }
  }

  static size_t RowCount(const Scan& scan) { return scan.rows.size(); }

  static void Column(const Scan& scan, size_t row, int column, sqlite3_context* out) {
    const ProcessInfo& p = scan.rows[row];
    const StatFields& st = *p.stat;
    const StatusFields* status = p.status ? &*p.status : nullptr;
    switch (column) {
      case col::kPid: sqlite3_result_int64(out, p.pid); break;
      case col::kName: ResultText(out, st.comm); break;
      case col::kPath: ResultText(out, p.exe ? std::string_view(*p.exe) : ""); break;
      case col::kCmdline:
        if (p.argv) ResultText(out, JoinArgv(*p.argv));
        break;
      case col::kState: ResultText(out, std::string_view(&st.state, 1)); break;
      case col::kCwd: ResultOptionalText(out, p.cwd); break;
      case col::kRoot: ResultOptionalText(out, p.root); break;
      case col::kUid:
        if (status) ResultOptionalInt(out, status->uid);
        break;
      case col::kGid:
        if (status) ResultOptionalInt(out, status->gid);
        break;
      case col::kEuid:
        if (status) ResultOptionalInt(out, status->euid);
        break;
      case col::kEgid:
        if (status) ResultOptionalInt(out, status->egid);
        break;
      case col::kSuid:
        if (status) ResultOptionalInt(out, status->suid);
        break;
      case col::kSgid:
        if (status) ResultOptionalInt(out, status->sgid);
        break;
      case col::kOnDisk: sqlite3_result_int(out, !p.exe ? -1 : p.exe_deleted ? 0 : 1); break;
      case col::kWiredSize:
        if (status) ResultOptionalInt(out, status->vm_lck_bytes);
        break;
      case col::kResidentSize:
        if (status) ResultOptionalInt(out, status->vm_rss_bytes);
        break;
      case col::kTotalSize:
        if (status) ResultOptionalInt(out, status->vm_size_bytes);
        break;
      case col::kUserTime:
        sqlite3_result_int64(out, scan.clock.TicksToMillis(st.utime_ticks));
        break;
      case col::kSystemTime:
        sqlite3_result_int64(out, scan.clock.TicksToMillis(st.stime_ticks));
        break;
      case col::kDiskBytesRead:
        if (p.io) ResultOptionalInt(out, p.io->read_bytes);
        break;
      case col::kDiskBytesWritten:
        if (p.io) ResultOptionalInt(out, p.io->write_bytes);
        break;
      case col::kStartTime:
        sqlite3_result_int64(out, scan.clock.StartTimeEpoch(st.start_ticks));
        break;
      case col::kParent: sqlite3_result_int64(out, st.ppid); break;
      case col::kPgroup: sqlite3_result_int64(out, st.pgrp); break;
      case col::kThreads: sqlite3_result_int64(out, st.threads); break;
      case col::kNice: sqlite3_result_int64(out, st.nice); break;
      case col::kElapsedTime:
        sqlite3_result_int64(out, scan.now - scan.clock.StartTimeEpoch(st.start_ticks));
        break;
      case col::kCgroupPath:
        if (p.cgroup) ResultText(out, p.cgroup->path);
        break;
      default: break;
    }
  }
};

}  // namespace

int RegisterProcesses(sqlite3* db, std::shared_ptr<const TableContext> ctx) {
  return RegisterTable<Processes>(db, col::meta::kName, std::move(ctx));
}

}  // namespace procaudit
