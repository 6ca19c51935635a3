// src/proc/net_parser.h: the socket tables under /proc/<pid>/net/. The samples were
// captured on Linux 6.18 with these sockets open: TCP 127.0.0.1:8080 listening with one
// connection to it, TCP [::]:8443 listening with a v4-mapped connection from 127.0.0.1,
// TCP [::1]:9000 listening, UDP 0.0.0.0:5353 and [::1]:5354, raw ICMP and ICMPv6, a
// listening unix socket "/tmp/samples/my socket.sock" with one connection, an abstract
// "@procaudit-abstract" datagram socket, an unbound seqpacket socket, netlink audit and
// route sockets, and packet sockets (SOCK_RAW ETH_P_ALL, SOCK_DGRAM ETH_P_IP).
#include "proc/net_parser.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <string>
#include <vector>

namespace procaudit {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Captured: /proc/net/tcp.
constexpr char kTcp[] =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   "
    "uid  timeout inode                                                     \n"
    "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     "
    "0        0 10953 1 0000000097a28651 100 0 0 10 0                     \n"
    "   1: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     "
    "0        0 1679 1 000000009439fa67 100 0 0 10 0                      \n"
    "   2: 0100007F:B1B4 0100007F:20FB 01 00000000:00000000 00:00000000 00000000     "
    "0        0 10957 2 000000000dba310f 20 0 0 10 -1                     \n"
    "   3: 0100007F:BE58 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     "
    "0        0 10954 2 000000004bb30225 20 0 0 10 -1                     \n"
    "   4: 0100007F:1F90 0100007F:BE58 01 00000000:00000000 00:00000000 00000000     "
    "0        0 10955 1 0000000091c68d3d 20 0 0 10 -1                     \n";

// Captured: /proc/net/tcp6.
constexpr char kTcp6[] =
    "  sl  local_address                         remote_address                      "
    "  st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    "   0: 00000000000000000000000000000000:20FB "
    "00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000 "
    "    0        0 10956 1 00000000ee3ec08b 100 0 0 10 0\n"
    "   1: 00000000000000000000000001000000:2328 "
    "00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000 "
    "    0        0 10959 1 00000000e181163b 100 0 0 10 0\n"
    "   2: 0000000000000000FFFF00000100007F:20FB "
    "0000000000000000FFFF00000100007F:B1B4 01 00000000:00000000 00:00000000 00000000 "
    "    0        0 10958 1 00000000e3a4bb33 20 0 0 10 -1\n";

// Captured: /proc/net/udp.
constexpr char kUdp[] =
    "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   "
    "uid  timeout inode ref pointer drops            \n"
    " 3298: 00000000:14E9 00000000:0000 07 00000000:00000000 00:00000000 00000000    "
    " 0        0 10960 2 00000000cbc7689b 0         \n";

// Captured: /proc/net/udp6.
constexpr char kUdp6[] =
    "  sl  local_address                         remote_address                      "
    "  st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer "
    "drops\n"
    " 3299: 00000000000000000000000001000000:14EA "
    "00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000 "
    "    0        0 10961 2 00000000e5805056 0\n";

// Captured: /proc/net/raw.
constexpr char kRaw[] =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   "
    "uid  timeout inode ref pointer drops\n"
    " 205: 00000000:0001 00000000:0000 07 00000000:00000000 00:00000000 00000000     "
    "0        0 10962 2 00000000390f4401 0\n";

// Captured: /proc/net/raw6.
constexpr char kRaw6[] =
    "  sl  local_address                         remote_address                      "
    "  st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer "
    "drops\n"
    "  143: 00000000000000000000000000000000:003A "
    "00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000 "
    "    0        0 10963 2 0000000050942e78 0\n";

// Captured: /proc/net/unix.
constexpr char kUnix[] =
    "Num       RefCount Protocol Flags    Type St Inode Path\n"
    "0000000046cf0968: 00000002 00000000 00000000 0005 01 10968\n"
    "000000000e900da3: 00000003 00000000 00000000 0001 03 10966 /tmp/samples/my "
    "socket.sock\n"
    "00000000b30607ba: 00000003 00000000 00000000 0001 03  1675\n"
    "0000000004237849: 00000003 00000000 00000000 0001 03  1676\n"
    "00000000a556f32c: 00000002 00000000 00010000 0001 01 10964 /tmp/samples/my "
    "socket.sock\n"
    "00000000625a9e30: 00000003 00000000 00000000 0001 03 10965\n"
    "000000007ccae87e: 00000002 00000000 00000000 0002 01 10967 @procaudit-abstract\n";

// Captured: /proc/net/netlink.
constexpr char kNetlink[] =
    "sk               Eth Pid        Groups   Rmem     Wmem     Dump  Locks    Drops "
    "   Inode\n"
    "00000000d34f7ed9 0   5131       00000000 0        0        0     2        0     "
    "   10970   \n"
    "0000000037bf42d8 0   0          00000000 0        0        0     2        0     "
    "   4       \n"
    "00000000bb791f12 4   0          00000000 0        0        0     2        0     "
    "   1588    \n"
    "000000009d25406e 6   0          00000000 0        0        0     2        0     "
    "   1590    \n"
    "0000000054550c04 7   0          00000000 0        0        0     2        0     "
    "   1202    \n"
    "00000000628a5ed2 9   5131       00000000 0        0        0     2        0     "
    "   10969   \n"
    "00000000683a596d 9   0          00000000 0        0        0     2        0     "
    "   6       \n"
    "00000000503ba63b 10  0          00000000 0        0        0     2        0     "
    "   15      \n"
    "00000000e6c99bbe 11  0          00000000 0        0        0     2        0     "
    "   1026    \n"
    "000000007c857eb4 12  0          00000000 0        0        0     2        0     "
    "   1589    \n"
    "000000001083449a 15  0          00000000 0        0        0     2        0     "
    "   8       \n"
    "00000000e39c07ae 16  0          00000000 0        0        0     2        0     "
    "   5       \n";

// Captured: /proc/net/packet.
constexpr char kPacket[] =
    "sk               RefCnt Type Proto  Iface R Rmem   User   Inode\n"
    "00000000774eec1b 3      3    0003   0     1 0      0      10971 \n"
    "0000000044f6ed29 3      2    0800   0     1 0      0      10972 \n";

const SocketEntry* FindInode(const std::vector<SocketEntry>& v, uint64_t inode) {
  for (const auto& e : v) {
    if (e.inode == inode) return &e;
  }
  return nullptr;
}

std::vector<uint64_t> Inodes(const std::vector<SocketEntry>& v) {
  std::vector<uint64_t> out;
  for (const auto& e : v) out.push_back(e.inode);
  return out;
}

// --- DecodeProcNetAddress -------------------------------------------------------------

TEST(DecodeProcNetAddressTest, Ipv4LoopbackIsInHostByteOrder) {
  EXPECT_EQ(DecodeProcNetAddress("0100007F", AF_INET), "127.0.0.1");
}

TEST(DecodeProcNetAddressTest, Ipv4AnyAndOrdinaryAddress) {
  EXPECT_EQ(DecodeProcNetAddress("00000000", AF_INET), "0.0.0.0");
  EXPECT_EQ(DecodeProcNetAddress("0F02000A", AF_INET), "10.0.2.15");
  EXPECT_EQ(DecodeProcNetAddress("0f02000a", AF_INET), "10.0.2.15");  // lower case too
}

TEST(DecodeProcNetAddressTest, Ipv6LoopbackAndAny) {
  EXPECT_EQ(DecodeProcNetAddress("00000000000000000000000001000000", AF_INET6), "::1");
  EXPECT_EQ(DecodeProcNetAddress("00000000000000000000000000000000", AF_INET6), "::");
}

TEST(DecodeProcNetAddressTest, Ipv6V4Mapped) {
  EXPECT_EQ(DecodeProcNetAddress("0000000000000000FFFF00000100007F", AF_INET6), "::ffff:127.0.0.1");
}

TEST(DecodeProcNetAddressTest, Ipv6EachWordInHostOrder) {
  // 2001:db8::1 and fe80::1.
  EXPECT_EQ(DecodeProcNetAddress("B80D0120000000000000000001000000", AF_INET6), "2001:db8::1");
  EXPECT_EQ(DecodeProcNetAddress("000080FE000000000000000001000000", AF_INET6), "fe80::1");
}

TEST(DecodeProcNetAddressTest, WrongLengthGivesEmpty) {
  EXPECT_EQ(DecodeProcNetAddress("", AF_INET), "");
  EXPECT_EQ(DecodeProcNetAddress("0100007", AF_INET), "");
  EXPECT_EQ(DecodeProcNetAddress("0100007F0", AF_INET), "");
  EXPECT_EQ(DecodeProcNetAddress("0100007F", AF_INET6), "");
  EXPECT_EQ(DecodeProcNetAddress("00000000000000000000000001000000", AF_INET), "");
}

TEST(DecodeProcNetAddressTest, NonHexGivesEmpty) {
  EXPECT_EQ(DecodeProcNetAddress("0100007G", AF_INET), "");
  EXPECT_EQ(DecodeProcNetAddress("-100007F", AF_INET), "");
  EXPECT_EQ(DecodeProcNetAddress("+100007F", AF_INET), "");
  EXPECT_EQ(DecodeProcNetAddress("0000000000000000FFFF0000010000ZZ", AF_INET6), "");
}

TEST(DecodeProcNetAddressTest, UnsupportedFamilyGivesEmpty) {
  EXPECT_EQ(DecodeProcNetAddress("0100007F", AF_UNIX), "");
}

// --- TcpStateName -----------------------------------------------------------------------

TEST(TcpStateNameTest, NamesAsTheKernelNumbersThem) {
  EXPECT_EQ(TcpStateName(0x01), "ESTABLISHED");
  EXPECT_EQ(TcpStateName(0x02), "SYN_SENT");
  EXPECT_EQ(TcpStateName(0x03), "SYN_RECV");
  EXPECT_EQ(TcpStateName(0x04), "FIN_WAIT1");
  EXPECT_EQ(TcpStateName(0x05), "FIN_WAIT2");
  EXPECT_EQ(TcpStateName(0x06), "TIME_WAIT");
  EXPECT_EQ(TcpStateName(0x07), "CLOSE");
  EXPECT_EQ(TcpStateName(0x08), "CLOSE_WAIT");
  EXPECT_EQ(TcpStateName(0x09), "LAST_ACK");
  EXPECT_EQ(TcpStateName(0x0A), "LISTEN");
  EXPECT_EQ(TcpStateName(0x0B), "CLOSING");
  EXPECT_EQ(TcpStateName(0x0C), "NEW_SYN_RECV");
}

TEST(TcpStateNameTest, OutOfRangeIsEmpty) {
  EXPECT_EQ(TcpStateName(0), "");
  EXPECT_EQ(TcpStateName(-1), "");
  EXPECT_EQ(TcpStateName(0x0E), "");
  EXPECT_EQ(TcpStateName(255), "");
}

// --- ParseInetSockets --------------------------------------------------------------------

TEST(ParseInetSocketsTest, RealTcpTableEveryRow) {
  std::vector<SocketEntry> out;
  ParseInetSockets(kTcp, AF_INET, IPPROTO_TCP, out);
  ASSERT_THAT(Inodes(out), ElementsAre(10953u, 1679u, 10957u, 10954u, 10955u));
  for (const auto& e : out) {
    EXPECT_EQ(e.family, AF_INET);
    EXPECT_EQ(e.protocol, IPPROTO_TCP);
    EXPECT_EQ(e.protocol_name, "tcp");
    EXPECT_EQ(e.unix_path, "");
  }
}

TEST(ParseInetSocketsTest, Ipv4LoopbackListenerOnPort8080) {
  std::vector<SocketEntry> out;
  ParseInetSockets(kTcp, AF_INET, IPPROTO_TCP, out);
  const SocketEntry* e = FindInode(out, 10953);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->local_address, "127.0.0.1");
  EXPECT_EQ(e->local_port, 8080);
  EXPECT_EQ(e->remote_address, "0.0.0.0");
  EXPECT_EQ(e->remote_port, 0);
  EXPECT_EQ(e->state, "LISTEN");
}

