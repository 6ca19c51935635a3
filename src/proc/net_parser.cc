#include "proc/net_parser.h"

#include <arpa/inet.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstring>

#include "proc/text_fields.h"

namespace procaudit {
namespace {

std::string_view InetProtocolName(int protocol) {
  switch (protocol) {
    case IPPROTO_TCP: return "tcp";
    case IPPROTO_UDP: return "udp";
    case IPPROTO_UDPLITE: return "udplite";
    default: return "raw";
  }
}

// "ADDR:PORT" with both in hex.
bool SplitEndpoint(std::string_view field, int family, std::string& addr, int& port) {
  const size_t colon = field.find(':');
  if (colon == std::string_view::npos) return false;
  addr = DecodeProcNetAddress(field.substr(0, colon), family);
  return !addr.empty() && ParseInt(field.substr(colon + 1), port, 16);
}

std::string_view NetlinkProtocolName(int protocol) {
  static constexpr std::array<std::string_view, 23> kNames = {
      "route",         "unused",   "usersock", "firewall",       "sock_diag",  "nflog",
      "xfrm",          "selinux",  "iscsi",    "audit",          "fib_lookup", "connector",
      "netfilter",     "ip6_fw",   "dnrtmsg",  "kobject_uevent", "generic",    "",
      "scsitransport", "ecryptfs", "rdma",     "crypto",         "smc"};
  if (protocol >= 0 && protocol < static_cast<int>(kNames.size())) return kNames[protocol];
  return "";
}

}  // namespace

std::string DecodeProcNetAddress(std::string_view hex, int family) {
  // The kernel prints each 32-bit word of the address in host byte order.
  const size_t words = family == AF_INET6 ? 4 : 1;
  if (hex.size() != words * 8) return {};
  std::array<uint32_t, 4> raw{};
  for (size_t i = 0; i < words; ++i) {
    if (!ParseInt(hex.substr(i * 8, 8), raw[i], 16)) return {};
  }
  char buf[INET6_ADDRSTRLEN];
  if (inet_ntop(family, raw.data(), buf, sizeof buf) == nullptr) return {};
  return buf;
}

std::string_view TcpStateName(int state) {
  static constexpr std::array<std::string_view, 13> kNames = {
      "",      "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",   "TIME_WAIT",
      "CLOSE", "CLOSE_WAIT",  "LAST_ACK", "LISTEN",   "CLOSING",   "NEW_SYN_RECV"};
  if (state > 0 && state < static_cast<int>(kNames.size())) return kNames[state];
  return "";
}

void ParseInetSockets(std::string_view text, int family, int protocol,
                      std::vector<SocketEntry>& out) {
  bool header = true;
  for (std::string_view line : Lines(text)) {
    if (header) {  // "  sl  local_address rem_address   st tx_queue ..."
      header = false;
      continue;
    }
    FieldCursor f(line);
    SocketEntry e;
    e.family = family;
    e.protocol = protocol;
    int state = 0;
    std::string_view sl = f.Next();
    if (sl.empty() || sl.back() != ':') continue;
    if (!SplitEndpoint(f.Next(), family, e.local_address, e.local_port)) continue;
    if (!SplitEndpoint(f.Next(), family, e.remote_address, e.remote_port)) continue;
    if (!f.NextInt(state, 16)) continue;
    // tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
    if (!f.Skip(5) || !f.NextInt(e.inode)) continue;
    if (protocol != IPPROTO_TCP && protocol != IPPROTO_UDP && protocol != IPPROTO_UDPLITE) {
      e.protocol = e.local_port;  // raw: the "port" is the IP protocol number
      e.local_port = e.remote_port = 0;
    }
    e.protocol_name = InetProtocolName(protocol);
    if (protocol == IPPROTO_TCP) e.state = TcpStateName(state);
    out.push_back(std::move(e));
  }
}

void ParseUnixSockets(std::string_view text, std::vector<SocketEntry>& out) {
  bool header = true;
  for (std::string_view line : Lines(text)) {
    if (header) {  // "Num       RefCount Protocol Flags    Type St Inode Path"
      header = false;
      continue;
    }
    FieldCursor f(line);
    SocketEntry e;
    e.family = AF_UNIX;
    uint32_t flags = 0;
    int type = 0, state = 0;
    if (f.Next().empty() || !f.Skip(2) || !f.NextInt(flags, 16) || !f.NextInt(type, 16) ||
        !f.NextInt(state, 16) || !f.NextInt(e.inode)) {
      continue;
    }
    // The kernel prints one space, then the path's bytes as they are: a path may
    // begin or end with spaces, so only that one separator is removed.
    std::string_view path = f.Rest();
    if (!path.empty() && path.front() == ' ') path.remove_prefix(1);
    e.unix_path = std::string(path);
    switch (type) {
      case SOCK_STREAM: e.protocol_name = "stream"; break;
      case SOCK_DGRAM: e.protocol_name = "dgram"; break;
      case SOCK_SEQPACKET: e.protocol_name = "seqpacket"; break;
      default: e.protocol_name = "unknown"; break;
    }
    constexpr uint32_t kAcceptCon = 0x10000;  // __SO_ACCEPTCON: a listening socket
    if (flags & kAcceptCon) {
      e.state = "LISTEN";
    } else if (state == 3) {  // SS_CONNECTED
      e.state = "CONNECTED";
    } else if (state == 1) {  // SS_UNCONNECTED
      e.state = "UNCONNECTED";
    } else if (state == 2) {
      e.state = "CONNECTING";
    } else if (state == 4) {
      e.state = "DISCONNECTING";
    }
    out.push_back(std::move(e));
  }
}

void ParseNetlinkSockets(std::string_view text, std::vector<SocketEntry>& out) {
  bool header = true;
  for (std::string_view line : Lines(text)) {
    if (header) {  // "sk  Eth Pid  Groups  Rmem  Wmem  Dump  Locks  Drops  Inode"
      header = false;
      continue;
    }
    FieldCursor f(line);
    SocketEntry e;
    e.family = AF_NETLINK;
    int64_t port_id = 0;
    if (f.Next().empty() || !f.NextInt(e.protocol) || !f.NextInt(port_id) || !f.Skip(6) ||
        !f.NextInt(e.inode)) {
      continue;
    }
    e.protocol_name = NetlinkProtocolName(e.protocol);
    e.local_port = static_cast<int>(port_id);  // the netlink port id, usually the owner pid
    out.push_back(std::move(e));
  }
}

void ParsePacketSockets(std::string_view text, std::vector<SocketEntry>& out) {
  bool header = true;
  for (std::string_view line : Lines(text)) {
    if (header) {  // "sk RefCnt Type Proto Iface R Rmem User Inode"
      header = false;
      continue;
    }
    FieldCursor f(line);
    SocketEntry e;
    e.family = AF_PACKET;
    int type = 0;
    if (f.Next().empty() || !f.Skip(1) || !f.NextInt(type) || !f.NextInt(e.protocol, 16) ||
        !f.Skip(4) || !f.NextInt(e.inode)) {
      continue;
    }
    e.protocol_name = type == SOCK_RAW ? "raw" : "dgram";
    out.push_back(std::move(e));
  }
}

}  // namespace procaudit
