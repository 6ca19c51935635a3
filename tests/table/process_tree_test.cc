// process_tree over the fixture tree in tests/fixtures/proc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "support/test_db.h"

namespace procaudit::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class ProcessTreeFixture : public ::testing::Test {
 protected:
  TestDb db_{FixtureProcRoot()};
};

TEST_F(ProcessTreeFixture, WholeTreeIsDepthFirstWithDepthAndAncestry) {
  EXPECT_EQ(db_.Query("SELECT pid, ppid, depth, ancestry FROM process_tree"),
            (Rows{{"1", "0", "0", "[]"},
                  {"100", "1", "1", "[1]"},
                  {"200", "100", "2", "[100,1]"},
                  {"400", "1", "1", "[1]"},
                  // A parent cycle (pid reuse mid-scan) is broken, not looped on or lost.
                  {"500", "501", "0", "[]"},
                  {"501", "500", "1", "[500]"}}));
}

TEST_F(ProcessTreeFixture, ProcessThatVanishedMidScanIsLeftOut) {
  EXPECT_EQ(db_.Value("SELECT count(*) FROM process_tree WHERE pid = 300"), "0");
  EXPECT_EQ(db_.Value("SELECT count(*) FROM process_tree"), "6");
}

TEST_F(ProcessTreeFixture, DeletedExecutableAndExactArgv) {
  EXPECT_EQ(
      db_.Query("SELECT name, path, path_deleted, cmdline, argv, cwd, root_dir, state "
                "FROM process_tree WHERE pid = 100"),
      (Rows{{"my service", "/usr/bin/oldbin", "1", "/usr/bin/oldbin --name hello world  last",
             R"(["/usr/bin/oldbin","--name","hello world","","last"])", "/srv/app", "/", "S"}}));
}

TEST_F(ProcessTreeFixture, CredentialsFromStatus) {
  EXPECT_EQ(db_.Query("SELECT uid, euid, suid, gid, egid, sgid FROM process_tree WHERE pid = 100"),
            (Rows{{"1000", "1001", "1002", "2000", "2001", "2002"}}));
}

TEST_F(ProcessTreeFixture, NumbersFromStat) {
  const long page = sysconf(_SC_PAGESIZE);
  const long hz = sysconf(_SC_CLK_TCK);
  EXPECT_EQ(db_.Query("SELECT start_time, threads, nice, rss, pgid, sid FROM process_tree "
                      "WHERE pid = 100"),
            (Rows{{std::to_string(1700000000 + 500 / hz), "3", "-5", std::to_string(2000 * page),
                   "100", "100"}}));
}

TEST_F(ProcessTreeFixture, CommWithParenthesesAndSpaces) {
  EXPECT_EQ(db_.Value("SELECT name FROM process_tree WHERE pid = 200"), "we) (ird");
  EXPECT_EQ(db_.Value("SELECT state FROM process_tree WHERE pid = 200"), "R");
}

