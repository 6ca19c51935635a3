#include "proc/socket_index.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include "proc/stat_parser.h"
#include "proc/text_fields.h"

namespace procaudit {

uint64_t SocketIndex::NetNamespace(const PidDir& dir) {
  std::string link;
  uint64_t ino = 0;
  if (dir.ReadLink("ns/net", link) && ParseBracketInode(link, "net:", ino)) return ino;
  return 0;
}

namespace {

// Whether the process of dir still runs: not reaped, not a zombie (whose net/ files are gone).
bool StillRunning(const PidDir& dir) {
  std::string text;
  if (!dir.ReadFile("stat", text, ReadMode::kOneShot)) return false;
  const std::optional<StatFields> stat = ParseStat(text);
  return stat && stat->state != 'Z' && stat->state != 'X';
}

}  // namespace

const SocketIndex::Table* SocketIndex::TableFor(const PidDir& dir, uint64_t net_namespace) {
  // Loading under the lock is deliberate: a second thread that meets the same
  // namespace waits for the table instead of reading it again.
  std::lock_guard lock(mu_);
  if (net_namespace != 0) {
    if (auto it = by_namespace_.find(net_namespace); it != by_namespace_.end()) {
      return it->second.get();
    }
  }
  std::unique_ptr<Table>& own = by_pid_[dir.pid()];
  if (own) return own.get();
  std::unique_ptr<Table> table = Load(dir);
  // Tables read through a process that exited meanwhile miss every file after its exit: they
  // serve that process's own sockets, but the next process of the namespace reads them again.
  // Cached for the namespace, they would hide the endpoints of all its other processes.
  if (net_namespace != 0 && StillRunning(dir)) {
    return (by_namespace_[net_namespace] = std::move(table)).get();
  }
  own = std::move(table);
  return own.get();
}

const SocketEntry* SocketIndex::Find(const PidDir& dir, uint64_t net_namespace, uint64_t inode) {
  const Table* table = TableFor(dir, net_namespace);
  auto it = table->find(inode);
  return it == table->end() ? nullptr : &it->second;
}

std::unique_ptr<SocketIndex::Table> SocketIndex::Load(const PidDir& dir) {
  struct Source {
    const char* file;
    int family;
    int protocol;
  };
  static constexpr Source kInet[] = {
      {"net/tcp", AF_INET, IPPROTO_TCP},         {"net/tcp6", AF_INET6, IPPROTO_TCP},
      {"net/udp", AF_INET, IPPROTO_UDP},         {"net/udp6", AF_INET6, IPPROTO_UDP},
      {"net/udplite", AF_INET, IPPROTO_UDPLITE}, {"net/udplite6", AF_INET6, IPPROTO_UDPLITE},
      {"net/raw", AF_INET, IPPROTO_RAW},         {"net/raw6", AF_INET6, IPPROTO_RAW},
  };
  std::vector<SocketEntry> entries;
  std::string text;
  for (const Source& s : kInet) {
    if (dir.ReadFile(s.file, text)) ParseInetSockets(text, s.family, s.protocol, entries);
  }
  if (dir.ReadFile("net/unix", text)) ParseUnixSockets(text, entries);
  if (dir.ReadFile("net/netlink", text)) ParseNetlinkSockets(text, entries);
  if (dir.ReadFile("net/packet", text)) ParsePacketSockets(text, entries);

  auto table = std::make_unique<Table>();
  table->reserve(entries.size());
  for (SocketEntry& e : entries) {
    const uint64_t inode = e.inode;
    table->emplace(inode, std::move(e));  // inode 0 (TIME_WAIT) entries collapse; none is an fd
  }
  return table;
}

}  // namespace procaudit
