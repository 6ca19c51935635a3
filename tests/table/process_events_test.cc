// process_events in SQL: the public corpora (laurel, go-libaudit, audit-userspace), the
// recorded workload log, bad input, and the query plans.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <set>
#include <string>
#include <thread>

#include "audit/event_source.h"
#include "audit/event_store.h"
#include "sql/follow_window.h"
#include "support/test_db.h"

namespace procaudit::testing {
namespace {

namespace fs = std::filesystem;

std::string Events(const std::string& file) { return "process_events('" + file + "')"; }

// A scratch directory, removed afterwards.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/procaudit-test-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string Write(const std::string& name, const std::string& content) {
    const std::string p = path_ + "/" + name;
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(ProcessEventsCorpora, LaurelLongExecveArgvEqualsExpected) {
  TestDb db;
  const std::string f = Events(PublicCorpus("laurel/record-execve-long.txt"));
  // laurel's record-execve-long.json: ARGV = ["/bin/echo", "b" + 8191 letters].
  EXPECT_EQ(db.Query("SELECT argc, json_array_length(argv), json_extract(argv, '$[0]'), "
                     "length(json_extract(argv, '$[1]')), substr(json_extract(argv, '$[1]'), 1, 3) "
                     "FROM " + f),
            (Rows{{"2", "2", "/bin/echo", "8192", "baa"}}));
  EXPECT_EQ(db.Value("SELECT cmdline_size FROM " + f), std::to_string(9 + 1 + 8192));
}

TEST(ProcessEventsCorpora, LaurelConfusionTraceGivesTheTcshParentNotTheOldRm) {
  TestDb db;
  // "id" (pid 2656) was started by a fork of tcsh that got pid 2655, a pid an "rm" had
  // earlier: the parent is the new 2655, running tcsh.
  EXPECT_EQ(db.Query("SELECT pid, parent, parent_path, parent_cmdline FROM " +
                     Events(PublicCorpus("laurel/shell-proc-trace-confusion.txt")) +
                     " WHERE syscall = 'execve' AND path = '/usr/bin/id'"),
            (Rows{{"2656", "2655", "/bin/tcsh", "-csh -c /tmp/REDACTED.csh"}}));
}

// Every exec whose birth is in the log names the parent that birth names. A birth belongs to
// the exec's process instance when no exit_group of that pid lies between them (pids are reused).
void ExpectLineageConsistent(TestDb& db, const std::string& file) {
  const std::string f = Events(file);
  const std::string same_instance =
      "b.pid = e.pid AND b.syscall IN ('fork','vfork','clone','clone3') AND NOT EXISTS ("
      "SELECT 1 FROM " + f + " x WHERE x.pid = e.pid AND x.syscall = 'exit_group' AND "
      "x.eid > min(b.eid, e.eid) AND x.eid < max(b.eid, e.eid))";
  EXPECT_EQ(db.Value("SELECT count(*) FROM " + f + " e WHERE e.syscall LIKE 'exec%' AND EXISTS ("
                     "SELECT 1 FROM " + f + " b WHERE " + same_instance + ") AND NOT EXISTS ("
                     "SELECT 1 FROM " + f + " b WHERE " + same_instance + " AND b.parent = e.parent)"),
            "0")
      << file;
  // And every birth row is of a process, not of its caller.
  EXPECT_EQ(db.Value("SELECT count(*) FROM " + f + " WHERE syscall IN ('fork','vfork','clone',"
                     "'clone3') AND success = 1 AND pid = parent"),
            "0")
      << file;
}

TEST(ProcessEventsCorpora, LaurelTracesHaveConsistentLineage) {
  TestDb db;
  // Not shell-proc-trace-confusion.txt: the exit of its "rm" was edited out, so the check
  // cannot tell rm's instance of pid 2655 from tcsh's fork that reuses it (the test above
  // checks that trace's answer directly).
  for (const char* name : {"shell-proc-trace.txt", "shell-proc-trace-reordered.txt",
                           "fork-sleep-exec.txt", "proc-trace-dpkg-l.txt"}) {
    ExpectLineageConsistent(db, PublicCorpus(std::string("laurel/") + name));
  }
  for (int i = 0; i <= 16; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "laurel/tree/%02d.txt", i);
    ExpectLineageConsistent(db, PublicCorpus(name));
  }
}

TEST(ProcessEventsCorpora, LaurelReorderedTraceGivesEachExecItsShell) {
  TestDb db;
  const std::string f = Events(PublicCorpus("laurel/shell-proc-trace-reordered.txt"));
  // The pipeline children of the script (dash, 71505) and of its subshell (71506).
  EXPECT_EQ(db.Query("SELECT pid, parent, parent_path, path FROM " + f +
                     " WHERE syscall = 'execve' ORDER BY eid"),
            (Rows{{"71505", "71432", "/usr/bin/bash", "/usr/bin/dash"},
                  {"71507", "71505", "/usr/bin/dash", "/usr/bin/grep"},
                  {"71508", "71506", "/usr/bin/dash", "/usr/bin/echo"},
                  {"71509", "71506", "/usr/bin/dash", "/usr/bin/sed"}}));
}

TEST(ProcessEventsCorpora, GoLibauditOutOfOrderRecordsComeOutInSerialOrder) {
  TestDb db;
  EXPECT_EQ(db.Query("SELECT serial, pid, argv FROM " +
                     Events(PublicCorpus("go-libaudit/testdata_out_of_order.log")) + " ORDER BY eid"),
            (Rows{{"59", "13393", R"(["grep","--color=auto","mapping"])"},
                  {"60", "13392", R"(["cat","securitybeat"])"}}));
}

TEST(ProcessEventsCorpora, GoLibauditLostMessagesAreSerialGaps) {
  TestDb db;
  const std::string file = PublicCorpus("go-libaudit/testdata_lost_messages.log");
  EXPECT_EQ(db.Value("SELECT count(*) FROM " + Events(file)), "2");
  EXPECT_EQ(db.Value("SELECT serial_gaps FROM audit_status WHERE source = '" + file + "'"), "9");
}

TEST(ProcessEventsCorpora, GoLibauditRolloverIsNotAGap) {
  TestDb db;
  const std::string file = PublicCorpus("go-libaudit/testdata_rollover.log");
  EXPECT_EQ(db.Value("SELECT serial FROM " + Events(file)), "4294967295");
  EXPECT_EQ(db.Value("SELECT serial_gaps FROM audit_status WHERE source = '" + file + "'"), "0");
}

TEST(ProcessEventsCorpora, EveryPublicLogReplaysWithoutError) {
  TestDb db;
  for (const auto& entry : fs::recursive_directory_iterator(PublicCorpus(""))) {
    const std::string path = entry.path().string();
    if (!entry.is_regular_file() || !(path.ends_with(".log") || path.ends_with(".txt"))) continue;
    EXPECT_EQ(db.Error("SELECT count(*) FROM " + Events(path)), "") << path;
  }
}

TEST(ProcessEventsRecorded, WorkloadBirthsAreProcessesAndExecsHaveParents) {
  TestDb db;
  ExpectLineageConsistent(db, FixtureAuditLog());
  const std::string f = Events(FixtureAuditLog());
  EXPECT_EQ(db.Value("SELECT count(*) FROM " + f + " WHERE syscall LIKE 'exec%' AND parent IS NULL"), "0");
  EXPECT_EQ(db.Value("SELECT bad_records FROM audit_status"), "0");
}

TEST(ProcessEventsRecorded, DaemonRecordsAreNotSerialGaps) {
  TestDb db;
  // The recording starts and ends with auditd's DAEMON_START/DAEMON_END, numbered by auditd,
  // far from the kernel's serials: counted, they would make gaps wider than the log itself.
  const std::string span = db.Value("SELECT max(serial) - min(serial) FROM " +
                                    Events(FixtureAuditLog()));
  const std::string gaps = db.Value("SELECT serial_gaps FROM audit_status");
  EXPECT_LT(std::stoll(gaps), std::stoll(span));
}

TEST(ProcessEventsRecorded, FailedExecKeepsTheCallersCommandLine) {
  TestDb db;
  // A failed exec (PATH search) by a process first seen there: its cmdline is the caller's,
  // from PROCTITLE, not NULL.
  EXPECT_EQ(db.Value("SELECT count(*) FROM " + Events(FixtureAuditLog()) +
                     " WHERE syscall = 'execve' AND success = 0 AND cmdline IS NULL"),
            "0");
}

TEST(ProcessEventsRecorded, EnrichedLogGivesTheSameRowsAsRaw) {
  TestDb db;
  // The enriched log is another run (other pids, and whatever else ran meanwhile): compare the
  // workload's own programs, sorted, by what does not depend on pids.
  auto digest = [&](const std::string& file) {
    return db.Value("SELECT count(*) || ':' || group_concat(r, '|') FROM (SELECT syscall || ',' || "
                    "path || ',' || length(argv) || ',' || cwd || ',' || ifnull(exit_code, '-') AS r "
                    "FROM " + Events(file) + " WHERE path LIKE '/tmp/procaudit-workload/bin/%' "
                    "ORDER BY r)");
  };
  const std::string enriched =
      std::string(PROCAUDIT_SOURCE_DIR) + "/tests/fixtures/audit/workload-enriched.log";
  const std::string raw = digest(FixtureAuditLog());
  EXPECT_GT(std::stoi(raw), 30);
  EXPECT_EQ(digest(enriched), raw);
}

TEST(ProcessEventsBadInput, ValidEventsSurviveGarbageAndAreCounted) {
  TempDir dir;
  // Real records from the workload log, with bad lines in between.
  const std::string log = ReadFile(PublicCorpus("go-libaudit/testdata_normal.log"));
  const size_t cut = log.find("type=SYSCALL msg=audit(1492037291.038:60)");
  ASSERT_NE(cut, std::string::npos);
  std::string bad = log.substr(0, cut);
  bad += "type=SYSCALL msg=audit(1492037291.037:61): arch=c000003e sysc\n";   // truncated
  bad += std::string("\x7f" "ELF\x02\x01\x01\0\0\0\xff\xfe binary", 20) + "\n";  // garbage
  bad += "type=UNKNOWN[1999] msg=audit(1492037291.037:62): something=1\n";  // unknown type
  bad += log.substr(cut);
  bad += "type=SYSCALL msg=audit(1492037291.040:63): arch=c000003e syscall=59 success=yes";  // no newline
  const std::string path = dir.Write("bad.log", bad);
  TestDb db;
  EXPECT_EQ(db.Query("SELECT serial, path FROM " + Events(path) + " ORDER BY eid"),
            (Rows{{"59", "/usr/bin/grep"}, {"60", "/usr/bin/cat"}}));
  const Rows status = db.Query("SELECT bad_records, unknown_types, first_bad_record FROM audit_status");
  ASSERT_EQ(status.size(), 1u);
  EXPECT_EQ(status[0][0], "3");  // the truncated line, the garbage, the SYSCALL without pid
  EXPECT_EQ(status[0][1], "1");
  EXPECT_NE(status[0][2].find("bad.log line 9: not an audit record"), std::string::npos) << status[0][2];
  ASSERT_EQ(db.warnings().size(), 1u);
  EXPECT_NE(db.warnings()[0].find("skipped 3 bad records"), std::string::npos) << db.warnings()[0];
}

TEST(ProcessEventsBadInput, BinaryFileGivesNoRowsAndNoCrash) {
  TempDir dir;
  std::string junk;
  for (int i = 0; i < 200000; ++i) junk.push_back(static_cast<char>((i * 7919) % 251));
  const std::string path = dir.Write("junk.bin", junk);
  TestDb db;
  EXPECT_EQ(db.Value("SELECT count(*) FROM " + Events(path)), "0");
  EXPECT_NE(db.Value("SELECT bad_records FROM audit_status"), "0");
}

TEST(ProcessEventsBadInput, EmptyFileIsEmpty) {
  TempDir dir;
  TestDb db;
  EXPECT_EQ(db.Value("SELECT count(*) FROM " + Events(dir.Write("empty.log", ""))), "0");
}

TEST(ProcessEventsBadInput, MissingFileIsAnErrorNamingIt) {
  TestDb db;
  EXPECT_EQ(db.Error("SELECT * FROM process_events('/nonexistent/audit.log')"),
            "cannot open audit log '/nonexistent/audit.log': No such file or directory");
  EXPECT_EQ(db.Error("SELECT * FROM process_events('/nonexistent/audit.log*')"),
            "no audit log matches '/nonexistent/audit.log*'");
}

TEST(ProcessEventsBadInput, DirectoryAndUnreadableFileAreErrors) {
  TestDb db;
  EXPECT_EQ(db.Error("SELECT * FROM process_events('/tmp')"), "audit log '/tmp' is a directory");
  // Opens, but every read fails (EIO): even root cannot read it.
  EXPECT_EQ(db.Error("SELECT * FROM process_events('/proc/self/mem')"),
            "error reading audit log '/proc/self/mem': Input/output error");
}

TEST(ProcessEventsBadInput, NonTextArgumentIsAnError) {
  TestDb db;
  EXPECT_EQ(db.Error("SELECT * FROM process_events(42)"),
            "process_events(FILES): FILES must be a text path or glob");
}

TEST(ProcessEventsBadInput, NoSourceIsAClearError) {
  TestDb db;
  EXPECT_NE(db.Error("SELECT * FROM process_events").find("process_events has no event source"),
            std::string::npos);
}

TEST(ProcessEventsFiles, RotatedSetIsReadOldestFirst) {
  TempDir dir;
  const std::string log = ReadFile(PublicCorpus("go-libaudit/testdata_normal.log"));
  // Split the two exec events over a rotated pair: the older one in audit.log.1.
  const size_t cut = log.find("type=SYSCALL msg=audit(1492037291.038:60)");
  dir.Write("audit.log.1", log.substr(0, cut));
  dir.Write("audit.log", log.substr(cut));
  TestDb db;
  EXPECT_EQ(db.Query("SELECT eid, serial FROM " + Events(dir.path() + "/audit.log*")),
            (Rows{{"1", "59"}, {"2", "60"}}));
  EXPECT_EQ(db.Value("SELECT source FROM audit_status"),
            dir.path() + "/audit.log.1 " + dir.path() + "/audit.log");
  // Several paths separated by spaces work the same.
  EXPECT_EQ(db.Value("SELECT count(*) FROM " + Events(dir.path() + "/audit.log " + dir.path() +
                                                      "/audit.log.1")),
            "2");
}

TEST(ProcessEventsFiles, ReplayIsCachedUntilTheFileChanges) {
  TempDir dir;
  const std::string log = ReadFile(PublicCorpus("go-libaudit/testdata_normal.log"));
  const std::string path = dir.Write("audit.log", log);
  TestDb db;
  EXPECT_EQ(db.Value("SELECT count(*) FROM " + Events(path)), "2");
  EXPECT_EQ(db.Value("SELECT count(*) FROM " + Events(path) + " a JOIN " + Events(path) +
                     " b USING (pid)"),
            "2");
  EXPECT_EQ(db.Value("SELECT count(*) FROM audit_status"), "1");  // one replay, reused
  dir.Write("audit.log", log.substr(0, log.find("type=SYSCALL msg=audit(1492037291.038:60)")));
  EXPECT_EQ(db.Value("SELECT count(*) FROM " + Events(path)), "1");
}

class ProcessEventsPlans : public ::testing::Test {
 protected:
  TestDb db_{"/proc", FixtureAuditLog()};
};

TEST_F(ProcessEventsPlans, PidUsesTheIndex) {
  EXPECT_NE(db_.Plan("SELECT * FROM process_events WHERE pid = 5").find("pid ="), std::string::npos)
      << db_.Plan("SELECT * FROM process_events WHERE pid = 5");
  EXPECT_NE(db_.Plan("SELECT * FROM process_events WHERE pid IN (5, 6)").find("pid IN"),
            std::string::npos);
  EXPECT_NE(db_.Plan("SELECT * FROM process_events WHERE eid > 100").find("eid range"),
            std::string::npos);
  EXPECT_NE(db_.Plan("SELECT * FROM process_events WHERE time >= 1 AND time < 2").find("time range"),
            std::string::npos);
}

TEST_F(ProcessEventsPlans, IndexedFiltersAgreeWithFullScans) {
  // Each pair: a filter the table pushes down, and the same one with +column, which SQLite
  // then evaluates itself over a full scan.
  const std::pair<const char*, const char*> kCases[] = {
      {"pid IN (SELECT pid FROM process_events WHERE syscall = 'execve' LIMIT 5)",
       "+pid IN (SELECT pid FROM process_events WHERE syscall = 'execve' LIMIT 5)"},
      {"pid = (SELECT max(pid) FROM process_events)", "+pid = (SELECT max(pid) FROM process_events)"},
      {"pid = '12'", "+pid = 12"},
      {"eid > 10 AND eid <= 40", "+eid > 10 AND +eid <= 40"},
      {"eid = 7", "+eid = 7"},
      {"eid > 'abc'", "+eid > 'abc'"},
      {"time = (SELECT time FROM process_events WHERE eid = 20)",
       "+time = (SELECT time FROM process_events WHERE eid = 20)"},
      {"time > (SELECT time FROM process_events WHERE eid = 20) - 1",
       "+time > (SELECT time FROM process_events WHERE eid = 20) - 1"},
      {"time < (SELECT time FROM process_events WHERE eid = 30) + 0.5 AND pid > 0",
       "+time < (SELECT time FROM process_events WHERE eid = 30) + 0.5 AND +pid > 0"},
      {"time >= 2.5e9", "+time >= 2.5e9"},
      {"time > NULL", "+time > NULL"},
  };
  for (const auto& [indexed, scanned] : kCases) {
    const Rows want = db_.Query(std::string("SELECT eid FROM process_events WHERE ") + scanned +
                                " ORDER BY eid");
    EXPECT_EQ(db_.Query(std::string("SELECT eid FROM process_events WHERE ") + indexed +
                        " ORDER BY eid"),
              want)
        << indexed;
  }
  EXPECT_GT(db_.Query("SELECT eid FROM process_events WHERE eid > 10 AND eid <= 40").size(), 0u);
}

// Event i of a synthetic stream: serial 100 + i, an exit_group of pid 1000 + i % 5000 running
// /bin/w<i % 97>. One row each.
std::string ExitGroupEvent(int64_t i) {
  const int64_t ms = 1'795'256'412'000 + i;
  char stamp[64];
  std::snprintf(stamp, sizeof stamp, "%lld.%03lld:%lld", static_cast<long long>(ms / 1000),
                static_cast<long long>(ms % 1000), static_cast<long long>(100 + i));
  return std::string("type=SYSCALL msg=audit(") + stamp +
         "): arch=c000003e syscall=231 a0=0 a1=e7 a2=3c a3=0 items=0 ppid=1 pid=" +
         std::to_string(1000 + i % 5000) +
         " auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) "
         "ses=4294967295 comm=\"w\" exe=\"/bin/w" +
         std::to_string(i % 97) + "\" key=(null)\ntype=EOE msg=audit(" + stamp + "): \n";
}

// What --audit-stdin does: queries run while the stream's worker appends to a ring that
// evicts. Each statement's cursor reads one snapshot: its rows are consecutive, at most the
// capacity, and each holds what its serial says. (A live stream drops what it cannot queue,
// so eids need not match serials.)
TEST(ProcessEventsLive, QueriesReadConsistentSnapshotsWhileAStreamAppends) {
  constexpr int64_t kEvents = 20'000;
  constexpr size_t kCapacity = 3000;
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  TestDb db;
  auto store =
      audit::EventStore::Follow(audit::OpenStreamSource(fds[0], "pipe"), "pipe", kCapacity);
  db.SetSession(store);
  auto feeder = std::async(std::launch::async, [fd = fds[1]] {
    for (int64_t i = 0; i < kEvents; i += 100) {
      std::string chunk;
      for (int64_t j = i; j < i + 100; ++j) chunk += ExitGroupEvent(j);
      for (size_t done = 0; done < chunk.size();) {
        const ssize_t n = write(fd, chunk.data() + done, chunk.size() - done);
        if (n <= 0) return false;
        done += static_cast<size_t>(n);
      }
    }
    return close(fd) == 0;
  });
  const std::string kCheck =
      "SELECT count(*), coalesce(max(eid) - min(eid) + 1, 0), "
      "coalesce(sum(pid != 1000 + (serial - 100) % 5000 OR "
      "             path != '/bin/w' || ((serial - 100) % 97)), 0) "
      "FROM process_events";
  const std::string kByPid =
      "SELECT count(*), coalesce(sum(pid != 1234 OR (serial - 100) % 5000 != 234), 0) "
      "FROM process_events WHERE pid = 1234";
  int64_t last_count = 0;
  for (bool fed = false; !fed;) {
    fed = feeder.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
    const Rows all = db.Query(kCheck);
    ASSERT_EQ(all.size(), 1u);
    const int64_t count = std::stoll(all[0][0]);
    EXPECT_EQ(all[0][1], all[0][0]) << "rows not consecutive";
    EXPECT_EQ(all[0][2], "0") << "rows that do not hold what their serial says";
    EXPECT_LE(count, static_cast<int64_t>(kCapacity));
    EXPECT_GE(count, last_count);
    last_count = count;
    const Rows by_pid = db.Query(kByPid);
    ASSERT_EQ(by_pid.size(), 1u);
    EXPECT_LE(std::stoll(by_pid[0][0]), 1);  // the pid repeats every 5000 events
    EXPECT_EQ(by_pid[0][1], "0");
  }
  EXPECT_TRUE(feeder.get());
  EXPECT_EQ(store->WaitForEnd(), "");
  close(fds[0]);
  const uint64_t rows = store->stats().process_events;
  if (store->stats().queue_drops == 0) {
    EXPECT_EQ(rows, static_cast<uint64_t>(kEvents));
  }
  ASSERT_GE(rows, kCapacity);
  EXPECT_EQ(db.Query(kCheck), (Rows{{std::to_string(kCapacity), std::to_string(kCapacity), "0"}}));
  EXPECT_EQ(db.Value("SELECT max(eid) FROM process_events"), std::to_string(rows));
}

// --follow: rounds over a FollowWindow (src/sql/follow_window.h).
class ProcessEventsFollow : public ::testing::Test {
 protected:
  ProcessEventsFollow() { db_.context().follow = window_; }

