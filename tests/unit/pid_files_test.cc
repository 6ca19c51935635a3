// src/proc/pid_files.h: /proc/<pid>/cmdline, syscall and io.
#include "proc/pid_files.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace procaudit {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

using namespace std::string_view_literals;

// --- SplitCmdline -------------------------------------------------------------------

TEST(SplitCmdlineTest, RealCmdlineWithSpaceInArgumentAndEmptyArgument) {
  // Captured: `python3 mk.py "arg with space" "" last`.
  EXPECT_THAT(SplitCmdline("/root/.pyenv/versions/3.11.7/bin/python3\0mk.py\0arg with space\0\0"
                           "last\0"sv),
              ElementsAre("/root/.pyenv/versions/3.11.7/bin/python3", "mk.py", "arg with space", "",
                          "last"));
}

TEST(SplitCmdlineTest, TrailingNulEndsTheLastArgument) {
  EXPECT_THAT(SplitCmdline("cat\0/proc/self/stat\0"sv), ElementsAre("cat", "/proc/self/stat"));
}

TEST(SplitCmdlineTest, EmptyArgumentsInTheMiddleAreKept) {
  EXPECT_THAT(SplitCmdline("a\0\0b\0"sv), ElementsAre("a", "", "b"));
}

TEST(SplitCmdlineTest, EmptyLastArgumentIsKept) {
  // argv = {"a", ""}: the area is "a\0\0".
  EXPECT_THAT(SplitCmdline("a\0\0"sv), ElementsAre("a", ""));
}

TEST(SplitCmdlineTest, SingleEmptyArgument) {
  // argv = {""}: the area is one NUL.
  EXPECT_THAT(SplitCmdline("\0"sv), ElementsAre(""));
}

TEST(SplitCmdlineTest, NoNulAtAllIsOneArgument) {
  // nginx and postgres rewrite their argv area as one string.
  EXPECT_THAT(SplitCmdline("nginx: master process /usr/sbin/nginx -g daemon on;"),
              ElementsAre("nginx: master process /usr/sbin/nginx -g daemon on;"));
}

TEST(SplitCmdlineTest, EmptyIsNoArguments) {
  // Kernel threads and zombies have an empty cmdline.
  EXPECT_THAT(SplitCmdline(""), IsEmpty());
}

TEST(SplitCmdlineTest, BytesAreKeptExactly) {
  EXPECT_THAT(SplitCmdline("printf\0\xff\xfe\n\t\0"sv), ElementsAre("printf", "\xff\xfe\n\t"));
}

// --- JoinArgv --------------------------------------------------------------------------

TEST(JoinArgvTest, SingleSpacesBetweenArguments) { EXPECT_EQ(JoinArgv({"sleep", "5"}), "sleep 5"); }

TEST(JoinArgvTest, ArgumentWithSpaceIsNotQuoted) {
  EXPECT_EQ(JoinArgv({"python3", "arg with space"}), "python3 arg with space");
}

TEST(JoinArgvTest, EmptyArgumentGivesTwoSpaces) { EXPECT_EQ(JoinArgv({"a", "", "b"}), "a  b"); }

TEST(JoinArgvTest, EmptyArgvGivesEmptyString) { EXPECT_EQ(JoinArgv({}), ""); }

TEST(JoinArgvTest, SingleArgumentHasNoSpace) { EXPECT_EQ(JoinArgv({"init"}), "init"); }

TEST(JoinArgvTest, RoundTripsWithSplitCmdline) {
  EXPECT_EQ(JoinArgv(SplitCmdline("ls\0-l\0/tmp\0"sv)), "ls -l /tmp");
}

// --- ParseSyscallFile ---------------------------------------------------------------------

TEST(ParseSyscallFileTest, Running) {
  // Captured from a busy-looping process.
  const std::optional<SyscallState> s = ParseSyscallFile("running\n");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->kind, SyscallState::kRunning);
}

TEST(ParseSyscallFileTest, BlockedOutsideASyscall) {
  // Captured from the same process after SIGSTOP: "-1 sp pc".
  const std::optional<SyscallState> s = ParseSyscallFile("-1 0x7ffee0950680 0x7f914d0fcc8e\n");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->kind, SyscallState::kNotInSyscall);
  EXPECT_EQ(s->nr, -1);
}

