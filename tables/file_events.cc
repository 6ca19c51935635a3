// file_events: one row per file operation the kernel audited (see the spec). Plans:
// tables/event_scan.h.
#include <cstdio>
#include <stdexcept>

#include "audit/event_store.h"
#include "audit/file_calls.h"
#include "generated/table_specs.h"
#include "linux/errno_name.h"
#include "linux/open_flags.h"
#include "tables/event_scan.h"
#include "tables/event_stores.h"
#include "tables/tables.h"

namespace procaudit {
namespace {

namespace col = spec::file_events;
using audit::EventStore;
using audit::FileEventRow;
using audit::FileRing;

void ResultOctal(sqlite3_context* out, uint32_t v) {
  char text[16];
  const int n = std::snprintf(text, sizeof text, "0%o", v);
  ResultText(out, std::string_view(text, static_cast<size_t>(n)));
}

struct FileEvents {
  static constexpr const char* kSchema = col::meta::kSchema;

  struct Scan {
    std::shared_ptr<EventStore> store;
    std::unique_ptr<FileRing::Reader> reader;
    EventRows rows;
    std::string log_spec;
  };

  static int BestIndex(sqlite3_index_info* info, const char** plan_name) {
    return PlanEventScan(info, {col::kLogFile, col::kPid, col::kTime, col::kEid}, plan_name);
  }

  static void Filter(const TableContext& ctx, const FilterArgs& args, Scan& scan) {
    scan.store = EventStoreFor(ctx, PlansLogArgument(args) ? args.argv[0] : nullptr,
                               col::meta::kName, &scan.log_spec);
    if (!scan.store) {
      throw std::runtime_error(
          "file_events has no event source: name audit logs as file_events('/var/log/audit/"
          "audit.log'), or start procaudit with --audit-log FILE (live: --watch-pid, --watch-exe, "
          "--watch-dir or --watch-all)");
    }
    scan.reader = std::make_unique<FileRing::Reader>(scan.store->file_ring());
    const FileRing::Reader& r = *scan.reader;
    scan.rows = ChooseEventRows(
        args, r, VisibleEids(ctx, scan.store, {r.first_eid(), r.end_eid()}, RingKind::kFile));
  }

  static size_t RowCount(const Scan& scan) { return scan.rows.Count(); }

  static void Column(const Scan& scan, size_t row, int column, sqlite3_context* out) {
    const FileRing::Reader& r = *scan.reader;
    const FileEventRow& e = r.Row(scan.rows.Eid(row));
    auto integer = [&](int64_t v) { sqlite3_result_int64(out, v); };
    auto text = [&](audit::StrId id) {
      if (auto t = r.Text(id)) ResultText(out, *t);
    };
    switch (column) {
      case col::kPid: return integer(e.pid);
      case col::kPpid: return integer(e.ppid);
      case col::kExe: return text(e.exe);
      case col::kComm: return text(e.comm);
      case col::kOperation: return ResultText(out, audit::FileOperationName(e.operation));
      case col::kSyscall: return ResultText(out, e.call->name);
      case col::kPath: return text(e.path);
      case col::kTarget: return text(e.target);
      case col::kName: return text(e.name);
      case col::kCwd: return text(e.cwd);
      case col::kFd:
        if (e.Has(FileEventRow::kHasFd)) integer(e.fd);
        return;
      case col::kFlags:
        if (e.Has(FileEventRow::kHasFlags)) ResultText(out, DecodeOpenFlags(e.open_flags));
        return;
      case col::kMode:
        if (e.Has(FileEventRow::kHasMode)) ResultOctal(out, e.mode);
        return;
      case col::kNewUid:
        if (e.Has(FileEventRow::kHasNewUid)) integer(e.new_uid);
        return;
      case col::kNewGid:
        if (e.Has(FileEventRow::kHasNewGid)) integer(e.new_gid);
        return;
      case col::kSuccess: return integer(e.Has(FileEventRow::kSuccess) ? 1 : 0);
      case col::kStatus: return integer(e.status);
      case col::kError:
        if (e.Has(FileEventRow::kSuccess)) return;
        if (auto name = SyscallErrorName(e.status)) ResultText(out, *name);
        return;
      case col::kInode:
        if (e.Has(FileEventRow::kHasInode)) integer(static_cast<int64_t>(e.inode));
        return;
      case col::kDev: return text(e.dev);
      case col::kFileMode:
        if (e.Has(FileEventRow::kHasFileMode)) ResultOctal(out, e.file_mode);
        return;
      case col::kOwnerUid:
        if (e.Has(FileEventRow::kHasOwner)) integer(e.owner_uid);
        return;
      case col::kOwnerGid:
        if (e.Has(FileEventRow::kHasOwner)) integer(e.owner_gid);
        return;
      case col::kAuid: return integer(e.cred.auid);
      case col::kUid: return integer(e.cred.uid);
      case col::kEuid: return integer(e.cred.euid);
      case col::kGid: return integer(e.cred.gid);
      case col::kEgid: return integer(e.cred.egid);
      case col::kFsuid: return integer(e.cred.fsuid);
      case col::kFsgid: return integer(e.cred.fsgid);
      case col::kSession: return integer(e.ses);
      case col::kTty: return text(e.tty);
      case col::kKey: return text(e.key);
      case col::kArch: return text(e.arch);
      case col::kTime: return integer(e.time_ms / 1000);
      case col::kTimeMs: return integer(e.time_ms);
      case col::kEid: return integer(e.eid);
      case col::kSerial: return integer(e.serial);
      case col::kLogFile:
        if (!scan.log_spec.empty()) ResultText(out, scan.log_spec);
        return;
      default: return;
    }
  }
};

}  // namespace

int RegisterFileEvents(sqlite3* db, std::shared_ptr<const TableContext> ctx) {
  return RegisterTable<FileEvents>(db, col::meta::kName, std::move(ctx));
}

}  // namespace procaudit