TEST(ParseInetSocketsTest, Ipv4WildcardListener) {
  std::vector<SocketEntry> out;
  ParseInetSockets(kTcp, AF_INET, IPPROTO_TCP, out);
  const SocketEntry* e = FindInode(out, 1679);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->local_address, "0.0.0.0");
  EXPECT_EQ(e->local_port, 2024);
  EXPECT_EQ(e->state, "LISTEN");
}

TEST(ParseInetSocketsTest, EstablishedConnectionBothEnds) {
  std::vector<SocketEntry> out;
  ParseInetSockets(kTcp, AF_INET, IPPROTO_TCP, out);
  const SocketEntry* client = FindInode(out, 10954);
  const SocketEntry* server = FindInode(out, 10955);
  ASSERT_NE(client, nullptr);
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(client->local_port, 48728);
  EXPECT_EQ(client->remote_address, "127.0.0.1");
  EXPECT_EQ(client->remote_port, 8080);
  EXPECT_EQ(client->state, "ESTABLISHED");
  EXPECT_EQ(server->local_port, 8080);
  EXPECT_EQ(server->remote_port, 48728);
  EXPECT_EQ(server->state, "ESTABLISHED");
}

TEST(ParseInetSocketsTest, Tcp6WildcardLoopbackAndV4MappedRows) {
  std::vector<SocketEntry> out;
  ParseInetSockets(kTcp6, AF_INET6, IPPROTO_TCP, out);
  ASSERT_THAT(Inodes(out), ElementsAre(10956u, 10959u, 10958u));
  EXPECT_EQ(out[0].family, AF_INET6);
  EXPECT_EQ(out[0].local_address, "::");
  EXPECT_EQ(out[0].local_port, 8443);
  EXPECT_EQ(out[0].state, "LISTEN");
  EXPECT_EQ(out[1].local_address, "::1");
  EXPECT_EQ(out[1].local_port, 9000);
  EXPECT_EQ(out[1].remote_address, "::");
  EXPECT_EQ(out[2].local_address, "::ffff:127.0.0.1");
  EXPECT_EQ(out[2].local_port, 8443);
  EXPECT_EQ(out[2].remote_address, "::ffff:127.0.0.1");
  EXPECT_EQ(out[2].remote_port, 45492);
  EXPECT_EQ(out[2].state, "ESTABLISHED");
}

