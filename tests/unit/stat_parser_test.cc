// src/proc/stat_parser.h: /proc/<pid>/stat and the btime line of /proc/stat.
#include "proc/stat_parser.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace procaudit {
namespace {

// Captured from a Linux 6.18 machine: `cat /proc/1/stat`.
constexpr char kInitStat[] =
    "1 (process_api) S 0 0 0 0 -1 4194560 28691 585650 0 685 33 176 1099 904 20 0 13 0 24 "
    "41201664 2805 18446744073709551615 1 1 0 0 0 0 0 4096 1256 0 0 0 17 1 0 0 0 0 0 0 0 0 0 "
    "0 0 0 0\n";

// Field n (proc(5) numbering) holds the value n, so an off-by-one shows as a wrong number.
constexpr char kNumberedStat[] =
    "1 (numbered) S 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 "
    "31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52\n";

TEST(ParseStatTest, RealInitLineEveryUsedField) {
  const std::optional<StatFields> f = ParseStat(kInitStat);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->pid, 1);
  EXPECT_EQ(f->comm, "process_api");
  EXPECT_EQ(f->state, 'S');
  EXPECT_EQ(f->ppid, 0);
  EXPECT_EQ(f->pgrp, 0);
  EXPECT_EQ(f->session, 0);
  EXPECT_EQ(f->tty_nr, 0);
  EXPECT_EQ(f->utime_ticks, 33u);
  EXPECT_EQ(f->stime_ticks, 176u);
  EXPECT_EQ(f->nice, 0);
  EXPECT_EQ(f->threads, 13);
  EXPECT_EQ(f->start_ticks, 24u);
  EXPECT_EQ(f->vsize, 41201664u);
  EXPECT_EQ(f->rss_pages, 2805);
}

TEST(ParseStatTest, EachFieldTakenFromItsProcFiveColumn) {
  const std::optional<StatFields> f = ParseStat(kNumberedStat);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->ppid, 4);
  EXPECT_EQ(f->pgrp, 5);
  EXPECT_EQ(f->session, 6);
  EXPECT_EQ(f->tty_nr, 7);
  EXPECT_EQ(f->utime_ticks, 14u);
  EXPECT_EQ(f->stime_ticks, 15u);
  EXPECT_EQ(f->nice, 19);
  EXPECT_EQ(f->threads, 20);
  EXPECT_EQ(f->start_ticks, 22u);
  EXPECT_EQ(f->vsize, 23u);
  EXPECT_EQ(f->rss_pages, 24);
}

TEST(ParseStatTest, CommWithParenthesesAndSpacesRunsToLastParen) {
  // Captured after prctl(PR_SET_NAME, "a) b (c)").
  const std::optional<StatFields> f = ParseStat(
      "5131 (a) b (c)) R 5127 5127 4013 0 -1 4194560 3246 6638 9 1 4 1 4 1 20 0 1 0 43360 "
      "20336640 3843 18446744073709551615 94294619856896 94294619857237 140720682860512 0 0 0 "
      "0 16781312 2 0 0 0 17 0 0 0 0 0 0 94294619868592 94294619869208 94295270227968 "
      "140720682862720 140720682862788 140720682862788 140720682864591 0\n");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->pid, 5131);
  EXPECT_EQ(f->comm, "a) b (c)");
  EXPECT_EQ(f->state, 'R');
  EXPECT_EQ(f->ppid, 5127);
  EXPECT_EQ(f->pgrp, 5127);
  EXPECT_EQ(f->session, 4013);
  EXPECT_EQ(f->utime_ticks, 4u);
  EXPECT_EQ(f->stime_ticks, 1u);
  EXPECT_EQ(f->threads, 1);
  EXPECT_EQ(f->start_ticks, 43360u);
  EXPECT_EQ(f->vsize, 20336640u);
  EXPECT_EQ(f->rss_pages, 3843);
}

TEST(ParseStatTest, CommThatIsOnlyAClosingParen) {
  const std::optional<StatFields> f =
      ParseStat("77 ()) S 1 77 77 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 100 4096 1 0\n");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->comm, ")");
  EXPECT_EQ(f->ppid, 1);
  EXPECT_EQ(f->utime_ticks, 5u);
  EXPECT_EQ(f->stime_ticks, 6u);
}

