#include "netlink/netlink_source.h"

#include <gtest/gtest.h>
#include <libaudit.h>

namespace procaudit::netlink {
namespace {

TEST(AppendRecordLine, WritesTheLineAuditdWouldLog) {
  std::string out;
  // Payload as the kernel sends it (captured on Linux 6.x), with its trailing NUL.
  const std::string payload =
      std::string("audit(1795259614.136:137352): argc=2 a0=\"/bin/true\" a1=\"marker0\"") + '\0';
  ASSERT_TRUE(AppendRecordLine(AUDIT_EXECVE, payload, out));
  EXPECT_EQ(out, "type=EXECVE msg=audit(1795259614.136:137352): argc=2 a0=\"/bin/true\" a1=\"marker0\"\n");
}

TEST(AppendRecordLine, NamesUnknownTypesAsAuditdDoes) {
  std::string out;
  ASSERT_TRUE(AppendRecordLine(2999, "audit(1.000:1): x=1", out));
  EXPECT_EQ(out, "type=UNKNOWN[2999] msg=audit(1.000:1): x=1\n");
}

TEST(AppendRecordLine, SkipsRepliesAndEmptyMessages) {
  std::string out = "kept";
  EXPECT_FALSE(AppendRecordLine(AUDIT_GET, "status", out));
  EXPECT_FALSE(AppendRecordLine(2 /* NLMSG_ERROR */, "ack", out));
  EXPECT_FALSE(AppendRecordLine(AUDIT_SYSCALL, std::string(3, '\0'), out));
  EXPECT_EQ(out, "kept");
}

TEST(AppendRecordLine, KeepsEndOfEventSoEventsCompleteAtOnce) {
  std::string out;
  ASSERT_TRUE(AppendRecordLine(AUDIT_EOE, std::string("audit(1.000:1): ") + '\0', out));
  EXPECT_EQ(out, "type=EOE msg=audit(1.000:1): \n");
}

TEST(AppendRecordLine, OneRecordIsOneLineWhateverItHolds) {
  std::string out;
  const std::string payload = std::string("audit(1.000:2): msg='a\nb") + '\0' + "c'\n";
  ASSERT_TRUE(AppendRecordLine(AUDIT_USER_CMD, payload, out));
  EXPECT_EQ(out, "type=USER_CMD msg=audit(1.000:2): msg='a b c'\n");
}

}  // namespace
}  // namespace procaudit::netlink
