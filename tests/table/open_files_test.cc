// open_files over the fixture tree in tests/fixtures/proc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/test_db.h"

namespace procaudit::testing {
namespace {

using ::testing::HasSubstr;

class OpenFilesFixture : public ::testing::Test {
 protected:
  TestDb db_{FixtureProcRoot()};
};

TEST_F(OpenFilesFixture, EveryDescriptorOfAProcess) {
  // pos makes fdinfo be read, whose ino line gives every inode (in the fixture the
  // link targets do not exist, so a stat could not).
  EXPECT_EQ(db_.Query("SELECT fd, path, deleted, type, inode FROM open_files WHERE pid = 100 "
                      "AND pos IS NOT NULL"),
            (Rows{{"3", "/var/log/app.log", "1", "NULL", "777"},
                  {"4", "socket:[1002]", "0", "socket", "1002"},
                  {"5", "pipe:[3001]", "0", "pipe", "3001"},
                  {"6", "anon_inode:[eventfd]", "0", "anon_inode", "9"},
                  {"7", "socket:[1007]", "0", "socket", "1007"},
                  {"8", "net:[4026531840]", "0", "other", "4026531840"}}));
}

TEST_F(OpenFilesFixture, InodeOfSocketsAndPipesComesFromTheLinkWithoutFdinfo) {
  EXPECT_EQ(db_.Query("SELECT fd, inode FROM open_files WHERE pid = 100 AND fd IN (4, 5, 7)"),
            (Rows{{"4", "1002"}, {"5", "3001"}, {"7", "1007"}}));
}

TEST_F(OpenFilesFixture, PositionAndFlagsFromFdinfo) {
  EXPECT_EQ(
      db_.Query("SELECT pos, flags, flag_names, mnt_id FROM open_files "
                "WHERE pid = 100 AND fd = 3"),
      (Rows{{"1234", std::to_string(02102001), "O_WRONLY|O_APPEND|O_LARGEFILE|O_CLOEXEC", "30"}}));
}

TEST_F(OpenFilesFixture, PathTargetIsStatted) {
  // 1/fd/0 -> /dev/null, which exists on every machine.
  EXPECT_EQ(db_.Query("SELECT path, type FROM open_files WHERE pid = 1 AND fd = 0"),
            (Rows{{"/dev/null", "char"}}));
}

TEST_F(OpenFilesFixture, InetSocketEndpoints) {
  EXPECT_EQ(
      db_.Query("SELECT pid, fd, family, protocol, local_address, local_port, "
                "remote_address, remote_port, state, net_namespace FROM open_files "
                "WHERE family IN ('AF_INET', 'AF_INET6') ORDER BY pid, fd"),
      (Rows{{"1", "3", "AF_INET", "tcp", "0.0.0.0", "22", "0.0.0.0", "0", "LISTEN", "4026531840"},
            {"100", "4", "AF_INET", "tcp", "127.0.0.1", "8080", "127.0.0.1", "50000", "ESTABLISHED",
             "4026531840"}}));
}

TEST_F(OpenFilesFixture, UnixSocketPathsWithSpacesAndListeningState) {
  EXPECT_EQ(db_.Query("SELECT pid, fd, protocol, unix_path, state, local_address FROM open_files "
                      "WHERE family = 'AF_UNIX' ORDER BY pid, fd"),
            (Rows{{"1", "4", "stream", "/run/systemd/private", "LISTEN", "NULL"},
                  {"100", "7", "dgram", "/run/my socket with spaces", "UNCONNECTED", "NULL"}}));
}

TEST_F(OpenFilesFixture, NonSocketsHaveNoSocketColumns) {
  EXPECT_EQ(db_.Query("SELECT family, protocol, local_port, state, net_namespace FROM open_files "
                      "WHERE pid = 100 AND fd = 5"),
            (Rows{{"NULL", "NULL", "NULL", "NULL", "NULL"}}));
}

TEST_F(OpenFilesFixture, CommOfTheProcess) {
  EXPECT_EQ(db_.Query("SELECT DISTINCT comm FROM open_files WHERE pid = 100"),
            (Rows{{"my service"}}));
}

TEST_F(OpenFilesFixture, ProcessesWithoutReadableFdsContributeNoRows) {
  EXPECT_EQ(db_.Query("SELECT pid, count(*) FROM open_files GROUP BY pid"),
            (Rows{{"1", "3"}, {"100", "6"}}));
}

TEST_F(OpenFilesFixture, PlanPushesDownPid) {
  EXPECT_THAT(db_.Plan("SELECT * FROM open_files WHERE pid = 100"), HasSubstr("INDEX 1:pid ="));
  EXPECT_THAT(db_.Plan("SELECT * FROM open_files WHERE pid IN (1, 100)"),
              HasSubstr("INDEX 2:pid IN"));
  EXPECT_EQ(db_.Value("SELECT count(*) FROM open_files WHERE pid IN (1, 100, 31337)"), "9");
}

TEST_F(OpenFilesFixture, JoinWithProcessTreeDrivesPidLookups) {
  EXPECT_EQ(db_.Query("SELECT p.name, o.fd FROM process_tree p JOIN open_files o ON o.pid = p.pid "
                      "WHERE p.ppid = 1 AND o.type = 'pipe'"),
            (Rows{{"my service", "5"}}));
  EXPECT_THAT(db_.Plan("SELECT * FROM process_tree p JOIN open_files o ON o.pid = p.pid"),
              HasSubstr("INDEX 1:pid ="));
}

}  // namespace
}  // namespace procaudit::testing
