// audit_status: the health of each audit event source of this connection, the kernel's side
// of the live capture (read from the kernel at query time), and live accounting.
//
// Plans: one, the full scan (a handful of rows).
#include <unistd.h>

#include <algorithm>

#include "acct/live_acct.h"
#include "audit/event_store.h"
#include "generated/table_specs.h"
#include "netlink/audit_netlink.h"
#include "netlink/capture_state.h"
#include "netlink/live_capture.h"
#include "sql/row_table.h"
#include "tables/tables.h"

namespace procaudit {
namespace {

namespace col = spec::audit_status;
using audit::EventStore;

// The kernel's side, as far as the kernel lets us read it.
struct KernelView {
  netlink::KernelStatus status;
  std::vector<netlink::Rule> rules;
  bool process_rules = false;
};

std::optional<KernelView> ReadKernel() {
  try {
    netlink::AuditControl ctl;
    KernelView view;
    view.status = ctl.Status();
    view.rules = ctl.ListRules();
    view.process_rules = netlink::CoversProcessEvents(view.rules);
    return view;
  } catch (const std::exception&) {
    return std::nullopt;  // not root, or no audit in this kernel: the columns stay NULL
  }
}

// The capture's watches whose rules are all loaded, in PROCAUDIT_WATCH's syntax; "" for none.
std::string LoadedWatches(const netlink::LiveInfo& live, const std::vector<netlink::Rule>& loaded) {
  std::string out;
  for (const netlink::LiveInfo::Watching& w : live.watches) {
    const bool all_loaded =
        std::all_of(w.rules.begin(), w.rules.end(), [&](const netlink::Rule& r) {
          return std::find(loaded.begin(), loaded.end(), r) != loaded.end();
        });
    if (all_loaded) out += (out.empty() ? "" : " ") + w.watch.ToString();
  }
  return out;
}

const char* FailureName(uint32_t failure) {
  switch (failure) {
    case 0: return "silent";
    case 1: return "printk";
    case 2: return "panic";
    default: return "unknown";
  }
}

struct AuditStatus {
  static constexpr const char* kSchema = col::meta::kSchema;

  struct Row {
    std::shared_ptr<EventStore> store;  // null for the kernel row
    const char* role = "argument";
    const char* mode = "replay";
    std::optional<netlink::LiveInfo> live;  // the live capture's row
    std::optional<KernelView> kernel;       // live and kernel rows
    std::optional<acct::LiveAcctInfo> acct;  // live and kernel rows, while live accounting runs
  };
  struct Scan {
    std::vector<Row> rows;
  };

  static int BestIndex(sqlite3_index_info* info, const char** plan_name) {
    *plan_name = "scan";
    info->estimatedCost = 10;
    info->estimatedRows = 5;
    return SQLITE_OK;
  }

  static void Filter(const TableContext& ctx, const FilterArgs&, Scan& scan) {
    // Never starts a capture or accounting: looking at the health must not change it.
    const std::shared_ptr<EventStore> session = ctx.events->CurrentSession();
    const std::shared_ptr<EventStore> live = netlink::RunningLiveCapture();
    const std::optional<acct::LiveAcctInfo> acct = acct::RunningLiveAcct();
    bool have_live_row = false;
    for (std::shared_ptr<EventStore>& store : ctx.events->All()) {
      Row row;
      row.role = store == session ? "session" : "argument";
      if (live && store == live) {
        row.live = netlink::RunningLiveCaptureInfo();
        row.mode = row.live ? netlink::AuditModeName(row.live->mode) : "unicast";
        row.kernel = ReadKernel();
        row.acct = acct;
        have_live_row = true;
      } else if (store->live()) {
        row.mode = "stream";
      }
      row.store = std::move(store);
      scan.rows.push_back(std::move(row));
    }
    // Where live capture is allowed but not running, the kernel's side still matters; so does
    // live accounting, which may run without the capture.
    if (!have_live_row && (ctx.events->live || acct)) {
      Row row;
      row.role = "kernel";
      row.mode = "kernel";
      if (ctx.events->live) row.kernel = ReadKernel();
      row.acct = acct;
      if (row.kernel || row.acct) scan.rows.push_back(std::move(row));
    }
  }

  static size_t RowCount(const Scan& scan) { return scan.rows.size(); }