TEST(ParseInetSocketsTest, UdpHasNoStateName) {
  std::vector<SocketEntry> out;
  ParseInetSockets(kUdp, AF_INET, IPPROTO_UDP, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].inode, 10960u);
  EXPECT_EQ(out[0].protocol, IPPROTO_UDP);
  EXPECT_EQ(out[0].protocol_name, "udp");
  EXPECT_EQ(out[0].local_address, "0.0.0.0");
  EXPECT_EQ(out[0].local_port, 5353);
  EXPECT_EQ(out[0].state, "");  // 07 is CLOSE for TCP; UDP states are not named
}

TEST(ParseInetSocketsTest, Udp6Loopback) {
  std::vector<SocketEntry> out;
  ParseInetSockets(kUdp6, AF_INET6, IPPROTO_UDP, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].inode, 10961u);
  EXPECT_EQ(out[0].family, AF_INET6);
  EXPECT_EQ(out[0].local_address, "::1");
  EXPECT_EQ(out[0].local_port, 5354);
}

TEST(ParseInetSocketsTest, UdpliteProtocolName) {
  std::vector<SocketEntry> out;
  ParseInetSockets(kUdp, AF_INET, IPPROTO_UDPLITE, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].protocol, IPPROTO_UDPLITE);
  EXPECT_EQ(out[0].protocol_name, "udplite");
  EXPECT_EQ(out[0].local_port, 5353);
}

