// process_lifecycle: one row per process instance, audit's starts and images joined with
// accounting's ends (see the spec and src/lifecycle/lifecycle_builder.h).
//
// Plans (idxNum bits; xFilter arguments in this order, each present only with its bit):
//   kLog       the hidden log_file argument: replay those files (omit), else the session's store
//   kAcct      the hidden acct_file argument: join that file (omit), else the session's, if any
//   kPidEq/In  pid = value, or pid IN (list): only those pids' rows and records are joined,
//              with their parents' rows (for a parent image); SQLite re-checks the constraint.
// Instances are built at xFilter from the whole trace (a full join each time: the live ring
// grows between statements).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "acct/acct_file.h"
#include "generated/table_specs.h"
#include "lifecycle/lifecycle_builder.h"
#include "netlink/capture_state.h"
#include "proc/process_reader.h"
#include "sql/constraints.h"
#include "sql/follow_window.h"
#include "tables/event_stores.h"
#include "tables/pid_scan.h"
#include "tables/tables.h"

namespace procaudit {
namespace {

namespace col = spec::process_lifecycle;
using audit::EventRing;
using lifecycle::EndSource;
using lifecycle::Instance;

enum Plan : int {
  kLog = 1 << kPidPlanBits,
  kAcct = kLog << 1,
};

// How long an end only accounting saw waits, under --follow, for audit's rows of the same
// process: the tracker holds events 2 s for reordering, and accounting's end is up to a second
// early.
constexpr int64_t kFollowSettleMs = 4000;
// And audit must have caught up with it: rows up to this long after the end are in the ring
// (or audit has been quiet that long). Wall time alone is not enough: a loaded pipeline, or a stream replayed
// from the past, can be further behind than any fixed wait. As long as the settling: the end
// may be a second early, and the tracker may still hold the process's last rows for 2 s.
constexpr int64_t kCaughtUpMs = kFollowSettleMs;

struct ProcessLifecycle {
  static constexpr const char* kSchema = col::meta::kSchema;

  struct Scan {
    std::shared_ptr<audit::EventStore> store;
    std::unique_ptr<EventRing::Reader> reader;
    std::shared_ptr<const acct::AcctFile> file;
    std::vector<Instance> rows;
    std::string log_spec, acct_spec;
    std::string acct_path;  // the file read, named or the session's
  };

  static int BestIndex(sqlite3_index_info* info, const char** plan_name) {
    int next_argv = 1;
    int idx = 0;
    for (const auto& [column, bit] : {std::pair{col::kLogFile, kLog}, std::pair{col::kAcctFile, kAcct}}) {
      const EqConstraint c = FindEqConstraint(info, column);
      if (c.unusable && c.index < 0) return SQLITE_CONSTRAINT;
      if (c.index >= 0) {
        info->aConstraintUsage[c.index].argvIndex = next_argv++;
        info->aConstraintUsage[c.index].omit = 1;
        idx |= bit;
      }
    }
    const int pid_bits = PlanOnPid(info, col::kPid, next_argv, plan_name);
    idx |= pid_bits;
    if (!pid_bits) *plan_name = "join";
    info->idxNum = idx;
    info->estimatedCost = pid_bits ? 1e3 : 1e7;
    info->estimatedRows = pid_bits ? 5 : 100'000;
    return SQLITE_OK;
  }

