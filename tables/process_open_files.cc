// process_open_files: osquery's table of the same name (pid, fd, path).
//
// Plans: as open_files (kPidEq / kPidIn, argv[0]). One readlink per descriptor.
#include "generated/table_specs.h"
#include "tables/fd_scan.h"
#include "tables/pid_scan.h"
#include "tables/tables.h"

namespace procaudit {
namespace {

namespace col = spec::process_open_files;

struct ProcessOpenFiles {
  static constexpr const char* kSchema = col::meta::kSchema;
  using Scan = FdScan;

  static int BestIndex(sqlite3_index_info* info, const char** plan_name) {
    return BestIndexOnPid(info, col::kPid, plan_name);
  }

  static void Filter(const TableContext& ctx, const FilterArgs& args, Scan& scan) {
    const ProcRoot root = OpenProcRoot(ctx);
    ScanFds(root, PidsToScan(root, args), FdScanOptions{}, scan);
  }

  static size_t RowCount(const Scan& scan) { return scan.rows.size(); }

  static void Column(const Scan& scan, size_t row, int column, sqlite3_context* out) {
    const FdScan::Row& r = scan.rows[row];
    switch (column) {
      case col::kPid: sqlite3_result_int64(out, scan.processes[r.process].pid); break;
      case col::kFd: sqlite3_result_int64(out, r.entry.fd); break;
      case col::kPath: ResultText(out, r.entry.target); break;
      default: break;
    }
  }
};

}  // namespace

int RegisterProcessOpenFiles(sqlite3* db, std::shared_ptr<const TableContext> ctx) {
  return RegisterTable<ProcessOpenFiles>(db, col::meta::kName, std::move(ctx));
}

}  // namespace procaudit
