// open_files: every open descriptor of every live process.
//
// Plans (idxNum bits, xFilter arguments in this order):
//   kPidEq / kPidIn   argv[0]: pid = value, or pid IN (list) all at once
// Without it, every process. Per-descriptor work follows colUsed: pid, fd, path
// cost one readlink; fdinfo, a stat and the socket tables only when selected.
#include <sys/socket.h>

#include "generated/table_specs.h"
#include "linux/open_flags.h"
#include "tables/fd_scan.h"
#include "tables/pid_scan.h"
#include "tables/tables.h"

namespace procaudit {
namespace {

namespace col = spec::open_files;

std::string_view FamilyName(int family) {
  switch (family) {
    case AF_UNIX: return "AF_UNIX";
    case AF_INET: return "AF_INET";
    case AF_INET6: return "AF_INET6";
    case AF_NETLINK: return "AF_NETLINK";
    case AF_PACKET: return "AF_PACKET";
    default: return "";
  }
}

bool IsInet(const SocketEntry* s) {
  return s != nullptr && (s->family == AF_INET || s->family == AF_INET6);
}

struct OpenFiles {
  static constexpr const char* kSchema = col::meta::kSchema;
  using Scan = FdScan;

  static int BestIndex(sqlite3_index_info* info, const char** plan_name) {
    return BestIndexOnPid(info, col::kPid, plan_name);
  }

  static FdScanOptions OptionsFor(const FilterArgs& a) {
    FdScanOptions o;
    if (a.Uses(col::kPos) || a.Uses(col::kFlags) || a.Uses(col::kFlagNames) ||
        a.Uses(col::kMntId)) {
      o.fd_parts |= kFdPartInfo;
    }
    if (a.Uses(col::kType)) o.fd_parts |= kFdPartType;
    if (a.Uses(col::kInode)) o.fd_parts |= kFdPartInode;
    for (int c : {col::kFamily, col::kProtocol, col::kLocalAddress, col::kLocalPort,
                  col::kRemoteAddress, col::kRemotePort, col::kState, col::kUnixPath}) {
      if (a.Uses(c)) o.sockets = true;
    }
    o.comm = a.Uses(col::kComm);
    o.net_namespace = a.Uses(col::kNetNamespace);
    return o;
  }

  static void Filter(const TableContext& ctx, const FilterArgs& args, Scan& scan) {
    const ProcRoot root = OpenProcRoot(ctx);
    ScanFds(root, PidsToScan(root, args), OptionsFor(args), scan);
  }

  static size_t RowCount(const Scan& scan) { return scan.rows.size(); }

  static void Column(const Scan& scan, size_t row, int column, sqlite3_context* out) {
    const FdScan::Row& r = scan.rows[row];
    const FdScan::Process& p = scan.processes[r.process];
    const FdEntry& e = r.entry;
    const SocketEntry* s = e.socket;
    switch (column) {
      case col::kPid: sqlite3_result_int64(out, p.pid); break;
      case col::kComm: ResultOptionalText(out, p.comm); break;
      case col::kFd: sqlite3_result_int64(out, e.fd); break;
      case col::kPath: ResultText(out, e.target); break;
      case col::kDeleted: sqlite3_result_int(out, e.deleted); break;
      case col::kType:
        if (e.type != FdType::kUnknown) ResultText(out, FdTypeName(e.type));
        break;
      case col::kPos:
        if (e.info) ResultOptionalInt(out, e.info->pos);
        break;
      case col::kFlags:
        if (e.info) ResultOptionalInt(out, e.info->flags);
        break;
      case col::kFlagNames:
        if (e.info && e.info->flags) ResultText(out, DecodeOpenFlags(*e.info->flags));
        break;
      case col::kMntId:
        if (e.info) ResultOptionalInt(out, e.info->mnt_id);
        break;
      case col::kInode: ResultOptionalInt(out, e.inode); break;
      case col::kFamily:
        if (s) ResultText(out, FamilyName(s->family));
        break;
      case col::kProtocol:
        if (s) ResultText(out, s->protocol_name);
        break;
      case col::kLocalAddress:
        if (IsInet(s)) ResultText(out, s->local_address);
        break;
      case col::kLocalPort:
        if (IsInet(s) || (s && s->family == AF_NETLINK)) sqlite3_result_int(out, s->local_port);
        break;
      case col::kRemoteAddress:
        if (IsInet(s)) ResultText(out, s->remote_address);
        break;
      case col::kRemotePort:
        if (IsInet(s)) sqlite3_result_int(out, s->remote_port);
        break;
      case col::kState:
        if (s && !s->state.empty()) ResultText(out, s->state);
        break;
      case col::kUnixPath:
        if (s && s->family == AF_UNIX && !s->unix_path.empty()) ResultText(out, s->unix_path);
        break;
      case col::kNetNamespace:
        if (e.type == FdType::kSocket) ResultOptionalInt(out, p.net_namespace);
        break;
      default: break;
    }
  }
};

}  // namespace

int RegisterOpenFiles(sqlite3* db, std::shared_ptr<const TableContext> ctx) {
  return RegisterTable<OpenFiles>(db, col::meta::kName, std::move(ctx));
}

}  // namespace procaudit
