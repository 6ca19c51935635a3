// process_open_sockets: osquery's table of the same name, numeric family and protocol.
//
// Plans: as open_files (kPidEq / kPidIn, argv[0]).
#include <sys/socket.h>

#include "generated/table_specs.h"
#include "tables/fd_scan.h"
#include "tables/pid_scan.h"
#include "tables/tables.h"

namespace procaudit {
namespace {

namespace col = spec::process_open_sockets;

struct ProcessOpenSockets {
  static constexpr const char* kSchema = col::meta::kSchema;
  using Scan = FdScan;

  static int BestIndex(sqlite3_index_info* info, const char** plan_name) {
    return BestIndexOnPid(info, col::kPid, plan_name);
  }

  static void Filter(const TableContext& ctx, const FilterArgs& args, Scan& scan) {
    const ProcRoot root = OpenProcRoot(ctx);
    FdScanOptions options;
    options.sockets = true;
    options.net_namespace = true;
    options.sockets_only = true;
    ScanFds(root, PidsToScan(root, args), options, scan);
  }

  static size_t RowCount(const Scan& scan) { return scan.rows.size(); }

  static void Column(const Scan& scan, size_t row, int column, sqlite3_context* out) {
    const FdScan::Row& r = scan.rows[row];
    const SocketEntry* s = r.entry.socket;
    const bool inet = s && (s->family == AF_INET || s->family == AF_INET6);
    // osquery gives '' rather than NULL for the address and path columns.
    switch (column) {
      case col::kPid: sqlite3_result_int64(out, scan.processes[r.process].pid); break;
      case col::kFd: sqlite3_result_int64(out, r.entry.fd); break;
      case col::kSocket: ResultOptionalInt(out, r.entry.inode); break;
      case col::kFamily:
        if (s) sqlite3_result_int(out, s->family);
        break;
      case col::kProtocol:
        if (s) sqlite3_result_int(out, s->protocol);
        break;
      case col::kLocalAddress: ResultText(out, inet ? s->local_address : ""); break;
      case col::kRemoteAddress: ResultText(out, inet ? s->remote_address : ""); break;
      case col::kLocalPort:
        if (s) sqlite3_result_int(out, inet ? s->local_port : 0);
        break;
      case col::kRemotePort:
        if (s) sqlite3_result_int(out, inet ? s->remote_port : 0);
        break;
      case col::kPath:
        ResultText(out, s && s->family == AF_UNIX ? std::string_view(s->unix_path) : "");
        break;
      case col::kState:
        if (s && !s->state.empty()) ResultText(out, s->state);
        break;
      case col::kNetNamespace:
        ResultOptionalInt(out, scan.processes[r.process].net_namespace);
        break;
      default: break;
    }
  }
};

}  // namespace

int RegisterProcessOpenSockets(sqlite3* db, std::shared_ptr<const TableContext> ctx) {
  return RegisterTable<ProcessOpenSockets>(db, col::meta::kName, std::move(ctx));
}

}  // namespace procaudit
