// Parsers for the socket tables under /proc/<pid>/net/: tcp, tcp6, udp, udp6,
// udplite, udplite6, raw, raw6, unix, netlink, packet. Pure functions over text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace procaudit {

struct SocketEntry {
  uint64_t inode = 0;
  int family = 0;             // AF_INET, AF_INET6, AF_UNIX, AF_NETLINK, AF_PACKET
  int protocol = 0;           // IPPROTO_* for inet; netlink protocol; 0 for unix
  std::string protocol_name;  // "tcp", "udp", "raw", "stream", "dgram", "route", "audit"...
  std::string local_address, remote_address;
  int local_port = 0, remote_port = 0;
  std::string state;      // "LISTEN", "ESTABLISHED"... (tcp and unix), else empty
  std::string unix_path;  // bound path; abstract names start with '@'
};

// One of tcp, tcp6, udp, udp6, udplite, udplite6, raw, raw6. `protocol` is the
// IPPROTO_* of the file; for raw sockets the "port" column holds the protocol.
void ParseInetSockets(std::string_view text, int family, int protocol,
                      std::vector<SocketEntry>& out);
void ParseUnixSockets(std::string_view text, std::vector<SocketEntry>& out);
void ParseNetlinkSockets(std::string_view text, std::vector<SocketEntry>& out);
void ParsePacketSockets(std::string_view text, std::vector<SocketEntry>& out);

// "0100007F" -> "127.0.0.1"; 32 hex digits -> IPv6 text. Empty on bad input.
std::string DecodeProcNetAddress(std::string_view hex, int family);

// The name of a TCP state number as /proc/net/tcp prints it ("0A" -> "LISTEN").
std::string_view TcpStateName(int state);

}  // namespace procaudit
