// process_events: one row per exec, birth or exit the kernel audited (see the spec). Plans:
// tables/event_scan.h.
#include <cstdio>
#include <stdexcept>

#include "audit/event_store.h"
#include "generated/table_specs.h"
#include "tables/event_scan.h"
#include "tables/event_stores.h"
#include "tables/tables.h"

namespace procaudit {
namespace {

namespace col = spec::process_events;
using audit::EventRing;
using audit::EventStore;
using audit::ProcessEventRow;

struct ProcessEvents {
  static constexpr const char* kSchema = col::meta::kSchema;

  struct Scan {
    std::shared_ptr<EventStore> store;
    std::unique_ptr<EventRing::Reader> reader;
    EventRows rows;
    std::string log_spec;

    int64_t Eid(size_t row) const { return rows.Eid(row); }
  };

  static int BestIndex(sqlite3_index_info* info, const char** plan_name) {
    return PlanEventScan(info, {col::kLogFile, col::kPid, col::kTime, col::kEid}, plan_name);
  }

  static void Filter(const TableContext& ctx, const FilterArgs& args, Scan& scan);
  static size_t RowCount(const Scan& scan) { return scan.rows.Count(); }
  static void Column(const Scan& scan, size_t row, int column, sqlite3_context* out);
};

void ProcessEvents::Filter(const TableContext& ctx, const FilterArgs& args, Scan& scan) {
  scan.store = EventStoreFor(ctx, PlansLogArgument(args) ? args.argv[0] : nullptr,
                             col::meta::kName, &scan.log_spec);
  if (!scan.store) {
    throw std::runtime_error(
        "process_events has no event source: name audit logs as process_events('/var/log/audit/"
        "audit.log'), or start procaudit with --audit-log FILE");
  }
  scan.reader = std::make_unique<EventRing::Reader>(scan.store->ring());
  const EventRing::Reader& r = *scan.reader;
  scan.rows = ChooseEventRows(args, r, VisibleEids(ctx, scan.store, {r.first_eid(), r.end_eid()}));
}

void ResultId(const EventRing::Reader& r, sqlite3_context* out, audit::StrId id) {
  if (auto text = r.Text(id)) ResultText(out, *text);
}

void ProcessEvents::Column(const Scan& scan, size_t row, int column, sqlite3_context* out) {
  const EventRing::Reader& r = *scan.reader;
  const ProcessEventRow& e = r.Row(scan.Eid(row));
  auto integer = [&](int64_t v) { sqlite3_result_int64(out, v); };
  switch (column) {
    case col::kPid: return integer(e.pid);
    case col::kPath: return ResultId(r, out, e.path);
    case col::kMode:
      if (e.Has(ProcessEventRow::kHasMode)) {
        char text[16];
        const int n = std::snprintf(text, sizeof text, "0%o", e.mode);
        ResultText(out, std::string_view(text, static_cast<size_t>(n)));
      }
      return;
    case col::kCmdline: return ResultId(r, out, e.cmdline);
    case col::kCmdlineSize:
      if (auto c = r.Text(e.cmdline)) integer(static_cast<int64_t>(c->size()));
      return;
    case col::kCwd: return ResultId(r, out, e.cwd);
    case col::kAuid: return integer(e.cred.auid);
    case col::kUid: return integer(e.cred.uid);
    case col::kEuid: return integer(e.cred.euid);
    case col::kGid: return integer(e.cred.gid);
    case col::kEgid: return integer(e.cred.egid);
    case col::kSuid: return integer(e.cred.suid);
    case col::kSgid: return integer(e.cred.sgid);
    case col::kFsuid: return integer(e.cred.fsuid);
    case col::kFsgid: return integer(e.cred.fsgid);
    case col::kOwnerUid:
      if (e.Has(ProcessEventRow::kHasOwner)) integer(e.owner_uid);
      return;
    case col::kOwnerGid:
      if (e.Has(ProcessEventRow::kHasOwner)) integer(e.owner_gid);
      return;
    case col::kParent:
      if (e.Has(ProcessEventRow::kHasParent)) integer(e.parent);
      return;
    case col::kPpid: return integer(e.ppid);
    case col::kParentPath: return ResultId(r, out, e.parent_path);
    case col::kParentCmdline: return ResultId(r, out, e.parent_cmdline);
    case col::kTime: return integer(e.time_ms / 1000);
    case col::kTimeMs: return integer(e.time_ms);
    case col::kUptime: return;  // replayed logs do not know the boot time
    case col::kEid: return integer(e.eid);
    case col::kSerial: return integer(e.serial);
    case col::kSyscall: return ResultText(out, audit::ProcessSyscallName(e.syscall));
    case col::kArch: return ResultId(r, out, e.arch);
    case col::kSuccess:
      if (e.Has(ProcessEventRow::kHasResult)) integer(e.Has(ProcessEventRow::kSuccess) ? 1 : 0);
      return;
    case col::kStatus:
      if (e.Has(ProcessEventRow::kHasResult)) integer(e.status);
      return;
    case col::kExitCode:
      if (e.Has(ProcessEventRow::kHasExitCode)) integer(e.exit_code);
      return;
    case col::kSignal:
      if (e.Has(ProcessEventRow::kHasSignal)) integer(e.signal);
      return;
    case col::kArgv: return ResultId(r, out, e.argv_json);
    case col::kArgc:
      if (e.Has(ProcessEventRow::kHasArgc)) integer(e.argc);
      return;
    case col::kTty: return ResultId(r, out, e.tty);
    case col::kSession: return integer(e.ses);
    case col::kComm: return ResultId(r, out, e.comm);
    case col::kKey: return ResultId(r, out, e.key);
    case col::kCgroup: return ResultId(r, out, e.cgroup);
    case col::kContainerId: return ResultId(r, out, e.container_id);
    case col::kNsPid:
      if (const int32_t ns_pid = e.ns_pid.load()) integer(ns_pid);  // 0: unknown
      return;
    case col::kLogFile:
      if (!scan.log_spec.empty()) ResultText(out, scan.log_spec);
      return;
    default: return;
  }
}

}  // namespace

int RegisterProcessEvents(sqlite3* db, std::shared_ptr<const TableContext> ctx) {
  return RegisterTable<ProcessEvents>(db, col::meta::kName, std::move(ctx));
}

}  // namespace procaudit