TEST(ParseInetSocketsTest, RawSocketPortColumnIsTheIpProtocol) {
  std::vector<SocketEntry> out;
  ParseInetSockets(kRaw, AF_INET, IPPROTO_RAW, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].inode, 10962u);
  EXPECT_EQ(out[0].protocol, IPPROTO_ICMP);
  EXPECT_EQ(out[0].protocol_name, "raw");
  EXPECT_EQ(out[0].local_port, 0);
  EXPECT_EQ(out[0].remote_port, 0);
  EXPECT_EQ(out[0].local_address, "0.0.0.0");
  EXPECT_EQ(out[0].state, "");
}

TEST(ParseInetSocketsTest, Raw6Icmpv6) {
  std::vector<SocketEntry> out;
  ParseInetSockets(kRaw6, AF_INET6, IPPROTO_RAW, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].inode, 10963u);
  EXPECT_EQ(out[0].protocol, IPPROTO_ICMPV6);
  EXPECT_EQ(out[0].protocol_name, "raw");
  EXPECT_EQ(out[0].local_address, "::");
  EXPECT_EQ(out[0].local_port, 0);
}

TEST(ParseInetSocketsTest, HeaderOnlyGivesNothing) {
  std::vector<SocketEntry> out;
  ParseInetSockets(
      "  sl  local_address                         remote_address                        st "
      "tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n",
      AF_INET6, IPPROTO_TCP, out);
  EXPECT_THAT(out, IsEmpty());
  ParseInetSockets("", AF_INET, IPPROTO_TCP, out);
  EXPECT_THAT(out, IsEmpty());
}

