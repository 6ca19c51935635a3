// src/audit/record_parser.h: record headers, fields, and the kernel's value encodings.
// Samples are real records (this machine's kernel 6.x, and the public corpora).
#include "audit/record_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace procaudit::audit {
namespace {

std::vector<std::pair<std::string, std::string>> Fields(std::string_view body) {
  std::vector<std::pair<std::string, std::string>> out;
  FieldIterator it(body);
  std::string_view name, value;
  while (it.Next(name, value)) out.emplace_back(name, value);
  return out;
}

TEST(ParseRecordHeader, SyscallRecord) {
  const auto h = ParseRecordHeader(
      "type=SYSCALL msg=audit(1682609045.526:29237): arch=c000003e syscall=56 success=yes");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->type, "SYSCALL");
  EXPECT_EQ(h->time_ms, 1682609045526);
  EXPECT_EQ(h->serial, 29237u);
  EXPECT_EQ(h->body, " arch=c000003e syscall=56 success=yes");
}

TEST(ParseRecordHeader, NodePrefixIsSkipped) {
  const auto h = ParseRecordHeader("node=work type=EXECVE msg=audit(1615114232.375:15558): argc=1");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->type, "EXECVE");
  EXPECT_EQ(h->serial, 15558u);
}

TEST(ParseRecordHeader, SerialAtTheTopOfTheRange) {
  const auto h = ParseRecordHeader("type=SYSCALL msg=audit(1492037298.883:4294967295): x=1");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->serial, 4294967295u);
}

TEST(ParseRecordHeader, UnknownTypeIsStillARecord) {
  const auto h = ParseRecordHeader("type=UNKNOWN[1334] msg=audit(1700000000.001:7): op=x");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->type, "UNKNOWN[1334]");
}

TEST(ParseRecordHeader, RejectsWhatIsNotARecord) {
  for (const char* line : {
           "# The script execution has been marked",
           "",
           "type=SYSCALL",
           "type=SYSCALL msg=audit(1682609045.526:29237",      // truncated in the header
           "type=SYSCALL msg=audit(1682609045:29237): a=1",     // no milliseconds
           "type=SYSCALL msg=audit(1682609045.52:29237): a=1",  // two-digit milliseconds
           "type=SYSCALL msg=audit(-1.000:1): a=1",
           "type=SYSCALL msg=audit(1.000:99999999999): a=1",  // serial beyond 32 bits
           "type=SYSCALL msg=audit(9749191661853391.000:1): a=1",  // found by the fuzzer: ms overflow
           "\x7f" "ELF\x02\x01\x01",
           "node=",
       }) {
    EXPECT_FALSE(ParseRecordHeader(line)) << line;
  }
}

TEST(FieldIterator, SplitsOnSpacesAndKeepsQuotes) {
  const auto f = Fields(R"( argc=3 a0="grep" a1="--color=auto")");
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[1].first, "a0");
  EXPECT_EQ(f[1].second, "\"grep\"");
  EXPECT_EQ(f[2].second, "\"--color=auto\"");
}

TEST(FieldIterator, StopsAtTheEnrichedSeparator) {
  const auto f = Fields("item=0 mode=0100755 cap_fver=0\x1dOUID=\"root\" OGID=\"root\"");
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[2].first, "cap_fver");
  EXPECT_EQ(f[2].second, "0");
}

TEST(FieldIterator, SingleQuotedValueMaySpanSpaces) {
  const auto f = Fields(" pid=1 msg='op=login acct=\"root\" res=success' x=2");
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[1].second, "'op=login acct=\"root\" res=success'");
  EXPECT_EQ(f[2].first, "x");
}

TEST(FieldIterator, BareWordsAreSkipped) {
  const auto f = Fields("audit_enabled=1 junk a=2");
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[1].first, "a");
}

TEST(DecodeUntrusted, QuotedIsLiteral) { EXPECT_EQ(DecodeUntrusted("\"/usr/bin/grep\""), "/usr/bin/grep"); }

TEST(DecodeUntrusted, HexDecodesToRawBytes) {
  // cwd "/tmp/procaudit-workload/procaudit dir é", as this kernel logged it.
  EXPECT_EQ(DecodeUntrusted("2F746D702064697220C3A9"), "/tmp dir \xc3\xa9");
  EXPECT_EQ(DecodeUntrusted("6E65770A6C696E65"), "new\nline");
}

TEST(DecodeUntrusted, EmptyQuotedIsTheEmptyString) { EXPECT_EQ(DecodeUntrusted("\"\""), ""); }

TEST(DecodeUntrusted, AbsentMarkersAndBadHexAreNullopt) {
  EXPECT_FALSE(DecodeUntrusted("(null)"));
  EXPECT_FALSE(DecodeUntrusted("(none)"));
  EXPECT_FALSE(DecodeUntrusted(""));
  EXPECT_FALSE(DecodeUntrusted("ABC"));   // odd length
  EXPECT_FALSE(DecodeUntrusted("ZZ"));    // not hex
}

}  // namespace
}  // namespace procaudit::audit