TEST(ParseStatTest, CommWithNewlineIsKeptVerbatim) {
  const std::optional<StatFields> f =
      ParseStat("78 (a\nb) S 1 78 78 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 100 4096 1 0\n");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->comm, "a\nb");
  EXPECT_EQ(f->state, 'S');
  EXPECT_EQ(f->start_ticks, 100u);
}

TEST(ParseStatTest, EmptyComm) {
  // Captured after prctl(PR_SET_NAME, "").
  const std::optional<StatFields> f = ParseStat(
      "5131 () R 5127 5127 4013 0 -1 4194560 3246 6638 9 1 4 1 4 1 20 0 1 0 43360 20336640 "
      "3843 18446744073709551615 94294619856896 94294619857237 140720682860512 0 0 0 0 "
      "16781312 2 0 0 0 17 0 0 0 0 0 0 94294619868592 94294619869208 94295270227968 "
      "140720682862720 140720682862788 140720682862788 140720682864591 0\n");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->comm, "");
  EXPECT_EQ(f->pid, 5131);
  EXPECT_EQ(f->ppid, 5127);
  EXPECT_EQ(f->rss_pages, 3843);
}

TEST(ParseStatTest, KernelThreadHasNoMemoryAndParentTwo) {
  const std::optional<StatFields> f = ParseStat(
      "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 24 0 0 18446744073709551615 "
      "0 0 0 0 0 0 0 2147483647 0 1 0 0 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->comm, "kthreadd");
  EXPECT_EQ(f->ppid, 0);
  EXPECT_EQ(f->vsize, 0u);
  EXPECT_EQ(f->rss_pages, 0);
  EXPECT_EQ(f->start_ticks, 24u);
}

TEST(ParseStatTest, IdleKworkerWithSlashInCommAndNegativeNice) {
  const std::optional<StatFields> f = ParseStat(
      "10 (kworker/0:0H-events_highpri) I 2 0 0 0 -1 69238880 0 0 0 0 0 0 0 0 0 -20 1 0 24 0 0 "
      "18446744073709551615 0 0 0 0 0 0 0 2147483647 0 1 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->comm, "kworker/0:0H-events_highpri");
  EXPECT_EQ(f->state, 'I');
  EXPECT_EQ(f->ppid, 2);
  EXPECT_EQ(f->nice, -20);
  EXPECT_EQ(f->threads, 1);
}

TEST(ParseStatTest, ZombieStateZ) {
  // A child that exited and was not yet reaped.
  const std::optional<StatFields> f = ParseStat(
      "5172 (true) Z 5131 5127 4013 0 -1 4227084 50 0 1 0 0 0 0 0 20 0 1 0 43372 0 0 "
      "18446744073709551615 0 0 0 0 0 0 0 0 0 1 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->state, 'Z');
  EXPECT_EQ(f->comm, "true");
  EXPECT_EQ(f->ppid, 5131);
  EXPECT_EQ(f->pgrp, 5127);
  EXPECT_EQ(f->start_ticks, 43372u);
  EXPECT_EQ(f->vsize, 0u);
  EXPECT_EQ(f->rss_pages, 0);
}

TEST(ParseStatTest, TtyNumberOfAProcessOnAPseudoTerminal) {
  // A session leader on /dev/pts/0: tty_nr 34816 is major 136, minor 0.
  const std::optional<StatFields> f = ParseStat(
      "7101 (sleep) S 7060 7101 7101 34816 7101 4194304 401 0 0 0 0 0 0 0 20 0 1 0 48971 "
      "2990080 420 18446744073709551615 94724675108864 94724675126793 140729725529120 0 0 0 0 "
      "16781312 0 1 0 0 17 0 0 0 0 0 0 94724675140880 94724675142144 94725363150848 "
      "140729725536470 140729725536478 140729725536478 140729725538281 0\n");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->tty_nr, 34816);
  EXPECT_EQ(f->session, 7101);
  EXPECT_EQ(f->pgrp, 7101);
  EXPECT_EQ(f->ppid, 7060);
}

TEST(ParseStatTest, LineWithoutTrailingNewline) {
  std::string line = kInitStat;
  line.pop_back();
  const std::optional<StatFields> f = ParseStat(line);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->rss_pages, 2805);
}

TEST(ParseStatTest, LineEndingAtRssIsEnough) {
  const std::optional<StatFields> f =
      ParseStat("9 (short) S 1 9 9 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 50 8192 3");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->rss_pages, 3);
}