TEST(ParseInetSocketsTest, AppendsToExistingEntries) {
  std::vector<SocketEntry> out;
  ParseInetSockets(kTcp, AF_INET, IPPROTO_TCP, out);
  ParseInetSockets(kTcp6, AF_INET6, IPPROTO_TCP, out);
  EXPECT_EQ(out.size(), 8u);
}

TEST(ParseInetSocketsTest, MalformedLinesSkippedNotCrashing) {
  const std::string text =
      std::string(kTcp).substr(0, std::string(kTcp).find('\n') + 1) +  // header
      "\n"
      "garbage\n"
      "   9:\n"
      "   9: 0100007F:1F90\n"                // truncated
      "   9: 0100007F:1F90 00000000:0000\n"  // no state
      "   9 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 7\n"
      "   9: 0100007F1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 7\n"
      "   9: 100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 7\n"
      "   9: 0100007F:XYZ 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 7\n"
      "   9: 0100007F:1F90 00000000:0000 QQ 00000000:00000000 00:00000000 00000000 0 0 7\n"
      "   9: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0\n"
      "   9: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 x\n"
      "   9: 00000000000000000000000001000000:2328 00000000000000000000000000000000:0000 0A "
      "00000000:00000000 00:00000000 00000000     0        0 77 1 0 100 0 0 10 0\n"  // v6 in v4
      "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0   "
      "     0 10953 1 0000000097a28651 100 0 0 10 0\n";
  std::vector<SocketEntry> out;
  ParseInetSockets(text, AF_INET, IPPROTO_TCP, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].inode, 10953u);
  EXPECT_EQ(out[0].local_port, 8080);
}

// --- ParseUnixSockets --------------------------------------------------------------------

