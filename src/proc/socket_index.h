// Socket endpoints by inode, for the network namespaces seen during one query.
//
// A socket fd only names an inode ("socket:[12345]"); its endpoints live in the
// net/ tables of the namespace the process is in. Those are read through the
// process's own /proc/<pid>/net/ once per namespace and kept for the query (unless that
// process exited while they were read: then the next one of the namespace reads them again).
//
// Thread-safe: the scan threads of one query share one index. Entries never move
// once loaded, so the pointers Find returns stay valid as long as the index.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "proc/net_parser.h"
#include "proc/proc_dir.h"

namespace procaudit {

class SocketIndex {
 public:
  // The network namespace inode of the process, 0 when it cannot be read.
  static uint64_t NetNamespace(const PidDir& dir);

  // The entry for inode in the namespace net_namespace of the process in dir, or
  // nullptr (a family without a /proc table, or a socket closed meanwhile). With
  // net_namespace 0 (unknown), that process's own tables are read, uncached.
  const SocketEntry* Find(const PidDir& dir, uint64_t net_namespace, uint64_t inode);

 private:
  using Table = std::unordered_map<uint64_t, SocketEntry>;
  static std::unique_ptr<Table> Load(const PidDir& dir);
  const Table* TableFor(const PidDir& dir, uint64_t net_namespace);

  std::mutex mu_;
  std::unordered_map<uint64_t, std::unique_ptr<Table>> by_namespace_;  // guarded by mu_
  std::unordered_map<int64_t, std::unique_ptr<Table>> by_pid_;         // guarded by mu_
};

}  // namespace procaudit