TEST(ParseStatTest, TruncatedBeforeRssIsRejected) {
  EXPECT_EQ(ParseStat("5064 (cat) R 5062 5062 4013 0 -1 4194304 99 0 1 0 0 0 0 0 20 0 1 0 42702 "
                      "3133440\n"),
            std::nullopt);
}

TEST(ParseStatTest, TruncatedInsideCommIsRejected) {
  EXPECT_EQ(ParseStat("5064 (ca"), std::nullopt);
}

TEST(ParseStatTest, TruncatedRightAfterCommIsRejected) {
  EXPECT_EQ(ParseStat("5064 (cat)"), std::nullopt);
  EXPECT_EQ(ParseStat("5064 (cat) R"), std::nullopt);
}

TEST(ParseStatTest, EmptyTextIsRejected) { EXPECT_EQ(ParseStat(""), std::nullopt); }

TEST(ParseStatTest, MissingOpenParenIsRejected) {
  EXPECT_EQ(ParseStat("5064 cat) R 5062 5062 4013 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1 2 3\n"),
            std::nullopt);
}

TEST(ParseStatTest, CloseParenBeforeOpenParenIsRejected) {
  EXPECT_EQ(ParseStat("5064 )cat( R 5062 5062 4013 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1 2 3\n"),
            std::nullopt);
}

TEST(ParseStatTest, NonNumericPidIsRejected) {
  EXPECT_EQ(ParseStat("abc (cat) R 5062 5062 4013 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1 2 3\n"),
            std::nullopt);
}

TEST(ParseStatTest, NonNumericPpidIsRejected) {
  EXPECT_EQ(ParseStat("5064 (cat) R x 5062 4013 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1 2 3\n"),
            std::nullopt);
}

TEST(ParseStatTest, NonNumericUtimeIsRejected) {
  EXPECT_EQ(ParseStat("5064 (cat) R 1 5062 4013 0 -1 0 0 0 0 0 ?? 0 0 0 20 0 1 0 1 2 3\n"),
            std::nullopt);
}

TEST(ParseStatTest, NegativeStartTimeIsRejected) {
  EXPECT_EQ(ParseStat("5064 (cat) R 1 5062 4013 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 -1 2 3\n"),
            std::nullopt);
}

TEST(ParseStatTest, StateOfMoreThanOneCharacterIsRejected) {
  EXPECT_EQ(ParseStat("5064 (cat) RS 1 5062 4013 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1 2 3\n"),
            std::nullopt);
}

// --- ParseBootTime ----------------------------------------------------------------

// Captured /proc/stat, the long intr line shortened.
constexpr char kProcStat[] =
    "cpu  5503 0 2507 86219 204 0 38 9 0 0\n"
    "cpu0 1949 0 955 44300 6 0 7 2 0 0\n"
    "cpu1 3553 0 1552 41919 197 0 30 6 0 0\n"
    "intr 149081 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 1 1 14 0 0\n"
    "ctxt 275019\n"
    "btime 1795254030\n"
    "processes 6510\n"
    "procs_running 4\n"
    "procs_blocked 0\n"
    "softirq 89347 0 11604 3 1532 28829 0 2 23234 0 24143\n";

TEST(ParseBootTimeTest, RealProcStat) { EXPECT_EQ(ParseBootTime(kProcStat), 1795254030); }

TEST(ParseBootTimeTest, BtimeAsLastLineWithoutNewline) {
  EXPECT_EQ(ParseBootTime("ctxt 1\nbtime 1700000000"), 1700000000);
}

TEST(ParseBootTimeTest, MissingBtimeLine) {
  EXPECT_EQ(ParseBootTime("cpu  1 2 3\nctxt 275019\nprocesses 6510\n"), std::nullopt);
  EXPECT_EQ(ParseBootTime(""), std::nullopt);
}

TEST(ParseBootTimeTest, NonNumericBtime) { EXPECT_EQ(ParseBootTime("btime soon\n"), std::nullopt); }

TEST(ParseBootTimeTest, KeyMustBeExactlyBtime) {
  EXPECT_EQ(ParseBootTime("btimex 5\nxbtime 6\n"), std::nullopt);
}

}  // namespace
}  // namespace procaudit