  static void Filter(const TableContext& ctx, const FilterArgs& args, Scan& scan);
  static size_t RowCount(const Scan& scan) { return scan.rows.size(); }
  static void Column(const Scan& scan, size_t row, int column, sqlite3_context* out);
};

std::string TextArg(sqlite3_value* v, const char* what) {
  if (sqlite3_value_type(v) != SQLITE_TEXT) {
    throw std::runtime_error(std::string("process_lifecycle: ") + what + " must be a text path");
  }
  return reinterpret_cast<const char*>(sqlite3_value_text(v));
}

// Whether pid still runs the instance (start within 2 s: /proc's start is boot time in whole
// seconds plus ticks).
lifecycle::Options RunningCheck(const std::string& proc_root) {
  lifecycle::Options options;
  const ProcRoot root(proc_root);
  if (!root.valid()) return options;  // no /proc: "running" is never claimed
  options.running = [clock = HostClock::Read(root), proc_root](int32_t pid, std::optional<int64_t> start_ms,
                                                int64_t first_seen_ms) {
    const uint64_t ticks = netlink::ProcessStartTime(pid, proc_root);
    if (ticks == 0) return false;
    const int64_t proc_start_ms = clock.boot_time * 1000 + clock.TicksToMillis(ticks);
    constexpr int64_t kSlackMs = 2000;
    if (start_ms) return std::llabs(proc_start_ms - *start_ms) <= kSlackMs;
    return proc_start_ms <= first_seen_ms + kSlackMs;
  };
  return options;
}

void ProcessLifecycle::Filter(const TableContext& ctx, const FilterArgs& args, Scan& scan) {
  size_t a = 0;
  sqlite3_value* log_arg = (args.idx_num & kLog) ? args.argv[a++] : nullptr;
  std::optional<std::string> acct_path;
  if (args.idx_num & kAcct) {
    scan.acct_spec = TextArg(args.argv[a++], "acct_file");
    acct_path = scan.acct_spec;
  } else {
    acct_path = ctx.acct->FindSessionFile();
  }
  scan.store = EventStoreFor(ctx, log_arg, col::meta::kName, &scan.log_spec);
  if (!scan.store && !acct_path) {
    throw std::runtime_error(
        "process_lifecycle has no source: start procaudit with --audit-log FILE (and "
        "--acct-file FILE), or name them as process_lifecycle('AUDIT LOGS', 'ACCT FILE')");
  }
  if (acct_path) {
    scan.file = std::make_shared<const acct::AcctFile>(ctx.acct->Read(*acct_path));
    scan.acct_path = *acct_path;
  }

  lifecycle::Selection eids, records;
  int64_t audit_start_ms = INT64_MIN;
  if (scan.store) {
    scan.reader = std::make_unique<EventRing::Reader>(scan.store->ring());
    const EventRing::Reader& r = *scan.reader;
    eids.lo = r.first_eid();
    eids.hi = r.end_eid();
    // With no audit row yet (a capture just started), only records from now on are its own.
    audit_start_ms = eids.lo < eids.hi ? r.Row(eids.lo).time_ms
                                       : std::chrono::duration_cast<std::chrono::milliseconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count();
  }
  if (scan.file) records.hi = static_cast<int64_t>(scan.file->record_count());
  if (args.idx_num & (kPidEq | kPidIn)) {
    const std::vector<int64_t> pids = IntegerArgValues(args.argv[a], args.idx_num & kPidIn);
    std::unordered_set<int64_t> wanted(pids.begin(), pids.end());
    records.listed = true;
    if (scan.file) {
      for (size_t i = 0; i < scan.file->record_count(); ++i) {
        const auto bytes = scan.file->Record(i);
        if (!wanted.contains(acct::RecordPid(bytes))) continue;
        records.items.push_back(static_cast<int64_t>(i));
        if (auto rec = acct::DecodeRecord(bytes)) wanted.insert(rec->ppid);  // its parent's image
      }
    }
    eids.listed = true;
    if (scan.reader) {
      for (int64_t pid : wanted) {
        if (pid < INT32_MIN || pid > INT32_MAX) continue;
        for (int64_t eid : scan.reader->EidsOfPid(static_cast<int32_t>(pid))) {
          eids.items.push_back(eid);
        }
      }
      std::sort(eids.items.begin(), eids.items.end());
    }
  }
  scan.rows = lifecycle::BuildInstances(scan.reader.get(), eids, scan.file.get(), records,
                                        audit_start_ms, RunningCheck(ctx.proc_root));
  if (!ctx.follow) return;
  // --follow: each process once, in the round its end became known (follow_window.h).
  EidRange window{0, 0};
  if (scan.reader) {
    window = VisibleEids(ctx, scan.store, {scan.reader->first_eid(), scan.reader->end_eid()});
  }
  const int64_t round_ms = ctx.follow->RoundTimes().second;
  // The newest audit time in the ring. A quiet ring counts as caught up: one with no new rows for
  // as long as the settling, since the pipeline holds rows back at most that long (a round that
  // merely finds nothing new may come while the process's own rows are still held).
  const bool audit_idle =
      window.lo >= window.hi &&
      (!scan.reader || ctx.follow->QuietMs(scan.store.get(), RingKind::kProcess) >= kCaughtUpMs);
  const int64_t audit_newest_ms =
      scan.reader && scan.reader->end_eid() > scan.reader->first_eid()
          ? scan.reader->Row(scan.reader->end_eid() - 1).time_index_ms
          : INT64_MIN;
  std::erase_if(scan.rows, [&](const Instance& p) {
    if (p.end_eid) return !(p.end_eid >= window.lo && p.end_eid < window.hi);
    if (p.end != EndSource::kAcct || !p.acct) return true;  // not ended (or running)
    if (*p.end_ms + kFollowSettleMs > round_ms) return true;
    if (!audit_idle && audit_newest_ms < *p.end_ms + kCaughtUpMs) return true;
    // Due from now on, whichever round sees it first: printed once, by its record.
    return !ctx.follow->FirstSight(scan.acct_path + '\0' + std::to_string(*p.acct));
  });
}

void ResultId(const EventRing::Reader* r, sqlite3_context* out, audit::StrId id) {
  if (r == nullptr) return;
  if (auto text = r->Text(id)) ResultText(out, *text);
}

std::string ImagesJson(const EventRing::Reader* r, const Instance& p) {
  nlohmann::json images = nlohmann::json::array();
  auto text = [&](audit::StrId id) -> nlohmann::json {
    if (r == nullptr) return nullptr;
    auto t = r->Text(id);
    return t ? nlohmann::json(std::string(*t)) : nlohmann::json(nullptr);
  };
  for (const lifecycle::Image& img : p.execs) {
    images.push_back({{"time_ms", img.time_ms},
                      {"path", text(img.path)},
                      {"cmdline", text(img.cmdline)},
                      {"cwd", text(img.cwd)}});
  }
  return images.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void ProcessLifecycle::Column(const Scan& scan, size_t row, int column, sqlite3_context* out) {
  const Instance& p = scan.rows[row];
  const EventRing::Reader* r = scan.reader.get();
  const lifecycle::Image& img = p.image();
  auto integer = [&](int64_t v) { sqlite3_result_int64(out, v); };
  const std::optional<acct::AcctRecord>& rec = p.acct_record;
  switch (column) {
    case col::kPid: return integer(p.pid);
    case col::kPpid: return ResultOptionalInt(out, p.ppid);
    case col::kParentPath: return ResultId(r, out, p.parent_path);
    case col::kPath: return ResultId(r, out, img.path);
    case col::kCmdline: return ResultId(r, out, img.cmdline);
    case col::kCwd: return ResultId(r, out, img.cwd);
    case col::kArgv: return ResultId(r, out, img.argv_json);
    case col::kImages: return ResultText(out, ImagesJson(r, p));
    case col::kExecCount: return integer(static_cast<int64_t>(p.execs.size()));
    case col::kComm:
      if (rec) return ResultText(out, rec->Comm());
      return ResultId(r, out, p.comm);
    case col::kUid: return ResultOptionalInt(out, p.uid);
    case col::kEuid: return ResultOptionalInt(out, p.euid);
    case col::kAuid: return ResultOptionalInt(out, p.auid);
    case col::kStartTime:
      if (p.start_ms) integer(*p.start_ms / 1000);
      return;
    case col::kStartTimeMs: return ResultOptionalInt(out, p.start_ms);
    case col::kStartSource:
      if (p.start_source) ResultText(out, p.start_source);
      return;
    case col::kEndTime:
      if (p.end_ms && p.end != EndSource::kRunning) integer(*p.end_ms / 1000);
      return;
    case col::kEndTimeMs:
      if (p.end_ms && p.end != EndSource::kRunning) integer(*p.end_ms);
      return;
    case col::kDuration:
      if (p.end == EndSource::kAcct && p.start_source == std::string_view("acct")) {
        return sqlite3_result_double(out, rec->elapsed);
      }
      if (p.start_ms && p.end_ms && p.end != EndSource::kRunning) {
        sqlite3_result_double(out, static_cast<double>(*p.end_ms - *p.start_ms) / 1000);
      }
      return;
    case col::kExitCode: return ResultOptionalInt(out, p.exit_code);
    case col::kSignal: return ResultOptionalInt(out, p.signal);
    case col::kSignalName:
      if (p.signal) {
        if (const char* name = acct::SignalName(*p.signal)) ResultText(out, name);
      }
      return;
    case col::kCoreDumped:
      if (p.end != EndSource::kNone && p.end != EndSource::kRunning) integer(p.core_dumped ? 1 : 0);
      return;
    case col::kEndSource:
      if (const char* name = lifecycle::EndSourceName(p.end)) ResultText(out, name);
      return;
    case col::kUserTime:
      if (rec) sqlite3_result_double(out, rec->user_time);
      return;
    case col::kSystemTime:
      if (rec) sqlite3_result_double(out, rec->system_time);
      return;
    case col::kNsPid:
      if (p.ns_pid) integer(p.ns_pid);
      return;
    case col::kStartEid:
      if (p.start_eid) integer(p.start_eid);
      return;
    case col::kEndEid:
      if (p.end_eid) integer(p.end_eid);
      return;
    case col::kAcctRecord:
      if (p.acct) integer(static_cast<int64_t>(scan.file->SlotOf(*p.acct)));
      return;
    case col::kLogFile:
      if (!scan.log_spec.empty()) ResultText(out, scan.log_spec);
      return;
    case col::kAcctFile:
      if (!scan.acct_spec.empty()) ResultText(out, scan.acct_spec);
      return;
    default: return;
  }
}

}  // namespace

int RegisterProcessLifecycle(sqlite3* db, std::shared_ptr<const TableContext> ctx) {
  return RegisterTable<ProcessLifecycle>(db, col::meta::kName, std::move(ctx));
}

}  // namespace procaudit