TEST(ParseUnixSocketsTest, RealTableEveryRow) {
  std::vector<SocketEntry> out;
  ParseUnixSockets(kUnix, out);
  ASSERT_THAT(Inodes(out), ElementsAre(10968u, 10966u, 1675u, 1676u, 10964u, 10965u, 10967u));
  for (const auto& e : out) {
    EXPECT_EQ(e.family, AF_UNIX);
    EXPECT_EQ(e.protocol, 0);
  }
}

TEST(ParseUnixSocketsTest, ListeningFlagGivesListenWithPathContainingSpace) {
  std::vector<SocketEntry> out;
  ParseUnixSockets(kUnix, out);
  const SocketEntry* e = FindInode(out, 10964);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->state, "LISTEN");  // flags 00010000, though St is 01
  EXPECT_EQ(e->protocol_name, "stream");
  EXPECT_EQ(e->unix_path, "/tmp/samples/my socket.sock");
}

TEST(ParseUnixSocketsTest, AcceptedConnectionCarriesListenerPath) {
  std::vector<SocketEntry> out;
  ParseUnixSockets(kUnix, out);
  const SocketEntry* e = FindInode(out, 10966);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->state, "CONNECTED");
  EXPECT_EQ(e->unix_path, "/tmp/samples/my socket.sock");
}

TEST(ParseUnixSocketsTest, ConnectedWithoutPath) {
  std::vector<SocketEntry> out;
  ParseUnixSockets(kUnix, out);
  const SocketEntry* e = FindInode(out, 1675);  // inode padded: " 1675"
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->state, "CONNECTED");
  EXPECT_EQ(e->unix_path, "");
  EXPECT_EQ(e->protocol_name, "stream");
}

TEST(ParseUnixSocketsTest, AbstractNameStartsWithAt) {
  std::vector<SocketEntry> out;
  ParseUnixSockets(kUnix, out);
  const SocketEntry* e = FindInode(out, 10967);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->unix_path, "@procaudit-abstract");
  EXPECT_EQ(e->protocol_name, "dgram");
  EXPECT_EQ(e->state, "UNCONNECTED");
}

TEST(ParseUnixSocketsTest, UnboundSeqpacket) {
  std::vector<SocketEntry> out;
  ParseUnixSockets(kUnix, out);
  const SocketEntry* e = FindInode(out, 10968);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->protocol_name, "seqpacket");
  EXPECT_EQ(e->state, "UNCONNECTED");
  EXPECT_EQ(e->unix_path, "");
}

TEST(ParseUnixSocketsTest, ConnectingAndDisconnectingStatesAndUnknownType) {
  std::vector<SocketEntry> out;
  ParseUnixSockets(
      "Num       RefCount Protocol Flags    Type St Inode Path\n"
      "0000000000000001: 00000002 00000000 00000000 0001 02 501\n"
      "0000000000000002: 00000002 00000000 00000000 0001 04 502\n"
      "0000000000000003: 00000002 00000000 00000000 0009 01 503\n",
      out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].state, "CONNECTING");
  EXPECT_EQ(out[1].state, "DISCONNECTING");
  EXPECT_EQ(out[2].protocol_name, "unknown");
}

TEST(ParseUnixSocketsTest, AbstractNameWithEmbeddedNulShownAsAt) {
  // Captured: bind("\0with\0nul"); the kernel prints each NUL as '@'.
  std::vector<SocketEntry> out;
  ParseUnixSockets(
      "Num       RefCount Protocol Flags    Type St Inode Path\n"
      "000000004de89ecb: 00000002 00000000 00000000 0002 01 32182 @with@nul\n",
      out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].unix_path, "@with@nul");
}

