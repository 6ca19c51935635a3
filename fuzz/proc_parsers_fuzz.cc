// Fuzzes every /proc text parser on arbitrary bytes: /proc/<pid>/stat and /proc/stat's btime,
// status, fdinfo, cgroup, the socket tables under net/ (tcp, tcp6, udp, udp6, udplite, raw, raw6,
// unix, netlink, packet) and their hex addresses, cmdline, syscall, io, readlink texts
// ("socket:[N]"), and the two acct_probe parsers of what the kernel hands the probe: mountinfo
// and fanotify event bytes. The first byte picks the parser, the rest is the file's text (the
// seeds are the fixture tree's files behind their selector byte). A crash, a sanitizer report
// or a broken invariant (the __builtin_trap()s) is a finding.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/fanotify.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "acct/acct_probe.h"
#include "proc/cgroup_parser.h"
#include "proc/fdinfo_parser.h"
#include "proc/net_parser.h"
#include "proc/pid_files.h"
#include "proc/stat_parser.h"
#include "proc/status_parser.h"
#include "proc/text_fields.h"

using namespace procaudit;

namespace {

// The selector byte (first input byte, modulo kCount); fuzz/make_seeds.py writes the same values.
enum Parser : uint8_t {
  kStat,
  kBootTime,
  kStatus,
  kFdInfo,
  kCgroup,
  kTcp,
  kTcp6,
  kUdp,
  kUdp6,
  kUdplite,
  kRaw,
  kRaw6,
  kUnix,
  kNetlink,
  kPacket,
  kCmdline,
  kSyscall,
  kIo,
  kReadlink,
  kMountinfo,
  kFanotify,
  kCount
};

bool Contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

void Stat(std::string_view text) {
  const auto f = ParseStat(text);
  // comm runs from the first '(' to the last ')', so it is inside the text.
  if (f && !Contains(text, "(" + f->comm + ")")) __builtin_trap();
}

void Cgroup(std::string_view text) {
  const CgroupInfo info = ParseCgroup(text);
  if (info.path.empty() || (info.path != "/" && !Contains(text, info.path))) __builtin_trap();
  if (!Contains(text, info.container_id)) __builtin_trap();
}

void Sockets(Parser which, std::string_view text) {
  std::vector<SocketEntry> out;
  switch (which) {
    case kTcp: ParseInetSockets(text, AF_INET, IPPROTO_TCP, out); break;
    case kTcp6: ParseInetSockets(text, AF_INET6, IPPROTO_TCP, out); break;
    case kUdp: ParseInetSockets(text, AF_INET, IPPROTO_UDP, out); break;
    case kUdp6: ParseInetSockets(text, AF_INET6, IPPROTO_UDP, out); break;
    case kUdplite: ParseInetSockets(text, AF_INET, IPPROTO_UDPLITE, out); break;
    case kRaw: ParseInetSockets(text, AF_INET, IPPROTO_RAW, out); break;
    case kRaw6: ParseInetSockets(text, AF_INET6, IPPROTO_RAW, out); break;
    case kUnix: ParseUnixSockets(text, out); break;
    case kNetlink: ParseNetlinkSockets(text, out); break;
    default: ParsePacketSockets(text, out); break;
  }
  for (const SocketEntry& e : out) {
    if (e.protocol_name.empty() && e.family != AF_NETLINK) __builtin_trap();
    if ((e.family == AF_INET || e.family == AF_INET6) &&
        (e.local_address.empty() || e.remote_address.empty())) {
      __builtin_trap();
    }
  }
}

// An address the parser decoded must be the one inet_pton reads back from its text.
void Address(std::string_view text) {
  for (const int family : {AF_INET, AF_INET6}) {
    const std::string hex(text.substr(0, family == AF_INET ? 8 : 32));
    const std::string addr = DecodeProcNetAddress(hex, family);
    if (addr.empty()) continue;
    uint32_t words[4] = {};
    if (inet_pton(family, addr.c_str(), words) != 1) __builtin_trap();
    for (size_t i = 0; i < (family == AF_INET ? 1u : 4u); ++i) {
      uint32_t expected = 0;
      if (!ParseInt(std::string_view(hex).substr(i * 8, 8), expected, 16) || words[i] != expected) {
        __builtin_trap();
      }
    }
  }
}

void Cmdline(std::string_view text) {
  const std::vector<std::string> argv = SplitCmdline(text);
  // The arguments joined with NULs are the text without its final NUL.
  std::string joined;
  for (size_t i = 0; i < argv.size(); ++i) {
    if (i) joined.push_back('\0');
    joined += argv[i];
  }
  std::string_view expected = text;
  if (!expected.empty() && expected.back() == '\0') expected.remove_suffix(1);
  if (joined != expected) __builtin_trap();
  if (JoinArgv(argv).size() != joined.size()) __builtin_trap();
}

void Readlink(std::string_view text) {
  for (const std::string_view prefix : {"socket:", "pipe:", "net:", "pid:", "anon_inode:"}) {
    uint64_t inode = 0;
    if (ParseBracketInode(text, prefix, inode) &&
        std::to_string(inode).size() > text.size() - prefix.size()) {
      __builtin_trap();
    }
  }
  FieldCursor fields(text);
  while (!fields.Next().empty()) {
  }
  (void)Trim(text);
}

void Mountinfo(std::string_view text) {
  // Unescaping only ever shortens a field.
  if (acct::UnescapeMountinfo(text).size() > text.size()) __builtin_trap();
  size_t lines = 0;
  for (std::string_view line : Lines(text)) {
    (void)line;
    ++lines;
  }
  if (acct::MountPoints(text).size() > lines) __builtin_trap();
}

void Fanotify(std::span<const uint8_t> bytes) {
  const auto events = acct::WalkFanotifyEvents(bytes);
  // Each event takes at least its metadata header.
  if (events.size() * sizeof(fanotify_event_metadata) > bytes.size()) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const auto which = static_cast<Parser>(data[0] % kCount);
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (which) {
    case kStat: Stat(text); break;
    case kBootTime: (void)ParseBootTime(text); break;
    case kStatus: (void)ParseStatus(text); break;
    case kFdInfo: (void)ParseFdInfo(text); break;
    case kCgroup: Cgroup(text); break;
    case kTcp:
    case kTcp6:
    case kUdp:
    case kUdp6:
    case kUdplite:
    case kRaw:
    case kRaw6:
      Address(text);
      Sockets(which, text);
      break;
    case kUnix:
    case kNetlink:
    case kPacket: Sockets(which, text); break;
    case kCmdline: Cmdline(text); break;
    case kSyscall: (void)ParseSyscallFile(text); break;
    case kIo: (void)ParseIo(text); break;
    case kReadlink: Readlink(text); break;
    case kMountinfo: Mountinfo(text); break;
    case kFanotify: Fanotify({data + 1, size - 1}); break;
    case kCount: break;
  }
  return 0;
}
