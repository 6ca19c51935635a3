// process_events: one row per exec, birth or exit the kernel audited (see the spec).
//
// Plans (idxNum bits; xFilter arguments in this order, each present only with its bit):
//   kLog       the hidden log_file argument, process_events('FILES'): replay those files
//              (enforced exactly, omit). Without it, the session's store.
//   kPidEq/In  pid = value, or pid IN (list) all at once: the ring's pid index
//   kTimeGe    lower bound on time (>, >=, =): binary search of the ring's time order
//   kTimeLe    upper bound on time (<, <=, =)
//   kEidGe     lower bound on eid (>, >=, =): the ring is in eid order
//   kEidLe     upper bound on eid (<, <=, =)
// Only kLog is omitted; SQLite re-checks the rest, so type conversions stay SQLite's.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "audit/event_store.h"
#include "generated/table_specs.h"
#include "sql/constraints.h"
#include "sql/follow_window.h"
#include "tables/event_stores.h"
#include "tables/pid_scan.h"
#include "tables/tables.h"

namespace procaudit {
namespace {

namespace col = spec::process_events;
using audit::EventRing;
using audit::EventStore;
using audit::ProcessEventRow;

enum Plan : int {
  kLog = 1 << kPidPlanBits,
  kTimeGe = kLog << 1,
  kTimeLe = kLog << 2,
  kEidGe = kLog << 3,
  kEidLe = kLog << 4,
};

bool IsLowerBound(unsigned char op) {
  return op == SQLITE_INDEX_CONSTRAINT_GT || op == SQLITE_INDEX_CONSTRAINT_GE ||
         op == SQLITE_INDEX_CONSTRAINT_EQ;
}
bool IsUpperBound(unsigned char op) {
  return op == SQLITE_INDEX_CONSTRAINT_LT || op == SQLITE_INDEX_CONSTRAINT_LE ||
         op == SQLITE_INDEX_CONSTRAINT_EQ;
}

// The bound a constraint value gives, in the column's unit times scale, as a half-open
// [lo, hi) range on integers: time > 5.5 means time_ms >= 6000.
int64_t LowerBound(sqlite3_value* v, unsigned char op, int64_t scale) {
  const double d = sqlite3_value_double(v);
  if (op == SQLITE_INDEX_CONSTRAINT_GT) return static_cast<int64_t>(std::floor(d) + 1) * scale;
  return static_cast<int64_t>(std::ceil(d)) * scale;
}
int64_t UpperBoundExclusive(sqlite3_value* v, unsigned char op, int64_t scale) {
  const double d = sqlite3_value_double(v);
  if (op == SQLITE_INDEX_CONSTRAINT_LT) return static_cast<int64_t>(std::ceil(d)) * scale;
  return static_cast<int64_t>(std::floor(d) + 1) * scale;
}

// Operator codes in idxNum, 2 bits per bound: lower 0 >=, 1 >, 2 = (both bounds); upper 0 <=, 1 <.
constexpr int kTimeGeOpShift = 12, kTimeLeOpShift = 14, kEidGeOpShift = 16, kEidLeOpShift = 18;
int EncodeOp(unsigned char op) {
  switch (op) {
    case SQLITE_INDEX_CONSTRAINT_GT: return 1;
    case SQLITE_INDEX_CONSTRAINT_EQ: return 2;
    case SQLITE_INDEX_CONSTRAINT_LT: return 1;
    default: return 0;  // GE, LE
  }
}
int DecodeOp(int idx, int shift, bool lower) {
  const int code = (idx >> shift) & 3;
  if (lower) return code == 1 ? SQLITE_INDEX_CONSTRAINT_GT
                    : code == 2 ? SQLITE_INDEX_CONSTRAINT_EQ : SQLITE_INDEX_CONSTRAINT_GE;
  return code == 1 ? SQLITE_INDEX_CONSTRAINT_LT : SQLITE_INDEX_CONSTRAINT_LE;
}
bool IsEq(int idx, int shift) { return ((idx >> shift) & 3) == 2; }

bool IsNumeric(sqlite3_value* v) {
  const int t = sqlite3_value_numeric_type(v);
  return t == SQLITE_INTEGER || t == SQLITE_FLOAT;
}

struct ProcessEvents {
  static constexpr const char* kSchema = col::meta::kSchema;

