// src/linux/open_flags.h: open(2) flags as fdinfo "flags:" and audit records give them.
#include "linux/open_flags.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <sstream>
#include <string>

namespace procaudit {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

std::multiset<std::string> Names(const std::string& decoded) {
  std::multiset<std::string> out;
  std::stringstream in(decoded);
  for (std::string part; std::getline(in, part, '|');) out.insert(part);
  return out;
}

TEST(DecodeOpenFlagsTest, ZeroIsReadOnly) { EXPECT_EQ(DecodeOpenFlags(0), "O_RDONLY"); }

TEST(DecodeOpenFlagsTest, AccessModesAlone) {
  EXPECT_EQ(DecodeOpenFlags(O_WRONLY), "O_WRONLY");
  EXPECT_EQ(DecodeOpenFlags(O_RDWR), "O_RDWR");
}

TEST(DecodeOpenFlagsTest, AccessModeThreeIsNamedOAccmode) {
  EXPECT_EQ(DecodeOpenFlags(3), "O_ACCMODE");
}

TEST(DecodeOpenFlagsTest, WriteOnlyAppendCloexec) {
  EXPECT_EQ(DecodeOpenFlags(O_WRONLY | O_APPEND | O_CLOEXEC), "O_WRONLY|O_APPEND|O_CLOEXEC");
}

TEST(DecodeOpenFlagsTest, ReadWriteCreateTruncate) {
  EXPECT_EQ(DecodeOpenFlags(O_RDWR | O_CREAT | O_TRUNC), "O_RDWR|O_CREAT|O_TRUNC");
}

TEST(DecodeOpenFlagsTest, CreateExclusiveNoctty) {
  EXPECT_EQ(DecodeOpenFlags(O_WRONLY | O_CREAT | O_EXCL | O_NOCTTY),
            "O_WRONLY|O_CREAT|O_EXCL|O_NOCTTY");
}

TEST(DecodeOpenFlagsTest, SyncIsShownAsOSyncNotODsync) {
  EXPECT_EQ(DecodeOpenFlags(O_WRONLY | O_SYNC), "O_WRONLY|O_SYNC");
}

TEST(DecodeOpenFlagsTest, DsyncAloneIsODsync) {
  EXPECT_EQ(DecodeOpenFlags(O_WRONLY | O_DSYNC), "O_WRONLY|O_DSYNC");
}

TEST(DecodeOpenFlagsTest, TmpfileIsShownAsOTmpfileNotODirectory) {
  const std::string s = DecodeOpenFlags(O_RDWR | O_TMPFILE);
  EXPECT_EQ(s, "O_RDWR|O_TMPFILE");
  EXPECT_THAT(s, Not(HasSubstr("O_DIRECTORY")));
}

TEST(DecodeOpenFlagsTest, DirectoryAloneIsODirectory) {
  EXPECT_EQ(DecodeOpenFlags(O_DIRECTORY | O_CLOEXEC), "O_RDONLY|O_DIRECTORY|O_CLOEXEC");
}

TEST(DecodeOpenFlagsTest, RealFdinfoFlagsOfCatStdin) {
  // `cat /proc/self/fdinfo/0` showed "flags:\t0100000". glibc's O_LARGEFILE is 0 on
  // 64-bit, but the kernel sets 0100000 on every open there, so it must be named.
  EXPECT_EQ(DecodeOpenFlags(0100000), "O_RDONLY|O_LARGEFILE");
}

TEST(DecodeOpenFlagsTest, RealFdinfoFlagsOfAnAppendLog) {
  // open(O_WRONLY|O_APPEND|O_CREAT|O_CLOEXEC): fdinfo "flags:\t02102001", O_CREAT dropped.
  EXPECT_EQ(DecodeOpenFlags(02102001), "O_WRONLY|O_APPEND|O_LARGEFILE|O_CLOEXEC");
}

TEST(DecodeOpenFlagsTest, RealFdinfoFlagsOfAnEventfd) {
  EXPECT_EQ(DecodeOpenFlags(02000002), "O_RDWR|O_CLOEXEC");
}

TEST(DecodeOpenFlagsTest, RealFdinfoFlagsOfAnOSyncFile) {
  // open(O_WRONLY|O_CREAT|O_SYNC) from Python: fdinfo "flags:\t06110001".
  EXPECT_EQ(DecodeOpenFlags(06110001), "O_WRONLY|O_LARGEFILE|O_CLOEXEC|O_SYNC");
}

TEST(DecodeOpenFlagsTest, RealFdinfoFlagsOfAnOTmpfile) {
  // open(dir, O_RDWR|O_TMPFILE) from Python: fdinfo "flags:\t022300002".
  const std::string s = DecodeOpenFlags(022300002);
  EXPECT_THAT(s, StartsWith("O_RDWR|"));
  EXPECT_EQ(Names(s),
            (std::multiset<std::string>{"O_RDWR", "O_TMPFILE", "O_LARGEFILE", "O_CLOEXEC"}));
}

TEST(DecodeOpenFlagsTest, NonblockAsyncDirectNofollowNoatimePath) {
  EXPECT_EQ(Names(DecodeOpenFlags(O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOFOLLOW | O_NOATIME)),
            (std::multiset<std::string>{"O_RDONLY", "O_NONBLOCK", "O_ASYNC", "O_DIRECT",
                                        "O_NOFOLLOW", "O_NOATIME"}));
  EXPECT_EQ(DecodeOpenFlags(O_PATH | O_CLOEXEC), "O_RDONLY|O_CLOEXEC|O_PATH");
}

TEST(DecodeOpenFlagsTest, AccessModeAlwaysFirst) {
  EXPECT_THAT(DecodeOpenFlags(O_CLOEXEC | O_RDWR | O_SYNC | O_TMPFILE), StartsWith("O_RDWR|"));
}

TEST(DecodeOpenFlagsTest, UnknownHighBitAppendedAsOctal) {
  EXPECT_EQ(DecodeOpenFlags(O_RDWR | 010000000000), "O_RDWR|010000000000");
}

TEST(DecodeOpenFlagsTest, UnknownBitsAppendedAsOneOctalNumberAfterNamedFlags) {
  EXPECT_EQ(DecodeOpenFlags(O_WRONLY | O_APPEND | 010000000000 | 040000000000),
            "O_WRONLY|O_APPEND|050000000000");
}

TEST(DecodeOpenFlagsTest, BitAbove32IsNotDropped) {
  EXPECT_EQ(DecodeOpenFlags(uint64_t{1} << 40), "O_RDONLY|020000000000000");
}

TEST(DecodeOpenFlagsTest, HalfOfOSyncWithoutODsyncIsNotCalledOSync) {
  // __O_SYNC (04000000) alone has no name of its own.
  const std::string s = DecodeOpenFlags(04000000);
  EXPECT_THAT(s, Not(HasSubstr("O_SYNC")));
  EXPECT_EQ(s, "O_RDONLY|04000000");
}

}  // namespace
}  // namespace procaudit