TEST(ParseSyscallFileTest, SleepingInClockNanosleep) {
  // Captured from `sleep 5`: syscall 230 (clock_nanosleep on x86_64), six args, sp, pc.
  const std::optional<SyscallState> s = ParseSyscallFile(
      "230 0x0 0x0 0x7fff186ce2d0 0x7fff186ce310 0x0 0x0 0x7fff186ce2b8 0x7f517a070503\n");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->kind, SyscallState::kInSyscall);
  EXPECT_EQ(s->nr, 230);
}

TEST(ParseSyscallFileTest, SyscallNumberZeroIsInASyscall) {
  // Captured: /proc/self/syscall, read by the process itself from inside read(2),
  // which is syscall 0 on x86_64.
  const std::optional<SyscallState> s =
      ParseSyscallFile("0 0x20 0x55c2d4379900 0x2000 0x0 0x0 0x0 0x7ffc16507818 0x7f47e27162ad\n");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->kind, SyscallState::kInSyscall);
  EXPECT_EQ(s->nr, 0);
}

TEST(ParseSyscallFileTest, InSyscallFutexOnX86_64) {
  const std::optional<SyscallState> s =
      ParseSyscallFile("202 0x7f3c 0x80 0x0 0x0 0x0 0x0 0x7ffd2a 0x7f3c9e\n");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->kind, SyscallState::kInSyscall);
  EXPECT_EQ(s->nr, 202);
}

TEST(ParseSyscallFileTest, EmptyIsRejected) {
  EXPECT_EQ(ParseSyscallFile(""), std::nullopt);
  EXPECT_EQ(ParseSyscallFile("\n"), std::nullopt);
}

TEST(ParseSyscallFileTest, GarbageIsRejected) {
  EXPECT_EQ(ParseSyscallFile("sleeping 0x0"), std::nullopt);
  EXPECT_EQ(ParseSyscallFile("0x10 0x0"), std::nullopt);
  EXPECT_EQ(ParseSyscallFile("Running"), std::nullopt);
}

// --- ParseIo --------------------------------------------------------------------------------

TEST(ParseIoTest, RealIoFile) {
  // Captured: /proc/self/io of a Python process.
  const IoFields io = ParseIo(
      "rchar: 2012463\n"
      "wchar: 8792\n"
      "syscr: 749\n"
      "syscw: 51\n"
      "read_bytes: 3465216\n"
      "write_bytes: 110592\n"
      "cancelled_write_bytes: 0\n");
  EXPECT_EQ(io.read_bytes, 3465216);
  EXPECT_EQ(io.write_bytes, 110592);
}

TEST(ParseIoTest, CancelledWriteBytesIsNotWriteBytes) {
  const IoFields io = ParseIo("cancelled_write_bytes: 4096\n");
  EXPECT_EQ(io.write_bytes, std::nullopt);
  EXPECT_EQ(io.read_bytes, std::nullopt);
}

TEST(ParseIoTest, KernelThreadZeros) {
  // Captured: /proc/2/io, which has no trailing newline after the last line.
  const IoFields io = ParseIo(
      "rchar: 0\nwchar: 0\nsyscr: 0\nsyscw: 0\nread_bytes: 0\nwrite_bytes: 0\n"
      "cancelled_write_bytes: 0");
  EXPECT_EQ(io.read_bytes, 0);
  EXPECT_EQ(io.write_bytes, 0);
}

TEST(ParseIoTest, EmptyOrUnreadableLeavesBothUnset) {
  const IoFields io = ParseIo("");
  EXPECT_EQ(io.read_bytes, std::nullopt);
  EXPECT_EQ(io.write_bytes, std::nullopt);
}

TEST(ParseIoTest, NonNumericValueLeftUnset) {
  const IoFields io = ParseIo("read_bytes: lots\nwrite_bytes: 12\n");
  EXPECT_EQ(io.read_bytes, std::nullopt);
  EXPECT_EQ(io.write_bytes, 12);
}

TEST(ParseIoTest, LargeCounters) {
  const IoFields io = ParseIo("read_bytes: 9007199254740993\nwrite_bytes: 1099511627776\n");
  EXPECT_EQ(io.read_bytes, int64_t{9007199254740993});
  EXPECT_EQ(io.write_bytes, int64_t{1099511627776});
}

}  // namespace
}  // namespace procaudit