  struct Scan {
    std::shared_ptr<EventStore> store;
    std::unique_ptr<EventRing::Reader> reader;
    std::vector<int64_t> eids;  // the rows, when a filter picked them
    bool listed = false;
    int64_t begin = 0, end = 0;  // the rows otherwise: eids [begin, end)
    std::string log_spec;

    int64_t Eid(size_t row) const { return listed ? eids[row] : begin + static_cast<int64_t>(row); }
  };

  static int BestIndex(sqlite3_index_info* info, const char** plan_name) {
    int next_argv = 1;
    int idx = 0;
    const EqConstraint log = FindEqConstraint(info, col::kLogFile);
    if (log.unusable && log.index < 0) return SQLITE_CONSTRAINT;
    if (log.index >= 0) {
      info->aConstraintUsage[log.index].argvIndex = next_argv++;
      info->aConstraintUsage[log.index].omit = 1;
      idx |= kLog;
    }
    const int pid_bits = PlanOnPid(info, col::kPid, next_argv, plan_name);
    if (pid_bits) ++next_argv;
    idx |= pid_bits;
    // A bound's operator rides in idxNum too: (bit, shift of its op code).
    auto take_bound = [&](int column, bool lower, int bit, int shift) {
      for (int i = 0; i < info->nConstraint; ++i) {
        const auto& c = info->aConstraint[i];
        if (!c.usable || c.iColumn != column || info->aConstraintUsage[i].argvIndex) continue;
        if (lower ? !IsLowerBound(c.op) : !IsUpperBound(c.op)) continue;
        info->aConstraintUsage[i].argvIndex = next_argv++;
        idx |= bit | EncodeOp(c.op) << shift;
        return;
      }
    };
    take_bound(col::kTime, true, kTimeGe, kTimeGeOpShift);
    if (!IsEq(idx, kTimeGeOpShift)) take_bound(col::kTime, false, kTimeLe, kTimeLeOpShift);
    take_bound(col::kEid, true, kEidGe, kEidGeOpShift);
    if (!IsEq(idx, kEidGeOpShift)) take_bound(col::kEid, false, kEidLe, kEidLeOpShift);
    double cost = 1e6;
    if (pid_bits) {
      cost = 100;
    } else if (idx & (kEidGe | kEidLe | kTimeGe | kTimeLe)) {
      cost = 1e4;
      *plan_name = (idx & (kEidGe | kEidLe)) ? "eid range" : "time range";
    } else {
      *plan_name = (idx & kLog) ? "replay" : "scan";
    }
    info->estimatedCost = cost;
    info->estimatedRows = static_cast<sqlite3_int64>(cost);
    info->idxNum = idx;
    // Rows come out in eid order.
    if (info->nOrderBy == 1 && info->aOrderBy[0].iColumn == col::kEid && !info->aOrderBy[0].desc) {
      info->orderByConsumed = 1;
    }
    return SQLITE_OK;
  }