TEST_F(ProcessTreeFixture, CgroupContainerAndPidNamespace) {
  EXPECT_EQ(
      db_.Query("SELECT cgroup, container_id, pid_ns, ns_pid FROM process_tree "
                "WHERE pid IN (1, 100, 200) ORDER BY pid"),
      (Rows{{"/init.scope", "NULL", "4026531836", "1"},
            {"/system.slice/docker-0123456789abcdef0123456789abcdef0123456789abcdef01234567"
             "89abcdef.scope",
             "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "4026532100", "1"},
            // v2 path "/" says nothing: the v1 memory hierarchy's path is shown.
            {"/kubepods/burstable/pod1234/"
             "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210",
             "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210", "4026532100",
             "2"}}));
}

TEST_F(ProcessTreeFixture, SyscallAndWchan) {
  EXPECT_EQ(db_.Query("SELECT pid, syscall_nr, syscall, wchan FROM process_tree "
                      "WHERE pid IN (1, 100, 200) ORDER BY pid"),
            (Rows{{"1", "232", "epoll_wait", "ep_poll"},
                  {"100", "NULL", "running", "NULL"},  // wchan "0": not waiting
                  {"200", "NULL", "NULL", "NULL"}}));  // "-1 ...": blocked outside a call
}

TEST_F(ProcessTreeFixture, UnreadableEntriesGiveNullColumnsNotErrors) {
  EXPECT_EQ(db_.Query("SELECT name, path, path_deleted, cmdline, cwd, uid, cgroup, syscall "
                      "FROM process_tree WHERE pid = 400"),
            (Rows{{"kworker", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL"}}));
}

TEST_F(ProcessTreeFixture, SubtreeKeepsAbsoluteDepth) {
  EXPECT_EQ(db_.Query("SELECT pid, depth, ancestry, root FROM process_tree(100)"),
            (Rows{{"100", "1", "[1]", "100"}, {"200", "2", "[100,1]", "100"}}));
  EXPECT_EQ(db_.Query("SELECT name, path FROM process_tree(100) WHERE pid = 200"),
            (Rows{{"we) (ird", "/usr/bin/dash"}}));
}

TEST_F(ProcessTreeFixture, SubtreeAndPidTogether) {
  EXPECT_EQ(db_.Value("SELECT count(*) FROM process_tree(100) WHERE pid = 200"), "1");
  EXPECT_EQ(db_.Value("SELECT count(*) FROM process_tree(200) WHERE pid = 100"), "0");
  EXPECT_EQ(db_.Value("SELECT count(*) FROM process_tree(100) WHERE pid = 100"), "1");
}

TEST_F(ProcessTreeFixture, SubtreeOfMissingOrNullRootIsEmpty) {
  EXPECT_EQ(db_.Value("SELECT count(*) FROM process_tree(999)"), "0");
  EXPECT_EQ(db_.Value("SELECT count(*) FROM process_tree(NULL)"), "0");
  EXPECT_EQ(db_.Value("SELECT count(*) FROM process_tree('abc')"), "0");
}

TEST_F(ProcessTreeFixture, PidListReadsAncestorsForDepth) {
  EXPECT_EQ(db_.Query("SELECT pid, depth, ancestry FROM process_tree WHERE pid IN (200, 1, 999)"),
            (Rows{{"1", "0", "[]"}, {"200", "2", "[100,1]"}}));
}

TEST_F(ProcessTreeFixture, PidComparisonsFollowSqliteAffinity) {
  EXPECT_EQ(db_.Value("SELECT count(*) FROM process_tree WHERE pid = '100'"), "1");
  EXPECT_EQ(db_.Value("SELECT count(*) FROM process_tree WHERE pid = 100.0"), "1");
  EXPECT_EQ(db_.Value("SELECT count(*) FROM process_tree WHERE pid = 100.5"), "0");
  EXPECT_EQ(db_.Value("SELECT count(*) FROM process_tree WHERE pid = 'abc'"), "0");
  EXPECT_EQ(db_.Value("SELECT count(*) FROM process_tree WHERE pid IN (1, '100', NULL, 7.5)"), "2");
}

TEST_F(ProcessTreeFixture, PlanPushesDownPidAndRoot) {
  EXPECT_THAT(db_.Plan("SELECT * FROM process_tree WHERE pid = 1"), HasSubstr("INDEX 1:pid ="));
  EXPECT_THAT(db_.Plan("SELECT * FROM process_tree WHERE pid IN (1, 2)"),
              HasSubstr("INDEX 2:pid IN"));
  EXPECT_THAT(db_.Plan("SELECT * FROM process_tree(1)"), HasSubstr("INDEX 4:root ="));
  EXPECT_THAT(db_.Plan("SELECT * FROM process_tree"), HasSubstr("INDEX 0:scan"));
}

TEST_F(ProcessTreeFixture, RootFromAJoinIsPlannedAfterItsSource) {
  EXPECT_EQ(db_.Query("WITH r(p) AS (VALUES (100), (200)) "
                      "SELECT r.p, t.pid FROM r, process_tree(r.p) AS t ORDER BY 1, 2"),
            (Rows{{"100", "100"}, {"100", "200"}, {"200", "200"}}));
}

TEST_F(ProcessTreeFixture, TableCannotRunFromAViewInTheDatabase) {
  // SQLITE_VTAB_DIRECTONLY: a view or trigger stored in a database file someone
  // hands you must not read host state when you open it.
  ASSERT_EQ(db_.Error("CREATE VIEW v AS SELECT pid FROM process_tree"), "");
  EXPECT_THAT(db_.Error("SELECT * FROM v"), HasSubstr("unsafe use of virtual table"));
}

TEST(ProcessTreeErrors, MissingProcRootIsOneClearError) {
  TestDb db("/nonexistent/proc");
  EXPECT_EQ(db.Error("SELECT * FROM process_tree"),
            "cannot open proc root '/nonexistent/proc': No such file or directory");
}

}  // namespace
}  // namespace procaudit::testing
