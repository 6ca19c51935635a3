#include "tables/fd_scan.h"

#include <algorithm>

#include "proc/stat_parser.h"

namespace procaudit {

void ScanFds(const ProcRoot& root, const std::vector<int64_t>& pids, const FdScanOptions& options,
             FdScan& out) {
  std::vector<FdEntry> entries;
  std::string scratch;
  for (const int64_t pid : pids) {
    const PidDir dir(root, pid);
    if (!dir.valid()) continue;
    entries.clear();
    if (!ReadFds(dir, options.fd_parts, out.sockets.get(), entries)) continue;
    if (options.sockets_only) {
      std::erase_if(entries, [](const FdEntry& e) { return e.type != FdType::kSocket; });
    }
    if (entries.empty()) continue;

    FdScan::Process process{pid, std::nullopt, std::nullopt};
    if (options.comm && dir.ReadFile("stat", scratch)) {
      if (auto stat = ParseStat(scratch)) process.comm = std::move(stat->comm);
    }
    const bool has_socket = std::any_of(entries.begin(), entries.end(),
                                        [](const FdEntry& e) { return e.type == FdType::kSocket; });
    if (options.net_namespace && has_socket) {
      if (const uint64_t ns = out.sockets->NetNamespace(dir); ns != 0) process.net_namespace = ns;
    }
    const auto index = static_cast<uint32_t>(out.processes.size());
    out.processes.push_back(std::move(process));
    for (FdEntry& e : entries) out.rows.push_back(FdScan::Row{index, std::move(e)});
  }
}

}  // namespace procaudit