  static void Filter(const TableContext& ctx, const FilterArgs& args, Scan& scan);
  static size_t RowCount(const Scan& scan) {
    return scan.listed ? scan.eids.size() : static_cast<size_t>(scan.end - scan.begin);
  }
  static void Column(const Scan& scan, size_t row, int column, sqlite3_context* out);
};

// Ranges from the bound arguments, in time_ms and eid: [lo, hi).
struct Bounds {
  int64_t time_lo = INT64_MIN, time_hi = INT64_MAX;
  int64_t eid_lo = INT64_MIN, eid_hi = INT64_MAX;
  bool empty = false;
};

Bounds ReadBounds(const FilterArgs& args, size_t first_arg) {
  Bounds b;
  size_t a = first_arg;
  auto bound = [&](int bit, int shift, bool lower, int64_t scale, int64_t& lo, int64_t& hi) {
    if (!(args.idx_num & bit)) return;
    sqlite3_value* v = args.argv[a++];
    if (!IsNumeric(v)) {
      b.empty = sqlite3_value_type(v) == SQLITE_NULL;  // x > NULL is never true
      return;  // a text bound: leave it to SQLite's check
    }
    const int op = DecodeOp(args.idx_num, shift, lower);
    if (lower) {
      lo = std::max(lo, LowerBound(v, static_cast<unsigned char>(op), scale));
      if (op == SQLITE_INDEX_CONSTRAINT_EQ) {
        hi = std::min(hi, UpperBoundExclusive(v, SQLITE_INDEX_CONSTRAINT_LE, scale));
      }
    } else {
      hi = std::min(hi, UpperBoundExclusive(v, static_cast<unsigned char>(op), scale));
    }
  };
  bound(kTimeGe, kTimeGeOpShift, true, 1000, b.time_lo, b.time_hi);
  bound(kTimeLe, kTimeLeOpShift, false, 1000, b.time_lo, b.time_hi);
  bound(kEidGe, kEidGeOpShift, true, 1, b.eid_lo, b.eid_hi);
  bound(kEidLe, kEidLeOpShift, false, 1, b.eid_lo, b.eid_hi);
  return b;
}

void ProcessEvents::Filter(const TableContext& ctx, const FilterArgs& args, Scan& scan) {
  scan.store = EventStoreFor(ctx, (args.idx_num & kLog) ? args.argv[0] : nullptr,
                             col::meta::kName, &scan.log_spec);
  if (!scan.store) {
    throw std::runtime_error(
        "process_events has no event source: name audit logs as process_events('/var/log/audit/"
        "audit.log'), or start procaudit with --audit-log FILE");
  }
  scan.reader = std::make_unique<EventRing::Reader>(scan.store->ring());
  const EventRing::Reader& r = *scan.reader;
  const size_t pid_arg = (args.idx_num & kLog) ? 1 : 0;
  const bool pid_plan = args.idx_num & (kPidEq | kPidIn);
  const Bounds b = ReadBounds(args, pid_arg + (pid_plan ? 1 : 0));
  if (b.empty) return;
  const EidRange visible = VisibleEids(ctx, scan.store, {r.first_eid(), r.end_eid()});
  const int64_t lo = std::max(visible.lo, b.eid_lo);
  const int64_t hi = std::min(visible.hi, b.eid_hi);
  auto in_time = [&](int64_t eid) {
    const int64_t t = r.Row(eid).time_ms;
    return t >= b.time_lo && t < b.time_hi;
  };
  if (pid_plan) {
    scan.listed = true;
    for (int64_t pid : IntegerArgValues(args.argv[pid_arg], args.idx_num & kPidIn)) {
      if (pid < INT32_MIN || pid > INT32_MAX) continue;
      for (int64_t eid : r.EidsOfPid(static_cast<int32_t>(pid))) {
        if (eid >= lo && eid < hi && in_time(eid)) scan.eids.push_back(eid);
      }
    }
    std::sort(scan.eids.begin(), scan.eids.end());
    return;
  }
  scan.begin = lo;
  scan.end = std::max(lo, hi);
  if (b.time_lo == INT64_MIN && b.time_hi == INT64_MAX) return;
  // Time bounds: narrow by the time index when rows are in time order, else test each row.
  const std::optional<int64_t> t_lo =
      b.time_lo == INT64_MIN ? std::optional<int64_t>(r.first_eid()) : r.LowerBoundTime(b.time_lo);
  const std::optional<int64_t> t_hi =
      b.time_hi == INT64_MAX ? std::optional<int64_t>(r.end_eid()) : r.LowerBoundTime(b.time_hi);
  if (t_lo && t_hi) {
    scan.begin = std::max(scan.begin, *t_lo);
    scan.end = std::max(scan.begin, std::min(scan.end, *t_hi));
    return;
  }
  scan.listed = true;
  for (int64_t eid = scan.begin; eid < scan.end; ++eid) {
    if (in_time(eid)) scan.eids.push_back(eid);
  }
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
