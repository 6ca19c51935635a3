// src/proc/status_parser.h: /proc/<pid>/status.
#include "proc/status_parser.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>

namespace procaudit {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Captured: `cat /proc/self/status` as root on Linux 6.18.
constexpr char kCatStatus[] =
    "Name:\tcat\n"
    "Umask:\t0022\n"
    "State:\tR (running)\n"
    "Tgid:\t5065\n"
    "Ngid:\t0\n"
    "Pid:\t5065\n"
    "PPid:\t5062\n"
    "TracerPid:\t0\n"
    "Uid:\t0\t0\t0\t0\n"
    "Gid:\t0\t0\t0\t0\n"
    "FDSize:\t256\n"
    "Groups:\t \n"
    "NStgid:\t5065\n"
    "NSpid:\t5065\n"
    "NSpgid:\t5062\n"
    "NSsid:\t4013\n"
    "Kthread:\t0\n"
    "VmPeak:\t    3060 kB\n"
    "VmSize:\t    3060 kB\n"
    "VmLck:\t       0 kB\n"
    "VmPin:\t       0 kB\n"
    "VmHWM:\t    1740 kB\n"
    "VmRSS:\t    1740 kB\n"
    "RssAnon:\t     112 kB\n"
    "RssFile:\t    1628 kB\n"
    "RssShmem:\t       0 kB\n"
    "VmData:\t     360 kB\n"
    "VmStk:\t     132 kB\n"
    "VmExe:\t      20 kB\n"
    "VmLib:\t    1528 kB\n"
    "VmPTE:\t      44 kB\n"
    "VmSwap:\t       0 kB\n"
    "HugetlbPages:\t       0 kB\n"
    "CoreDumping:\t0\n"
    "THP_enabled:\t1\n"
    "untag_mask:\t0xffffffffffffffff\n"
    "Threads:\t1\n"
    "SigQ:\t0/96365\n"
    "SigPnd:\t0000000000000000\n"
    "ShdPnd:\t0000000000000000\n"
    "SigBlk:\t0000000000000000\n"
    "SigIgn:\t0000000000000000\n"
    "SigCgt:\t0000000000000000\n"
    "CapInh:\t0000000000000000\n"
    "CapPrm:\t000001fffeffffff\n"
    "CapEff:\t000001fffeffffff\n"
    "CapBnd:\t000001fffeffffff\n"
    "CapAmb:\t0000000000000000\n"
    "NoNewPrivs:\t0\n"
    "Seccomp:\t0\n"
    "Seccomp_filters:\t0\n"
    "Speculation_Store_Bypass:\tvulnerable\n"
    "SpeculationIndirectBranch:\talways enabled\n"
    "Cpus_allowed:\t3\n"
    "Cpus_allowed_list:\t0-1\n"
    "Mems_allowed:\t00000000,00000001\n"
    "Mems_allowed_list:\t0\n"
    "voluntary_ctxt_switches:\t0\n"
    "nonvoluntary_ctxt_switches:\t0\n";

TEST(ParseStatusTest, RealRootProcess) {
  const StatusFields s = ParseStatus(kCatStatus);
  EXPECT_EQ(s.tgid, 5065);
  EXPECT_EQ(s.uid, 0);
  EXPECT_EQ(s.euid, 0);
  EXPECT_EQ(s.suid, 0);
  EXPECT_EQ(s.fsuid, 0);
  EXPECT_EQ(s.gid, 0);
  EXPECT_EQ(s.egid, 0);
  EXPECT_EQ(s.sgid, 0);
  EXPECT_EQ(s.fsgid, 0);
  EXPECT_THAT(s.ns_pids, ElementsAre(5065));
  EXPECT_EQ(s.vm_size_bytes, 3060 * 1024);
  EXPECT_EQ(s.vm_rss_bytes, 1740 * 1024);
  EXPECT_EQ(s.vm_lck_bytes, 0);
}

TEST(ParseStatusTest, UidAndGidLinesGiveRealEffectiveSavedFilesystemInOrder) {
  // Captured after setresgid(100, 101, 102) and setresuid(1000, 1001, 1002): the
  // filesystem id follows the effective one.
  const StatusFields s = ParseStatus(
      "Tgid:\t7839\n"
      "Pid:\t7839\n"
      "Uid:\t1000\t1001\t1002\t1001\n"
      "Gid:\t100\t101\t102\t101\n");
  EXPECT_EQ(s.uid, 1000);
  EXPECT_EQ(s.euid, 1001);
  EXPECT_EQ(s.suid, 1002);
  EXPECT_EQ(s.fsuid, 1001);
  EXPECT_EQ(s.gid, 100);
  EXPECT_EQ(s.egid, 101);
  EXPECT_EQ(s.sgid, 102);
  EXPECT_EQ(s.fsgid, 101);
}

TEST(ParseStatusTest, OverflowUidOfUnmappedUserIsKept) {
  // 65534 (nobody) is what an unmapped id shows as inside a user namespace.
  const StatusFields s = ParseStatus("Uid:\t65534\t65534\t65534\t65534\n");
  EXPECT_EQ(s.uid, 65534);
  EXPECT_EQ(s.fsuid, 65534);
}

TEST(ParseStatusTest, NSpidWithSeveralLevelsOutermostFirst) {
  // Captured from `unshare -p -f sh -c 'unshare -p -f cat /proc/self/status'`.
  const StatusFields s = ParseStatus(
      "Tgid:\t7885\n"
      "Pid:\t7885\n"
      "NStgid:\t7885\t3\t1\n"
      "NSpid:\t7885\t3\t1\n"
      "NSpgid:\t7837\t0\t0\n"
      "NSsid:\t4013\t0\t0\n");
  EXPECT_EQ(s.tgid, 7885);
  EXPECT_THAT(s.ns_pids, ElementsAre(7885, 3, 1));
}

TEST(ParseStatusTest, NSpidTwoLevelsFromTheBrief) {
  const StatusFields s = ParseStatus("NSpid:\t4321\t7\t1\n");
  EXPECT_THAT(s.ns_pids, ElementsAre(4321, 7, 1));
}

TEST(ParseStatusTest, NStgidNSpgidAndNSsidAreNotMistakenForNSpid) {
  const StatusFields s = ParseStatus("NStgid:\t10\t1\nNSpgid:\t9\t0\nNSsid:\t8\t0\n");
  EXPECT_THAT(s.ns_pids, IsEmpty());
}

TEST(ParseStatusTest, ThreadHasTgidOfItsProcess) {
  // /proc/1/task/58/status: thread 58 of process 1.
  const StatusFields s = ParseStatus(
      "Name:\tvsock-console\n"
      "Umask:\t0022\n"
      "State:\tS (sleeping)\n"
      "Tgid:\t1\n"
      "Ngid:\t0\n"
      "Pid:\t58\n"
      "PPid:\t0\n"
      "NStgid:\t1\n"
      "NSpid:\t58\n"
      "VmSize:\t   40468 kB\n"
      "VmLck:\t   40436 kB\n"
      "VmRSS:\t   11496 kB\n");
  EXPECT_EQ(s.tgid, 1);
  EXPECT_THAT(s.ns_pids, ElementsAre(58));
}

TEST(ParseStatusTest, VmLinesInKibibytesBecomeBytes) {
  // Captured after mlock() of 1 MiB.
  const StatusFields s = ParseStatus(
      "VmPeak:\t   17772 kB\n"
      "VmSize:\t   17772 kB\n"
      "VmLck:\t    1028 kB\n"
      "VmPin:\t       0 kB\n"
      "VmHWM:\t   14984 kB\n"
      "VmRSS:\t   14984 kB\n");
  EXPECT_EQ(s.vm_size_bytes, int64_t{17772} * 1024);
  EXPECT_EQ(s.vm_lck_bytes, int64_t{1028} * 1024);
  EXPECT_EQ(s.vm_rss_bytes, int64_t{14984} * 1024);
}

TEST(ParseStatusTest, VmPeakAndVmHWMAreNotTakenForVmSizeAndVmRSS) {
  const StatusFields s = ParseStatus("VmPeak:\t   49912 kB\nVmHWM:\t   17412 kB\n");
  EXPECT_EQ(s.vm_size_bytes, std::nullopt);
  EXPECT_EQ(s.vm_rss_bytes, std::nullopt);
}

TEST(ParseStatusTest, LargeVmSizeDoesNotOverflow) {
  // A 128 TiB address-space reservation (sanitizers, JVMs).
  const StatusFields s = ParseStatus("VmSize:\t137438953472 kB\n");
  EXPECT_EQ(s.vm_size_bytes, int64_t{137438953472} * 1024);
}

TEST(ParseStatusTest, VmSizeTooLargeForBytesIsAbsent) {
  // Found by proc_parsers_fuzz: kibibytes * 1024 overflowed int64 (undefined behaviour).
  const StatusFields s = ParseStatus(
      "VmSize:\t555555555555555555 kB\n"
      "VmLck:\t-9007199254740993 kB\n"
      "VmRSS:\t9007199254740991 kB\n");
  EXPECT_EQ(s.vm_size_bytes, std::nullopt);
  EXPECT_EQ(s.vm_lck_bytes, std::nullopt);
  EXPECT_EQ(s.vm_rss_bytes, int64_t{9007199254740991} * 1024);
}

TEST(ParseStatusTest, KernelThreadHasNoVmLines) {
  // Captured: /proc/2/status (kthreadd), cut after the capability lines.
  const StatusFields s = ParseStatus(
      "Name:\tkthreadd\n"
      "Umask:\t0022\n"
      "State:\tS (sleeping)\n"
      "Tgid:\t2\n"
      "Ngid:\t0\n"
      "Pid:\t2\n"
      "PPid:\t0\n"
      "TracerPid:\t0\n"
      "Uid:\t0\t0\t0\t0\n"
      "Gid:\t0\t0\t0\t0\n"
      "FDSize:\t64\n"
      "Groups:\t \n"
      "NStgid:\t2\n"
      "NSpid:\t2\n"
      "NSpgid:\t0\n"
      "NSsid:\t0\n"
      "Kthread:\t1\n"
      "Threads:\t1\n"
      "SigQ:\t0/96365\n"
      "SigPnd:\t0000000000000000\n"
      "ShdPnd:\t0000000000000000\n"
      "SigBlk:\t0000000000000000\n"
      "SigIgn:\tffffffffffffffff\n"
      "SigCgt:\t0000000000000000\n"
      "CapInh:\t0000000000000000\n"
      "CapPrm:\t000001ffffffffff\n"
      "CapEff:\t000001ffffffffff\n"
      "CapBnd:\t000001ffffffffff\n"
      "CapAmb:\t0000000000000000\n"
      "NoNewPrivs:\t0\n");
  EXPECT_EQ(s.tgid, 2);
  EXPECT_EQ(s.uid, 0);
  EXPECT_THAT(s.ns_pids, ElementsAre(2));
  EXPECT_EQ(s.vm_size_bytes, std::nullopt);
  EXPECT_EQ(s.vm_rss_bytes, std::nullopt);
  EXPECT_EQ(s.vm_lck_bytes, std::nullopt);
}

TEST(ParseStatusTest, ZombieHasIdsButNoVmLines) {
  const StatusFields s = ParseStatus(
      "Name:\ttrue\n"
      "State:\tZ (zombie)\n"
      "Tgid:\t5172\n"
      "Ngid:\t0\n"
      "Pid:\t5172\n"
      "PPid:\t5131\n"
      "TracerPid:\t0\n"
      "Uid:\t0\t0\t0\t0\n"
      "Gid:\t0\t0\t0\t0\n"
      "FDSize:\t0\n"
      "Groups:\t \n"
      "NStgid:\t5172\n"
      "NSpid:\t5172\n"
      "NSpgid:\t5127\n"
      "NSsid:\t4013\n"
      "Kthread:\t0\n"
      "Threads:\t1\n");
  EXPECT_EQ(s.tgid, 5172);
  EXPECT_EQ(s.gid, 0);
  EXPECT_EQ(s.vm_size_bytes, std::nullopt);
}

TEST(ParseStatusTest, EmptyTextLeavesEverythingUnset) {
  const StatusFields s = ParseStatus("");
  EXPECT_EQ(s.tgid, std::nullopt);
  EXPECT_EQ(s.uid, std::nullopt);
  EXPECT_EQ(s.euid, std::nullopt);
  EXPECT_EQ(s.suid, std::nullopt);
  EXPECT_EQ(s.fsuid, std::nullopt);
  EXPECT_EQ(s.gid, std::nullopt);
  EXPECT_EQ(s.egid, std::nullopt);
  EXPECT_EQ(s.sgid, std::nullopt);
  EXPECT_EQ(s.fsgid, std::nullopt);
  EXPECT_THAT(s.ns_pids, IsEmpty());
  EXPECT_EQ(s.vm_size_bytes, std::nullopt);
  EXPECT_EQ(s.vm_rss_bytes, std::nullopt);
  EXPECT_EQ(s.vm_lck_bytes, std::nullopt);
}

TEST(ParseStatusTest, MissingGidLineLeavesGidsUnsetButUidsSet) {
  const StatusFields s = ParseStatus("Uid:\t1000\t1000\t1000\t1000\n");
  EXPECT_EQ(s.uid, 1000);
  EXPECT_EQ(s.gid, std::nullopt);
  EXPECT_EQ(s.fsgid, std::nullopt);
}

TEST(ParseStatusTest, ShortUidLineSetsOnlyTheValuesPresent) {
  const StatusFields s = ParseStatus("Uid:\t1000\t1001\n");
  EXPECT_EQ(s.uid, 1000);
  EXPECT_EQ(s.euid, 1001);
  EXPECT_EQ(s.suid, std::nullopt);
  EXPECT_EQ(s.fsuid, std::nullopt);
}

TEST(ParseStatusTest, NonNumericValuesAreLeftUnset) {
  const StatusFields s = ParseStatus("Tgid:\tx\nVmSize:\t? kB\nVmRSS:\n");
  EXPECT_EQ(s.tgid, std::nullopt);
  EXPECT_EQ(s.vm_size_bytes, std::nullopt);
  EXPECT_EQ(s.vm_rss_bytes, std::nullopt);
}

TEST(ParseStatusTest, UnknownAndColonlessLinesAreIgnored) {
  const StatusFields s = ParseStatus(
      "garbage without colon\n"
      "FutureField:\t1 2 3\n"
      "Tgid:\t42\n"
      "x_Tgid:\t43\n");
  EXPECT_EQ(s.tgid, 42);
}

TEST(ParseStatusTest, NameContainingAKeyDoesNotInjectValues) {
  // The kernel escapes comm in status, but a name may still hold "Tgid:".
  const StatusFields s = ParseStatus("Name:\tTgid: 99\nTgid:\t7\n");
  EXPECT_EQ(s.tgid, 7);
}

}  // namespace
}  // namespace procaudit
