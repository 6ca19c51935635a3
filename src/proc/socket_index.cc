#include "proc/socket_index.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include "proc/text_fields.h"

namespace procaudit {

uint64_t SocketIndex::NetNamespace(const PidDir& dir) {
  if (dir.pid() == last_pid_) return last_namespace_;
  uint64_t ino = 0;
  if (!dir.ReadLink("ns/net", scratch_) || !ParseBracketInode(scratch_, "net:", ino)) ino = 0;
  last_pid_ = dir.pid();
  last_namespace_ = ino;
  return ino;
}

const SocketEntry* SocketIndex::Find(const PidDir& dir, uint64_t inode) {
  Table* table = nullptr;
  if (const uint64_t ns = NetNamespace(dir); ns != 0) {
    auto& slot = by_namespace_[ns];
    if (!slot) slot = Load(dir);
    table = slot.get();
  } else {
    if (uncached_pid_ != dir.pid()) {
      uncached_ = Load(dir);
      uncached_pid_ = dir.pid();
    }
    table = uncached_.get();
  }
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
