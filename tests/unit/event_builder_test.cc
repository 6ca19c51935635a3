// src/audit/event_builder.h on real events: the public corpora (laurel, go-libaudit) and this
// machine's recorded workload (tests/fixtures/audit).
#include "audit/event_builder.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "audit/record_parser.h"

namespace procaudit::audit {
namespace {

std::string ReadFixture(const std::string& relative) {
  std::ifstream in(std::string(PROCAUDIT_SOURCE_DIR) + "/tests/fixtures/" + relative,
                   std::ios::binary);
  EXPECT_TRUE(in) << relative;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The record lines of one event (by serial) in a log, in order.
std::vector<std::string> EventLines(const std::string& log, uint32_t serial) {
  std::vector<std::string> out;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    const auto h = ParseRecordHeader(line);
    if (h && h->serial == serial) out.push_back(line);
  }
  return out;
}

struct Built {
  BuildResult result;
  SyscallEvent ev;
  std::string error;
};

Built Build(const std::vector<std::string>& lines) {
  std::vector<std::string_view> views(lines.begin(), lines.end());
  Built b;
  b.result = BuildSyscallEvent(views, &b.ev, &b.error);
  return b;
}

TEST(BuildSyscallEvent, LaurelLongExecveArgvIsExact) {
  // laurel's expected output: ARGV = ["/bin/echo", "baaa...a" 8192 bytes... ]; the argument is
  // split over three EXECVE records as a1[0..2], hex, with a1_len=16384 hex digits.
  const Built b = Build(EventLines(ReadFixture("public/laurel/record-execve-long.txt"), 21028));
  ASSERT_EQ(b.result, BuildResult::kProcessEvent);
  EXPECT_EQ(b.error, "");
  ASSERT_TRUE(b.ev.argv);
  ASSERT_EQ(b.ev.argv->size(), 2u);
  EXPECT_EQ((*b.ev.argv)[0], "/bin/echo");
  const std::string& a1 = (*b.ev.argv)[1];
  ASSERT_EQ(a1.size(), 8192u);
  EXPECT_EQ(a1.front(), 'b');
  EXPECT_EQ(a1.find_first_not_of("abcdefghijklmnopqrstuvwxyz"), std::string::npos);
  EXPECT_EQ(b.ev.syscall, ProcessSyscall::kExecve);
  EXPECT_EQ(b.ev.pid, 8832);
  EXPECT_EQ(b.ev.ppid, 10881);
  EXPECT_EQ(b.ev.cwd, "/tmp");
  EXPECT_EQ(b.ev.exe, "/usr/bin/echo");
  EXPECT_EQ(b.ev.exe_mode, 0100755u);
  EXPECT_EQ(b.ev.tty, "pts1");
  EXPECT_FALSE(b.ev.key);  // key=(null)
}

TEST(BuildSyscallEvent, LaurelExecveWithNodeAndEnrichedFields) {
  const Built b = Build(EventLines(ReadFixture("public/laurel/record-execve.txt"), 15558));
  ASSERT_EQ(b.result, BuildResult::kProcessEvent);
  EXPECT_EQ(*b.ev.argv, std::vector<std::string>{"whoami"});
  EXPECT_EQ(b.ev.cwd, "/home/user/tmp");
  EXPECT_EQ(b.ev.exe_ouid, 0u);  // raw ouid=0, not the enriched OUID="root"
  EXPECT_EQ(b.ev.arch, "x86_64");
  EXPECT_EQ(b.ev.time_ms, 1615114232375);
}

TEST(BuildSyscallEvent, HexEncodedExeIsDecoded) {
  // go-libaudit: exe=2F7573722F62696E2F707974686F6E322E37... "/usr/bin/python2.7;58d1ccfb (deleted)"
  // on a connect(2): well-formed, not a process event.
  const Built b = Build(EventLines(ReadFixture("public/go-libaudit/testdata_normal.log"), 58));
  EXPECT_EQ(b.result, BuildResult::kOtherEvent);
}

TEST(BuildSyscallEvent, RecordedArgvTortureRoundTrips) {
  // This machine's kernel: spaces, quotes, newline, tab, backslash, non-ASCII, an empty
  // argument and two arguments over 7,500 bytes, split into hex chunks.
  const std::string log = ReadFixture("audit/workload.log");
  std::istringstream in(log);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (line.find("comm=\"argv_echo\"") != std::string::npos && line.find("syscall=59") != std::string::npos) {
      lines = EventLines(log, ParseRecordHeader(line)->serial);
      break;
    }
  }
  ASSERT_FALSE(lines.empty());
  const Built b = Build(lines);
  ASSERT_EQ(b.result, BuildResult::kProcessEvent);
  EXPECT_EQ(b.error, "");
  ASSERT_TRUE(b.ev.argv);
  const std::vector<std::string>& argv = *b.ev.argv;
  ASSERT_EQ(argv.size(), 14u);
  EXPECT_EQ(argv[3], "with space");
  EXPECT_EQ(argv[4], "double\"quote");
  EXPECT_EQ(argv[5], "single'quote");
  EXPECT_EQ(argv[6], "new\nline");
  EXPECT_EQ(argv[7], "tab\there");
  EXPECT_EQ(argv[8], "back\\slash");
  EXPECT_EQ(argv[9], "caf\xc3\xa9");
  EXPECT_EQ(argv[11], "");
  EXPECT_EQ(argv[1].size(), 15599u);
  EXPECT_EQ(argv[12].size(), 8999u);
  EXPECT_EQ(argv[13], "--last=1");
  EXPECT_EQ(b.ev.cwd, "/tmp/procaudit-workload/procaudit dir \xc3\xa9");
}

TEST(BuildSyscallEvent, I386RecordsAreClassifiedByTheirOwnNumbers) {
  const std::vector<std::string> lines = {
      "type=SYSCALL msg=audit(1795256226.900:1300): arch=40000003 syscall=252 a0=5 a1=0 a2=0 "
      "a3=0 items=0 ppid=1 pid=42 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 "
      "fsgid=0 tty=(none) ses=1 comm=\"static32\" exe=\"/tmp/static32\" key=\"k\""};
  const Built b = Build(lines);
  ASSERT_EQ(b.result, BuildResult::kProcessEvent);
  EXPECT_EQ(b.ev.syscall, ProcessSyscall::kExitGroup);
  EXPECT_EQ(b.ev.arch, "i386");
  EXPECT_EQ(b.ev.a0, 5u);
  EXPECT_FALSE(b.ev.has_result);  // exit_group never returns: no success=, no exit=
  EXPECT_FALSE(b.ev.tty);
}

TEST(BuildSyscallEvent, SeveralKeysAreJoinedWithCommas) {
  // Two keys on one rule: hex of "procs" 0x01 "exec".
  const std::vector<std::string> lines = {
      "type=SYSCALL msg=audit(1.000:1): arch=c000003e syscall=59 success=yes exit=0 a0=0 "
      "ppid=1 pid=2 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 "
      "key=70726F6373016578656"
      "3"};
  const Built b = Build(lines);
  EXPECT_EQ(b.ev.key, "procs,exec");
}

TEST(BuildSyscallEvent, OtherSyscallsAreNotProcessEvents) {
  const std::vector<std::string> lines = {
      "type=SYSCALL msg=audit(1.000:1): arch=c000003e syscall=2 success=yes exit=3 a0=0 "
      "ppid=1 pid=2 auid=0 uid=0"};
  EXPECT_EQ(Build(lines).result, BuildResult::kOtherEvent);
  EXPECT_EQ(Build({"type=USER_LOGIN msg=audit(1.000:1): pid=1 uid=0 msg='op=login'"}).result,
            BuildResult::kOtherEvent);
}

TEST(BuildSyscallEvent, SyscallRecordWithoutPidIsMalformed) {
  const Built b = Build({"type=SYSCALL msg=audit(1.000:1): arch=c000003e syscall=59 success=yes"});
  EXPECT_EQ(b.result, BuildResult::kMalformed);
  EXPECT_NE(b.error, "");
}

TEST(BuildSyscallEvent, MissingArgumentLeavesArgvUnknownAndSaysWhy) {
  const Built b = Build({
      "type=SYSCALL msg=audit(1.000:9): arch=c000003e syscall=59 success=yes exit=0 a0=0 ppid=1 "
      "pid=2 auid=0 uid=0",
      "type=EXECVE msg=audit(1.000:9): argc=3 a0=\"ls\" a2=\"-l\"",
  });
  ASSERT_EQ(b.result, BuildResult::kProcessEvent);
  EXPECT_FALSE(b.ev.argv);
  EXPECT_NE(b.error.find("a1 is missing"), std::string::npos) << b.error;
}

TEST(BuildSyscallEvent, ChunkShorterThanItsLengthIsCutShort) {
  const Built b = Build({
      "type=SYSCALL msg=audit(1.000:9): arch=c000003e syscall=59 success=yes exit=0 a0=0 ppid=1 "
      "pid=2 auid=0 uid=0",
      "type=EXECVE msg=audit(1.000:9): argc=2 a0=\"echo\" a1_len=8 a1[0]=616263",
  });
  EXPECT_FALSE(b.ev.argv);
  EXPECT_NE(b.error.find("cut short"), std::string::npos) << b.error;
}

TEST(JoinCmdline, SpacesBetweenArguments) {
  const std::vector<std::string> argv = {"ls", "", "a b"};
  EXPECT_EQ(JoinCmdline(argv), "ls  a b");
}

// The kernel's ANOM_ABEND record (audit_core_dumps): standalone, no SYSCALL, no ppid.
TEST(BuildSyscallEvent, AnomAbendIsAProcessEnd) {
  const Built b = Build({
      "type=ANOM_ABEND msg=audit(1795266700.123:4567): auid=1000 uid=1000 gid=1000 ses=3 "
      "subj=unconfined pid=4321 comm=\"segv\" exe=\"/tmp/my segv\" sig=11 res=1"});
  ASSERT_EQ(b.result, BuildResult::kProcessEvent) << b.error;
  EXPECT_EQ(b.ev.syscall, ProcessSyscall::kAnomAbend);
  EXPECT_STREQ(ProcessSyscallName(b.ev.syscall), "anom_abend");
  EXPECT_EQ(b.ev.pid, 4321);
  EXPECT_EQ(b.ev.ppid, 0);
  EXPECT_EQ(b.ev.a0, 11u);
  EXPECT_EQ(b.ev.time_ms, 1795266700123);
  EXPECT_EQ(b.ev.serial, 4567u);
  EXPECT_EQ(b.ev.cred.uid, 1000u);
  EXPECT_EQ(b.ev.comm, "segv");
  EXPECT_EQ(b.ev.exe, "/tmp/my segv");
}

TEST(BuildSyscallEvent, AnomAbendWithoutSignalIsMalformed) {
  const Built b = Build({"type=ANOM_ABEND msg=audit(1795266700.123:4567): auid=1000 uid=0 "
                         "gid=0 ses=3 pid=4321 comm=\"x\" exe=\"/x\" res=1"});
  EXPECT_EQ(b.result, BuildResult::kMalformed);
  EXPECT_NE(b.error, "");
  const Built bad_pid = Build({"type=ANOM_ABEND msg=audit(1795266700.123:4567): pid=-3 sig=11"});
  EXPECT_EQ(bad_pid.result, BuildResult::kMalformed);
}

}  // namespace
}  // namespace procaudit::audit