// The kernel writes exactly one space after the inode, then the path bytes up to the
// newline (net/unix/af_unix.c, unix_seq_show). Paths may end, or begin, with spaces.
TEST(ParseUnixSocketsTest, TrailingSpacesOfBoundPathAreKept) {
  // Captured: bind("/tmp/samples/trail ") and bind("\0abs  ").
  std::vector<SocketEntry> out;
  ParseUnixSockets(
      "Num       RefCount Protocol Flags    Type St Inode Path\n"
      "0000000061ac855d: 00000002 00000000 00000000 0001 01 32180 /tmp/samples/trail \n"
      "000000009b5a2985: 00000002 00000000 00000000 0002 01 32181 @abs  \n",
      out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].unix_path, "/tmp/samples/trail ");
  EXPECT_EQ(out[1].unix_path, "@abs  ");
}

TEST(ParseUnixSocketsTest, LeadingSpaceOfRelativeBoundPathIsKept) {
  // Captured: chdir("/tmp/samples"); bind(" lead"). The path is " lead", after the one
  // separating space.
  std::vector<SocketEntry> out;
  ParseUnixSockets(
      "Num       RefCount Protocol Flags    Type St Inode Path\n"
      "0000000061ec06d0: 00000002 00000000 00000000 0001 01 32183  lead\n",
      out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].unix_path, " lead");
}

TEST(ParseUnixSocketsTest, MalformedLinesSkippedNotCrashing) {
  std::vector<SocketEntry> out;
  ParseUnixSockets(
      "Num       RefCount Protocol Flags    Type St Inode Path\n"
      "\n"
      "garbage\n"
      "0000000046cf0968: 00000002 00000000\n"
      "0000000046cf0968: 00000002 00000000 0001000G 0005 01 10968\n"
      "0000000046cf0968: 00000002 00000000 00000000 0005 01 inode\n"
      "0000000046cf0968: 00000002 00000000 00000000 0005 01\n"
      "00000000625a9e30: 00000003 00000000 00000000 0001 03 10965\n",
      out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].inode, 10965u);
}

// --- ParseNetlinkSockets ------------------------------------------------------------------

TEST(ParseNetlinkSocketsTest, RealTableEveryRow) {
  std::vector<SocketEntry> out;
  ParseNetlinkSockets(kNetlink, out);
  ASSERT_THAT(Inodes(out),
              ElementsAre(10970u, 4u, 1588u, 1590u, 1202u, 10969u, 6u, 15u, 1026u, 1589u, 8u, 5u));
  for (const auto& e : out) EXPECT_EQ(e.family, AF_NETLINK);
}

TEST(ParseNetlinkSocketsTest, AuditSocketBoundToOwnerPid) {
  std::vector<SocketEntry> out;
  ParseNetlinkSockets(kNetlink, out);
  const SocketEntry* e = FindInode(out, 10969);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->protocol, NETLINK_AUDIT);
  EXPECT_EQ(e->protocol_name, "audit");
  EXPECT_EQ(e->local_port, 5131);
}

TEST(ParseNetlinkSocketsTest, RouteSocketAndKernelSideSockets) {
  std::vector<SocketEntry> out;
  ParseNetlinkSockets(kNetlink, out);
  const SocketEntry* route = FindInode(out, 10970);
  ASSERT_NE(route, nullptr);
  EXPECT_EQ(route->protocol, NETLINK_ROUTE);
  EXPECT_EQ(route->protocol_name, "route");
  EXPECT_EQ(route->local_port, 5131);
  const SocketEntry* kernel_route = FindInode(out, 4);
  ASSERT_NE(kernel_route, nullptr);
  EXPECT_EQ(kernel_route->local_port, 0);
}

