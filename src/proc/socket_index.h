// Socket endpoints by inode, for the network namespaces seen during one query.
//
// A socket fd only names an inode ("socket:[12345]"); its endpoints live in the
// net/ tables of the namespace the process is in. Those are read through the
// process's own /proc/<pid>/net/ once per namespace and cached for the query.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "proc/net_parser.h"
#include "proc/proc_dir.h"

namespace procaudit {

class SocketIndex {
 public:
  // The entry for inode in the namespace of the process in dir, or nullptr (a
  // socket family without a /proc table, or a socket closed meanwhile).
  const SocketEntry* Find(const PidDir& dir, uint64_t inode);

  // The network namespace inode of the process, 0 when it cannot be read.
  // Remembered for the last process asked about: a scan asks once per socket.
  uint64_t NetNamespace(const PidDir& dir);

 private:
  using Table = std::unordered_map<uint64_t, SocketEntry>;
  static std::unique_ptr<Table> Load(const PidDir& dir);

  std::unordered_map<uint64_t, std::unique_ptr<Table>> by_namespace_;
  // For processes whose ns link we may not read: loaded per process, not cached.
  std::unique_ptr<Table> uncached_;
  int64_t uncached_pid_ = -1;
  std::string scratch_;
  int64_t last_pid_ = -1;
  uint64_t last_namespace_ = 0;
};

}  // namespace procaudit
