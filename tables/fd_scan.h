// The descriptor scan shared by open_files, process_open_files and process_open_sockets.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "proc/fd_reader.h"
#include "proc/socket_index.h"

namespace procaudit {

struct FdScanOptions {
  uint32_t fd_parts = 0;       // FdPart bits
  bool sockets = false;        // resolve socket endpoints in the net/ tables
  bool comm = false;           // read each process's comm
  bool net_namespace = false;  // read the namespace of processes holding sockets
  bool sockets_only = false;   // keep socket descriptors only
};

struct FdScan {
  struct Process {
    int64_t pid = 0;
    std::optional<std::string> comm;
    std::optional<uint64_t> net_namespace;
  };
  struct Row {
    uint32_t process = 0;  // index into processes
    FdEntry entry;
  };
  std::vector<Process> processes;
  std::vector<Row> rows;
  // Owns the SocketEntry objects rows point to.
  std::unique_ptr<SocketIndex> sockets = std::make_unique<SocketIndex>();
};

// Reads the descriptors of pids, in pid order, on a few threads when there are
// many. Processes that exit or deny access meanwhile contribute no rows.
void ScanFds(const ProcRoot& root, const std::vector<int64_t>& pids, const FdScanOptions& options,
             FdScan& out);

}  // namespace procaudit