TEST(ParseNetlinkSocketsTest, ProtocolNamesFollowLinuxNetlinkH) {
  std::vector<SocketEntry> out;
  ParseNetlinkSockets(kNetlink, out);
  EXPECT_EQ(FindInode(out, 1588)->protocol_name, "sock_diag");    // 4
  EXPECT_EQ(FindInode(out, 1590)->protocol_name, "xfrm");         // 6
  EXPECT_EQ(FindInode(out, 1202)->protocol_name, "selinux");      // 7
  EXPECT_EQ(FindInode(out, 15)->protocol_name, "fib_lookup");     // 10
  EXPECT_EQ(FindInode(out, 1026)->protocol_name, "connector");    // 11
  EXPECT_EQ(FindInode(out, 1589)->protocol_name, "netfilter");    // 12
  EXPECT_EQ(FindInode(out, 8)->protocol_name, "kobject_uevent");  // 15
  EXPECT_EQ(FindInode(out, 5)->protocol_name, "generic");         // 16
  EXPECT_EQ(FindInode(out, 8)->protocol, NETLINK_KOBJECT_UEVENT);
  EXPECT_EQ(FindInode(out, 5)->protocol, NETLINK_GENERIC);
}

TEST(ParseNetlinkSocketsTest, HighAndUnknownProtocolNumbers) {
  std::vector<SocketEntry> out;
  ParseNetlinkSockets(
      "sk               Eth Pid        Groups   Rmem     Wmem     Dump  Locks    Drops    Inode\n"
      "0000000000000001 18  0          00000000 0        0        0     2        0        101\n"
      "0000000000000002 21  0          00000000 0        0        0     2        0        102\n"
      "0000000000000003 22  0          00000000 0        0        0     2        0        103\n"
      "0000000000000004 17  0          00000000 0        0        0     2        0        104\n"
      "0000000000000005 31  0          00000000 0        0        0     2        0        105\n",
      out);
  ASSERT_EQ(out.size(), 5u);
  EXPECT_EQ(out[0].protocol_name, "scsitransport");
  EXPECT_EQ(out[1].protocol_name, "crypto");
  EXPECT_EQ(out[2].protocol_name, "smc");
  EXPECT_EQ(out[3].protocol_name, "");  // 17 has no name in linux/netlink.h
  EXPECT_EQ(out[4].protocol, 31);
  EXPECT_EQ(out[4].protocol_name, "");
}

TEST(ParseNetlinkSocketsTest, MalformedLinesSkippedNotCrashing) {
  std::vector<SocketEntry> out;
  ParseNetlinkSockets(
      "sk               Eth Pid        Groups   Rmem     Wmem     Dump  Locks    Drops    Inode\n"
      "\n"
      "0000000037bf42d8 x   0          00000000 0        0        0     2        0        4\n"
      "0000000037bf42d8 0   0          00000000 0        0        0     2        0\n"
      "0000000037bf42d8 0   0          00000000 0        0        0     2        0        ?\n"
      "00000000e39c07ae 16  0          00000000 0        0        0     2        0        5\n",
      out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].inode, 5u);
}

// --- ParsePacketSockets -----------------------------------------------------------------

TEST(ParsePacketSocketsTest, RawAndDgramWithHexEthertype) {
  std::vector<SocketEntry> out;
  ParsePacketSockets(kPacket, out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].family, AF_PACKET);
  EXPECT_EQ(out[0].inode, 10971u);
  EXPECT_EQ(out[0].protocol_name, "raw");
  EXPECT_EQ(out[0].protocol, 0x0003);  // ETH_P_ALL
  EXPECT_EQ(out[1].inode, 10972u);
  EXPECT_EQ(out[1].protocol_name, "dgram");
  EXPECT_EQ(out[1].protocol, 0x0800);  // ETH_P_IP
}

TEST(ParsePacketSocketsTest, MalformedLinesSkippedNotCrashing) {
  std::vector<SocketEntry> out;
  ParsePacketSockets(
      "sk               RefCnt Type Proto  Iface R Rmem   User   Inode\n"
      "00000000774eec1b 3      x    0003   0     1 0      0      10971\n"
      "00000000774eec1b 3      3    00G3   0     1 0      0      10971\n"
      "00000000774eec1b 3      3    0003   0     1 0      0\n"
      "\n"
      "0000000044f6ed29 3      2    0800   0     1 0      0      10972 \n",
      out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].inode, 10972u);
}

}  // namespace
}  // namespace procaudit
