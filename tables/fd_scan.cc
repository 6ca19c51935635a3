#include "tables/fd_scan.h"

#include <algorithm>

#include "proc/text_fields.h"
#include "util/parallel.h"

namespace procaudit {
namespace {

// Scans pids[begin, end) into part. Runs on a scan thread: touches only its own
// part and the (thread-safe) socket index.
void ScanRange(const ProcRoot& root, const std::vector<int64_t>& pids, size_t begin, size_t end,
               const FdScanOptions& options, SocketIndex& sockets, FdScan& part) {
  std::vector<FdEntry> entries;
  std::string scratch;
  for (size_t i = begin; i < end; ++i) {
    const PidDir dir(root, pids[i]);
    if (!dir.valid()) continue;
    entries.clear();
    if (!ReadFds(dir, options.fd_parts, entries)) continue;
    if (options.sockets_only) {
      std::erase_if(entries, [](const FdEntry& e) { return e.type != FdType::kSocket; });
    }
    if (entries.empty()) continue;

    FdScan::Process process{pids[i], std::nullopt, std::nullopt};
    // comm, not stat: the kernel formats it far more cheaply.
    if (options.comm && dir.ReadFile("comm", scratch, ReadMode::kOneShot)) {
      process.comm = std::string(scratch.substr(0, scratch.find('\n')));
    }
    const bool has_socket = std::any_of(entries.begin(), entries.end(),
                                        [](const FdEntry& e) { return e.type == FdType::kSocket; });
    if (has_socket && (options.sockets || options.net_namespace)) {
      const uint64_t ns = SocketIndex::NetNamespace(dir);
      if (ns != 0 && options.net_namespace) process.net_namespace = ns;
      for (FdEntry& e : entries) {
        uint64_t inode = 0;
        if (options.sockets && ParseBracketInode(e.target, "socket:", inode)) {
          e.socket = sockets.Find(dir, ns, inode);
        }
      }
    }
    const auto index = static_cast<uint32_t>(part.processes.size());
    part.processes.push_back(std::move(process));
    for (FdEntry& e : entries) part.rows.push_back(FdScan::Row{index, std::move(e)});
  }
}

}  // namespace

void ScanFds(const ProcRoot& root, const std::vector<int64_t>& pids, const FdScanOptions& options,
             FdScan& out) {
  const size_t threads = ScanThreads(pids.size());
  std::vector<FdScan> parts(threads);
  ForEachChunk(pids.size(), threads, [&](size_t chunk, size_t begin, size_t end) {
    ScanRange(root, pids, begin, end, options, *out.sockets, parts[chunk]);
  });
  // Concatenate in chunk order, so rows stay in pid order.
  for (FdScan& part : parts) {
    const auto offset = static_cast<uint32_t>(out.processes.size());
    std::move(part.processes.begin(), part.processes.end(), std::back_inserter(out.processes));
    out.rows.reserve(out.rows.size() + part.rows.size());
    for (FdScan::Row& row : part.rows) {
      row.process += offset;
      out.rows.push_back(std::move(row));
    }
  }
}

}  // namespace procaudit
