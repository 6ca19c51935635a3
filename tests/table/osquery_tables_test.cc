// processes, process_open_files and process_open_sockets: osquery's columns and
// meanings over the fixture tree, and osquery pack queries running unchanged.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "support/test_db.h"

namespace procaudit::testing {
namespace {

class OsqueryTablesFixture : public ::testing::Test {
 protected:
  TestDb db_{FixtureProcRoot()};
};

TEST_F(OsqueryTablesFixture, ProcessesColumns) {
  const long hz = sysconf(_SC_CLK_TCK);
  EXPECT_EQ(db_.Query("SELECT name, path, cmdline, state, cwd, root, uid, gid, euid, egid, suid, "
                      "sgid, on_disk, wired_size, resident_size, total_size, parent, pgroup, "
                      "threads, nice, start_time, cgroup_path FROM processes WHERE pid = 100"),
            (Rows{{"my service",
                   "/usr/bin/oldbin",
                   "/usr/bin/oldbin --name hello world  last",
                   "S",
                   "/srv/app",
                   "/",
                   "1000",
                   "2000",
                   "1001",
                   "2001",
                   "1002",
                   "2002",
                   "0",
                   "16384",
                   "4096000",
                   "20971520",
                   "1",
                   "100",
                   "3",
                   "-5",
                   std::to_string(1700000000 + 500 / hz),
                   "/system.slice/docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
                   "abcdef.scope"}}));
}

TEST_F(OsqueryTablesFixture, ProcessesCpuTimesInMillisecondsAndDiskBytes) {
  const long hz = sysconf(_SC_CLK_TCK);
  EXPECT_EQ(
      db_.Query("SELECT user_time, system_time, disk_bytes_read, disk_bytes_written "
                "FROM processes WHERE pid = 1"),
      (Rows{{std::to_string(250 * 1000 / hz), std::to_string(120 * 1000 / hz), "4096", "8192"}}));
}

TEST_F(OsqueryTablesFixture, OnDiskIsUnknownWhenExeIsUnreadable) {
  EXPECT_EQ(db_.Query("SELECT path, on_disk FROM processes WHERE pid = 400"), (Rows{{"", "-1"}}));
  EXPECT_EQ(db_.Query("SELECT on_disk FROM processes WHERE pid = 1"), (Rows{{"1"}}));
}

TEST_F(OsqueryTablesFixture, ProcessesRowsByPid) {
  EXPECT_EQ(db_.Query("SELECT pid FROM processes"),
            (Rows{{"1"}, {"100"}, {"200"}, {"400"}, {"500"}, {"501"}}));
}

TEST_F(OsqueryTablesFixture, ProcessOpenFiles) {
  EXPECT_EQ(
      db_.Query("SELECT * FROM process_open_files WHERE pid = 1"),
      (Rows{{"1", "0", "/dev/null"}, {"1", "3", "socket:[1001]"}, {"1", "4", "socket:[1003]"}}));
}

TEST_F(OsqueryTablesFixture, ProcessOpenSocketsNumericFamilyAndProtocol) {
  EXPECT_EQ(db_.Query("SELECT pid, fd, socket, family, protocol, local_address, remote_address, "
                      "local_port, remote_port, path, state, net_namespace "
                      "FROM process_open_sockets ORDER BY pid, fd"),
            (Rows{{"1", "3", "1001", "2", "6", "0.0.0.0", "0.0.0.0", "22", "0", "", "LISTEN",
                   "4026531840"},
                  {"1", "4", "1003", "1", "0", "", "", "0", "0", "/run/systemd/private", "LISTEN",
                   "4026531840"},
                  {"100", "4", "1002", "2", "6", "127.0.0.1", "127.0.0.1", "8080", "50000", "",
                   "ESTABLISHED", "4026531840"},
                  {"100", "7", "1007", "1", "0", "", "", "0", "0", "/run/my socket with spaces",
                   "UNCONNECTED", "4026531840"}}));
}

// Queries from osquery's published packs (shared/testdata/public/osquery-packs),
// verbatim: they must run unchanged.
TEST_F(OsqueryTablesFixture, IncidentResponsePackQueriesRunUnchanged) {
  EXPECT_EQ(db_.Query("select distinct pid, family, protocol, local_address, local_port, "
                      "remote_address, remote_port, path from process_open_sockets where path <> "
                      "'' or remote_address <> '';")
                .size(),
            4u);
  EXPECT_EQ(db_.Query("select distinct pid, path from process_open_files where path not like "
                      "'/private/var/folders%' and path not like '/System/Library/%' and path not "
                      "in ('/dev/null', '/dev/urandom', '/dev/random');")
                .size(),
            8u);
  EXPECT_TRUE(db_.Query("select * from processes where name = 'kernel_service';").empty());
}

}  // namespace
}  // namespace procaudit::testing