  static void Column(const Scan& scan, size_t row, int column, sqlite3_context* out) {
    const Row& r = scan.rows[row];
    auto integer = [&](uint64_t v) { sqlite3_result_int64(out, static_cast<sqlite3_int64>(v)); };
    switch (column) {
      case col::kSource: return ResultText(out, r.store ? r.store->description() : "kernel audit");
      case col::kRole: return ResultText(out, r.role);
      case col::kMode: return ResultText(out, r.mode);
      case col::kAcctMode:
        if (r.acct) ResultText(out, r.acct->own ? "own" : "shared");
        return;
      case col::kAcctFile:
        if (r.acct) ResultText(out, r.acct->path);
        return;
      default: break;
    }
    if (column >= col::kOwnerPid) return KernelColumn(r, column, out);
    if (!r.store) return;  // the kernel row has no pipeline
    const audit::PipelineStats& s = r.store->stats();
    switch (column) {
      case col::kLive: return integer(r.store->live() ? 1 : 0);
      case col::kBytesRead: return integer(s.bytes_read.load());
      case col::kRecords: return integer(s.records.load());
      case col::kEvents: return integer(s.events.load());
      case col::kProcessEvents: return integer(s.process_events.load());
      case col::kFileEvents: return integer(s.file_events.load());
      case col::kBadRecords: return integer(s.bad_records.load());
      case col::kFirstBadRecord:
        if (std::string first = s.first_bad(); !first.empty()) ResultText(out, first);
        return;
      case col::kUnknownTypes: return integer(s.unknown_types.load());
      case col::kSerialGaps: return integer(r.store->serial_gaps());
      case col::kLateEvents: return integer(s.late_events.load());
      case col::kQueueDrops: return integer(s.queue_drops.load());
      case col::kSocketOverruns: return integer(s.socket_overruns.load());
      case col::kRingRows: return integer(r.store->ring().usage().rows);
      case col::kRingEvicted: return integer(r.store->ring().usage().evicted);
      case col::kRingStrings: return integer(r.store->ring().usage().strings);
      case col::kRingStringBytes: return integer(r.store->ring().usage().string_bytes);
      case col::kFileRingRows: return integer(r.store->file_ring().usage().rows);
      case col::kFileRingEvicted: return integer(r.store->file_ring().usage().evicted);
      default: return;
    }
  }

  static void KernelColumn(const Row& r, int column, sqlite3_context* out) {
    auto integer = [&](uint64_t v) { sqlite3_result_int64(out, static_cast<sqlite3_int64>(v)); };
    // Capture-only columns first: they need no kernel access.
    if (r.live) {
      switch (column) {
        case col::kRulesInstalled: return integer(r.live->rules_installed);
        case col::kEventsPerSecond: return sqlite3_result_double(out, r.live->events_per_second);
        default: break;
      }
    }
    if (!r.kernel) return;
    const netlink::KernelStatus& k = r.kernel->status;
    switch (column) {
      case col::kOwnerPid: return integer(k.pid);
      case col::kOwner:
        if (k.pid) ResultText(out, netlink::ProcessComm(k.pid));
        return;
      case col::kEnabled: return integer(k.enabled);
      case col::kFailureMode: return ResultText(out, FailureName(k.failure));
      case col::kBacklog: return integer(k.backlog);
      case col::kBacklogLimit: return integer(k.backlog_limit);
      case col::kBacklogWaitTime: return integer(k.backlog_wait_time);
      case col::kLost: return integer(k.lost);
      case col::kLostSinceStart:
        // The counter is 32 bits and may wrap; an earlier value larger than now reads as 0.
        if (r.live && r.live->lost_at_start) {
          return integer(k.lost >= *r.live->lost_at_start ? k.lost - *r.live->lost_at_start : 0);
        }
        return;
      case col::kRulesLoaded: return integer(r.kernel->rules.size());
      case col::kRulesInstalled: return integer(0);  // the kernel row: no capture, none of ours
      case col::kProcessRules: return integer(r.kernel->process_rules ? 1 : 0);
      case col::kFileRules:
        if (r.live) {
          if (std::string loaded = LoadedWatches(*r.live, r.kernel->rules); !loaded.empty()) {
            ResultText(out, loaded);
          }
        }
        return;
      default: return;
    }
  }
};

}  // namespace

int RegisterAuditStatus(sqlite3* db, std::shared_ptr<const TableContext> ctx) {
  return RegisterTable<AuditStatus>(db, col::meta::kName, std::move(ctx));
}

}  // namespace procaudit
