// audit_status: counters of each audit event pipeline of this connection.
//
// Plans: one, the full scan (a handful of rows).
#include "audit/event_store.h"
#include "generated/table_specs.h"
#include "sql/row_table.h"
#include "tables/tables.h"

namespace procaudit {
namespace {

namespace col = spec::audit_status;
using audit::EventStore;

struct AuditStatus {
  static constexpr const char* kSchema = col::meta::kSchema;

  struct Row {
    std::shared_ptr<EventStore> store;
    bool session = false;
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
    const std::shared_ptr<EventStore> session = ctx.events->CurrentSession();
    for (std::shared_ptr<EventStore>& store : ctx.events->All()) {
      const bool is_session = store == session;
      scan.rows.push_back(Row{std::move(store), is_session});
    }
  }

  static size_t RowCount(const Scan& scan) { return scan.rows.size(); }

  static void Column(const Scan& scan, size_t row, int column, sqlite3_context* out) {
    const Row& r = scan.rows[row];
    const audit::PipelineStats& s = r.store->stats();
    auto integer = [&](uint64_t v) { sqlite3_result_int64(out, static_cast<sqlite3_int64>(v)); };
    switch (column) {
      case col::kSource: return ResultText(out, r.store->description());
      case col::kRole: return ResultText(out, r.session ? "session" : "argument");
      case col::kLive: return integer(r.store->live() ? 1 : 0);
      case col::kBytesRead: return integer(s.bytes_read.load());
      case col::kRecords: return integer(s.records.load());
      case col::kEvents: return integer(s.events.load());
      case col::kProcessEvents: return integer(s.process_events.load());
      case col::kBadRecords: return integer(s.bad_records.load());
      case col::kFirstBadRecord:
        if (std::string first = s.first_bad(); !first.empty()) ResultText(out, first);
        return;
      case col::kUnknownTypes: return integer(s.unknown_types.load());
      case col::kSerialGaps: return integer(r.store->serial_gaps());
      case col::kLateEvents: return integer(s.late_events.load());
      case col::kQueueDrops: return integer(s.queue_drops.load());
      case col::kRingRows: return integer(r.store->ring().usage().rows);
      case col::kRingEvicted: return integer(r.store->ring().usage().evicted);
      case col::kRingStrings: return integer(r.store->ring().usage().strings);
      case col::kRingStringBytes: return integer(r.store->ring().usage().string_bytes);
      default: return;
    }
  }
};

}  // namespace

int RegisterAuditStatus(sqlite3* db, std::shared_ptr<const TableContext> ctx) {
  return RegisterTable<AuditStatus>(db, col::meta::kName, std::move(ctx));
}

}  // namespace procaudit