  std::string Count(const std::string& from_where) {
    return db_.Value("SELECT count(*) FROM " + from_where);
  }

  std::shared_ptr<FollowWindow> window_ = std::make_shared<FollowWindow>();
  TestDb db_{"/proc", FixtureAuditLog()};
};

TEST_F(ProcessEventsFollow, FirstRoundSeesTheRingLaterRoundsOnlyNewRows) {
  const std::string total =
      TestDb("/proc", FixtureAuditLog()).Value("SELECT count(*) FROM process_events");
  ASSERT_NE(total, "0");
  EXPECT_EQ(Count("process_events"), total);
  EXPECT_FALSE(window_->HasNewRows());  // a replay does not grow
  window_->BeginRound();
  EXPECT_EQ(Count("process_events"), "0");
  EXPECT_EQ(Count("process_events WHERE pid IN (SELECT pid FROM process_events)"), "0");
}

TEST_F(ProcessEventsFollow, EveryCursorOfARoundSeesTheSameWindow) {
  const std::string total = Count("process_events");
  EXPECT_EQ(Count("process_events a JOIN process_events b USING (eid)"), total);
  window_->BeginRound();
  EXPECT_EQ(Count("process_events a JOIN process_events b USING (eid)"), "0");
}

TEST_F(ProcessEventsFollow, EidConstraintsNarrowTheWindowFurther) {
  const int total = std::stoi(Count("process_events"));
  EXPECT_EQ(Count("process_events WHERE eid > 5 AND eid <= 10"), "5");
  EXPECT_EQ(Count("process_events WHERE eid > 5"), std::to_string(total - 5));
}

TEST_F(ProcessEventsFollow, AStoreFirstReadInALaterRoundShowsAllItHolds) {
  const std::string log = "process_events('" + FixtureAuditLog() + "')";
  EXPECT_NE(Count(log), "0");  // registers the replay in the first round
  window_->BeginRound();
  EXPECT_EQ(Count(log), "0");
  const std::string other =
      "process_events('" + PublicCorpus("go-libaudit/testdata_normal.log") + "')";
  EXPECT_EQ(Count(other), "2");
  window_->BeginRound();
  EXPECT_EQ(Count(other), "0");
}

TEST_F(ProcessEventsFollow, RoundsOverAGrowingStreamNeitherRepeatNorSkip) {
  const std::string log = ReadFile(FixtureAuditLog());
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  auto store = audit::EventStore::Follow(audit::OpenStreamSource(fds[0], "pipe"), "pipe",
                                         audit::EventSources::kDefaultCapacity);
  db_.context().events->SetSession(store);
  std::vector<std::string> seen;
  auto round = [&] {
    window_->BeginRound();
    for (auto& row : db_.Query("SELECT eid FROM process_events")) seen.push_back(row[0]);
  };
  round();  // the store is registered here, empty or not
  const size_t cut = log.find("type=SYSCALL", log.size() / 2);
  ASSERT_EQ(write(fds[1], log.data(), cut), static_cast<ssize_t>(cut));
  // A live source's events wait out the tracker's reordering window (2 s of wall time).
  for (int i = 0; i < 500 && !window_->HasNewRows(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(window_->HasNewRows());
  round();
  const size_t first_half = seen.size();
  EXPECT_GT(first_half, 0u);
  ASSERT_EQ(write(fds[1], log.data() + cut, log.size() - cut),
            static_cast<ssize_t>(log.size() - cut));
  close(fds[1]);
  EXPECT_EQ(store->WaitForEnd(), "");
  round();
  round();
  close(fds[0]);
  const std::string total =
      TestDb("/proc", FixtureAuditLog()).Value("SELECT count(*) FROM process_events");
  EXPECT_EQ(std::to_string(seen.size()), total);
  EXPECT_LT(first_half, seen.size());
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), seen.size());
}

}  // namespace
}  // namespace procaudit::testing
