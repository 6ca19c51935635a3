// src/proc/fdinfo_parser.h: /proc/<pid>/fdinfo/<fd>. All samples captured on Linux 6.18.
#include "proc/fdinfo_parser.h"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <optional>

namespace procaudit {
namespace {

TEST(ParseFdInfoTest, StdinOfCat) {
  // `cat /proc/self/fdinfo/0`: a read-only fd, O_LARGEFILE set by the kernel.
  const FdInfoFields f = ParseFdInfo("pos:\t0\nflags:\t0100000\nmnt_id:\t24\nino:\t3\n");
  EXPECT_EQ(f.pos, 0);
  EXPECT_EQ(f.flags, 0100000u);
  EXPECT_EQ(f.mnt_id, 24);
  EXPECT_EQ(f.ino, 3u);
}

TEST(ParseFdInfoTest, FlagsAreOctalNotDecimal) {
  // open(O_RDWR|O_CREAT|O_TRUNC) on a 64-bit kernel; O_CREAT and O_TRUNC are not kept.
  const FdInfoFields f = ParseFdInfo("pos:\t10\nflags:\t02100002\nmnt_id:\t27\nino:\t10953114\n");
  ASSERT_TRUE(f.flags.has_value());
  EXPECT_EQ(*f.flags, 02100002u);
  EXPECT_EQ(*f.flags & O_ACCMODE, static_cast<uint64_t>(O_RDWR));
  EXPECT_NE(*f.flags & O_CLOEXEC, 0u);
  EXPECT_EQ(f.pos, 10);
  EXPECT_EQ(f.ino, 10953114u);
}

TEST(ParseFdInfoTest, FlagsZeroPrintedAsDoubleZero) {
  // An inotify fd from inotify_init1(0) shows "flags:\t00".
  const FdInfoFields f = ParseFdInfo(
      "pos:\t0\n"
      "flags:\t00\n"
      "mnt_id:\t17\n"
      "ino:\t1038\n"
      "inotify wd:1 ino:a72189 sdev:fe00000 mask:100 ignored_mask:0 fhandle-bytes:8 "
      "fhandle-type:1 f_handle:8921a7002b457cda\n");
  EXPECT_EQ(f.flags, 0u);
  EXPECT_EQ(f.ino, 1038u);  // not the watched inode "ino:a72189" on the inotify line
  EXPECT_EQ(f.mnt_id, 17);
}

TEST(ParseFdInfoTest, AppendFileWithLockLineIgnoresTheLock) {
  const FdInfoFields f = ParseFdInfo(
      "pos:\t5\n"
      "flags:\t02102001\n"
      "mnt_id:\t27\n"
      "ino:\t10953109\n"
      "lock:\t1: POSIX  ADVISORY  WRITE 5131 fe:00:10953109 0 EOF\n");
  EXPECT_EQ(f.pos, 5);
  EXPECT_EQ(f.flags, 02102001u);
  EXPECT_EQ(f.mnt_id, 27);
  EXPECT_EQ(f.ino, 10953109u);
}

TEST(ParseFdInfoTest, EventfdCountLinesIgnored) {
  const FdInfoFields f = ParseFdInfo(
      "pos:\t0\n"
      "flags:\t02000002\n"
      "mnt_id:\t17\n"
      "ino:\t1038\n"
      "eventfd-count:                5\n"
      "eventfd-id: 1\n"
      "eventfd-semaphore: 0\n");
  EXPECT_EQ(f.pos, 0);
  EXPECT_EQ(f.flags, 02000002u);
  EXPECT_EQ(f.ino, 1038u);
}

TEST(ParseFdInfoTest, EpollTargetLineWithPosAndInoIgnored) {
  // The tfd line holds "pos:0 ino:40e" of the *target*; it must not override the fd's own.
  const FdInfoFields f = ParseFdInfo(
      "pos:\t0\n"
      "flags:\t02000002\n"
      "mnt_id:\t17\n"
      "ino:\t1038\n"
      "tfd:       25 events:       19 data:     7f4700000019  pos:0 ino:40e sdev:10\n");
  EXPECT_EQ(f.ino, 1038u);
  EXPECT_EQ(f.mnt_id, 17);
}

TEST(ParseFdInfoTest, OldKernelWithoutInoLine) {
  // Before 5.14 there is no ino line; the others are still read.
  const FdInfoFields f = ParseFdInfo(
      "pos:\t4096\n"
      "flags:\t0100002\n"
      "mnt_id:\t25\n"
      "eventfd-count:                0\n");
  EXPECT_EQ(f.pos, 4096);
  EXPECT_EQ(f.flags, 0100002u);
  EXPECT_EQ(f.mnt_id, 25);
  EXPECT_EQ(f.ino, std::nullopt);
}

TEST(ParseFdInfoTest, LargeFilePosition) {
  const FdInfoFields f = ParseFdInfo("pos:\t5368709120\nflags:\t0100000\n");
  EXPECT_EQ(f.pos, int64_t{5368709120});
}

TEST(ParseFdInfoTest, NonOctalFlagsAreLeftUnset) {
  const FdInfoFields f = ParseFdInfo("pos:\t0\nflags:\t0100009\nmnt_id:\t24\n");
  EXPECT_EQ(f.flags, std::nullopt);
  EXPECT_EQ(f.mnt_id, 24);
}

TEST(ParseFdInfoTest, NonNumericValuesAreLeftUnset) {
  const FdInfoFields f = ParseFdInfo("pos:\tx\nflags:\t\nmnt_id:\t-\nino:\tabc\n");
  EXPECT_EQ(f.pos, std::nullopt);
  EXPECT_EQ(f.flags, std::nullopt);
  EXPECT_EQ(f.mnt_id, std::nullopt);
  EXPECT_EQ(f.ino, std::nullopt);
}

TEST(ParseFdInfoTest, EmptyTextLeavesEverythingUnset) {
  const FdInfoFields f = ParseFdInfo("");
  EXPECT_EQ(f.pos, std::nullopt);
  EXPECT_EQ(f.flags, std::nullopt);
  EXPECT_EQ(f.mnt_id, std::nullopt);
  EXPECT_EQ(f.ino, std::nullopt);
}

TEST(ParseFdInfoTest, NoTrailingNewline) {
  const FdInfoFields f = ParseFdInfo("pos:\t0\nflags:\t02\nmnt_id:\t24\nino:\t3");
  EXPECT_EQ(f.ino, 3u);
  EXPECT_EQ(f.flags, 02u);
}

}  // namespace
}  // namespace procaudit
