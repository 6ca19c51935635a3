// src/store/: process events through the durable store and back (every field, NULLs kept),
// eids that continue across restarts, holes, retention, scheduled queries' state, and the
// file's own rules (mode 0600, WAL, one daemon at a time). Temporary files, no kernel.
#include "store/event_db.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <sqlite3.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "sql/follow_window.h"

namespace procaudit::store {
namespace {

using audit::EventRing;
using audit::FileRing;
using audit::ProcessEventRow;
using audit::ProcessSyscall;

class EventDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/event_db_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/store/events.db";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string dir_, path_;
};

// A row with every optional field set (full) or none.
ProcessEventRow MakeRow(EventRing::Writer& w, int n, bool full) {
  ProcessEventRow row;
  row.time_ms = 1'700'000'000'000 + n * 7;
  row.serial = static_cast<uint32_t>(1000 + n);
  row.pid = 100 + n;
  row.ppid = 1;
  row.syscall = full ? ProcessSyscall::kExecve : ProcessSyscall::kExitGroup;
  row.arch = w.Intern("x86_64");
  row.cred = {.auid = 1000, .uid = 1, .gid = 2, .euid = 3, .suid = 4, .fsuid = 5, .egid = 6,
              .sgid = 7, .fsgid = 8};
  row.ses = 9;
  row.comm = w.Intern("comm" + std::to_string(n));
  if (full) {
    row.flags = ProcessEventRow::kSuccess | ProcessEventRow::kHasResult |
                ProcessEventRow::kHasMode | ProcessEventRow::kHasOwner |
                ProcessEventRow::kHasArgc | ProcessEventRow::kHasParent |
                ProcessEventRow::kHasExitCode | ProcessEventRow::kHasSignal;
    row.status = -2;
    row.parent = 42;
    row.ns_pid.store(3);
    row.exit_code = 7;
    row.signal = 9;
    row.argc = 2;
    row.mode = 0100755;
    row.owner_uid = 11;
    row.owner_gid = 12;
    row.path = w.Intern("/usr/bin/x");
    row.cwd = w.Intern("/tmp");
    row.cmdline = w.Intern("x 'a b'");
    row.argv_json = w.Intern(R"(["x","a b"])");
    row.parent_path = w.Intern("/bin/sh");
    row.parent_cmdline = w.Intern("sh");
    row.tty = w.Intern("pts0");
    row.key = w.Intern("procaudit");
    row.cgroup = w.Intern("/user.slice");
    row.container_id = w.Intern("");  // empty, not NULL
  }
  return row;
}

void Fill(EventRing& ring, int from, int to) {
  ring.Write([&](EventRing::Writer& w) {
    for (int n = from; n < to; ++n) w.Append(MakeRow(w, n, n % 2 == 0));
  });
}

std::string Text(const EventRing::Reader& r, audit::StrId id) {
  auto t = r.Text(id);
  return t ? std::string(*t) : "<NULL>";
}

// Every field that the table shows, as one comparable string.
std::string Describe(const EventRing::Reader& r, const ProcessEventRow& e) {
  std::string out = std::to_string(e.eid) + " " + std::to_string(e.time_ms) + " " +
                    std::to_string(e.serial) + " " + audit::ProcessSyscallName(e.syscall) + " " +
                    std::to_string(e.pid) + " " + std::to_string(e.ppid) + " flags " +
                    std::to_string(e.flags) + " " + std::to_string(e.status) + " " +
                    std::to_string(e.parent) + " " + std::to_string(e.ns_pid.load()) + " " +
                    std::to_string(e.exit_code) + " " + std::to_string(e.signal) + " " +
                    std::to_string(e.argc) + " " + std::to_string(e.mode) + " " +
                    std::to_string(e.owner_uid) + " " + std::to_string(e.owner_gid) + " " +
                    std::to_string(e.cred.auid + e.cred.uid * 10 + e.cred.gid * 100 +
                                   e.cred.euid * 1000 + e.cred.suid * 10000 +
                                   e.cred.fsuid * 100000 + e.cred.egid * 1000000 +
                                   e.cred.sgid * 10000000 + e.cred.fsgid * 100000000) +
                    " " + std::to_string(e.ses);
  for (audit::StrId id : {e.arch, e.path, e.cwd, e.cmdline, e.argv_json, e.parent_path,
                          e.parent_cmdline, e.tty, e.comm, e.key, e.cgroup, e.container_id}) {
    out += " [" + Text(r, id) + "]";
  }
  return out;
}

TEST_F(EventDbTest, RowsComeBackAsTheyWereWithTheirEids) {
  EventRing ring(100);
  Fill(ring, 0, 10);
  {
    auto db = EventDb::Open(path_);
    EXPECT_EQ(db->Append(EventRing::Reader(ring), 5), 10);
    EXPECT_EQ(db->end_eid(), 11);
  }
  auto db = EventDb::Open(path_);
  EventRing restored(100);
  FileRing files(100);
  db->LoadInto(restored, files);
  const EventRing::Reader a(ring), b(restored);
  ASSERT_EQ(b.first_eid(), 1);
  ASSERT_EQ(b.end_eid(), 11);
  for (int64_t eid = 1; eid < 11; ++eid) {
    EXPECT_EQ(Describe(a, a.Row(eid)), Describe(b, b.Row(eid)));
  }
  EXPECT_EQ(files.end_eid(), 5) << "the file ring continues too";
  // New rows follow the stored ones.
  Fill(restored, 10, 12);
  EXPECT_EQ(EventRing::Reader(restored).end_eid(), 13);
}

TEST_F(EventDbTest, NoRowIsWrittenTwice) {
  EventRing ring(100);
  Fill(ring, 0, 5);
  auto db = EventDb::Open(path_);
  EXPECT_EQ(db->Append(EventRing::Reader(ring), 1), 5);
  EXPECT_EQ(db->Append(EventRing::Reader(ring), 1), 0);
  Fill(ring, 5, 8);
  EXPECT_EQ(db->Append(EventRing::Reader(ring), 1), 3);
  EXPECT_EQ(db->usage().rows, 8);
}

TEST_F(EventDbTest, RowsEvictedBeforeTheyWereWrittenLeaveAHoleTheLoadStartsAfter) {
  EventRing ring(4);
  auto db = EventDb::Open(path_);
  Fill(ring, 0, 3);
  EXPECT_EQ(db->Append(EventRing::Reader(ring), 1), 3);  // eids 1..3
  Fill(ring, 3, 12);                                      // the ring holds 9..12 now
  EXPECT_EQ(db->Append(EventRing::Reader(ring), 1), 4);
  EXPECT_EQ(db->usage().rows, 7);
  EventRing restored(100);
  FileRing files(10);
  db->LoadInto(restored, files);
  const EventRing::Reader r(restored);
  EXPECT_EQ(r.first_eid(), 9);
  EXPECT_EQ(r.end_eid(), 13);
}

// A hole that no eviction left: the load finds it by the rows it counts, not by the unstored
// events Append noted.
TEST_F(EventDbTest, ARowDeletedByHandIsAHoleTheLoadStartsAfter) {
  EventRing ring(100);
  Fill(ring, 0, 10);
  EventDb::Open(path_)->Append(EventRing::Reader(ring), 1);  // eids 1..10
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &raw), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(raw, "DELETE FROM process_events WHERE eid = 6", nullptr, nullptr,
                         nullptr),
            SQLITE_OK);
  sqlite3_close(raw);
  auto db = EventDb::Open(path_);
  EventRing restored(100);
  FileRing files(10);
  db->LoadInto(restored, files);
  const EventRing::Reader r(restored);
  EXPECT_EQ(r.first_eid(), 7);
  EXPECT_EQ(r.end_eid(), 11);
}

TEST_F(EventDbTest, TheLoadTakesTheNewestRowsTheRingHolds) {
  EventRing ring(100);
  Fill(ring, 0, 50);
  auto db = EventDb::Open(path_);
  db->Append(EventRing::Reader(ring), 1);
  EventRing small(10);
  FileRing files(10);
  db->LoadInto(small, files);
  const EventRing::Reader r(small);
  EXPECT_EQ(r.first_eid(), 41);
  EXPECT_EQ(r.end_eid(), 51);
  EXPECT_EQ(r.EidsOfPid(100 + 45), std::vector<int64_t>{46}) << "the pid index is rebuilt";
}

TEST_F(EventDbTest, AnEmptyStoreStartsAtOneAndAnEmptiedOneAfterItsLastEid) {
  {
    auto db = EventDb::Open(path_);
    EventRing ring(10);
    FileRing files(10);
    db->LoadInto(ring, files);
    EXPECT_EQ(ring.end_eid(), 1);
    Fill(ring, 0, 5);
    db->Append(EventRing::Reader(ring), 1);
    EXPECT_EQ(db->ApplyRetention({.max_age_s = 1, .max_bytes = 1LL << 30}, 1'800'000'000'000), 5);
    EXPECT_EQ(db->usage().rows, 0);
  }
  auto db = EventDb::Open(path_);
  EventRing ring(10);
  FileRing files(10);
  db->LoadInto(ring, files);
  EXPECT_EQ(ring.end_eid(), 6) << "eids never repeat, even after retention emptied the store";
}

TEST_F(EventDbTest, EidsALogNamedButTheStoreLostAreNeverReused) {
  {
    auto db = EventDb::Open(path_);
    EventRing ring(100);
    Fill(ring, 0, 5);
    db->Append(EventRing::Reader(ring), 1);
    // A query logged up to eid 9 (events 6..8 then died with the process, unstored).
    QueryState s;
    s.marks = {{"process", 9}, {"file", 4}};
    ASSERT_TRUE(db->PutQueryState("q", s));
  }
  auto db = EventDb::Open(path_);
  EventRing ring(100);
  FileRing files(100);
  db->LoadInto(ring, files);
  EXPECT_EQ(ring.end_eid(), 9);
  EXPECT_EQ(EventRing::Reader(ring).first_eid(), 9) << "no hole: the history stays in the file";
  EXPECT_EQ(files.end_eid(), 4);
  Fill(ring, 5, 7);
  EXPECT_EQ(db->Append(EventRing::Reader(ring), 4), 2);
  EXPECT_EQ(db->usage().rows, 7);
}

TEST_F(EventDbTest, RetentionByAgeDeletesTheOlderRows) {
  EventRing ring(100);
  Fill(ring, 0, 20);  // times 1'700'000'000'000 + 7n
  auto db = EventDb::Open(path_);
  db->Append(EventRing::Reader(ring), 1);
  // Keep rows at or after n = 10.
  const int64_t now = 1'700'000'000'000 + 70 + 1000;
  EXPECT_EQ(db->ApplyRetention({.max_age_s = 1, .max_bytes = 1LL << 30}, now), 10);
  EXPECT_EQ(db->usage().first_eid, 11);
}

TEST_F(EventDbTest, RetentionBySizeKeepsTheStoreUnderItsLimit) {
  EventRing ring(20000);
  Fill(ring, 0, 20000);
  auto db = EventDb::Open(path_);
  db->Append(EventRing::Reader(ring), 1);
  const EventDb::Usage before = db->usage();
  ASSERT_GT(before.bytes, 1 << 20);
  EXPECT_GT(db->ApplyRetention({.max_age_s = 1LL << 40, .max_bytes = before.bytes / 4}, 0), 0);
  const EventDb::Usage after = db->usage();
  EXPECT_LE(after.bytes, before.bytes / 4);
  EXPECT_GT(after.rows, 0);
  EXPECT_EQ(after.first_eid + after.rows, 20001) << "the oldest went, the newest stayed";
  struct stat st {};
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_LT(st.st_size, before.bytes) << "pages went back to the file system";
}

TEST_F(EventDbTest, QueryStateRoundTrips) {
  auto db = EventDb::Open(path_);
  EXPECT_FALSE(db->GetQueryState("q"));
  QueryState s;
  s.counter = 3;
  s.epoch = 1;
  s.results = std::string("a\0b", 3);
  s.has_results = true;
  s.marks = {{"process", 17}, {"/var/log/account/pacct", 4}};
  ASSERT_TRUE(db->PutQueryState("q", s));
  s.marks.erase("process");
  ASSERT_TRUE(db->PutQueryState("q", s));
  const std::optional<QueryState> got = db->GetQueryState("q");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->counter, 3u);
  EXPECT_EQ(got->results, s.results);
  EXPECT_EQ(got->marks, s.marks);
}

TEST_F(EventDbTest, TheFileIsPrivateInWalModeAndHasOneDaemon) {
  const mode_t old = umask(0);
  auto db = EventDb::Open(path_);
  umask(old);
  struct stat st {};
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat(std::filesystem::path(path_).parent_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EventRing ring(10);
  Fill(ring, 0, 1);
  db->Append(EventRing::Reader(ring), 1);
  ASSERT_EQ(stat((path_ + "-wal").c_str(), &st), 0) << "WAL mode keeps a -wal file";
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  try {
    EventDb::Open(path_);
    ADD_FAILURE() << "a second open succeeded";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("in use by another procaudit daemon"), std::string::npos)
        << e.what();
  }
}

// A full disk, for real: a small tmpfs under the store, in a child's own mount namespace, filled
// up. Every write fails (a batch, a query's state), the failure is logged once, whoever wrote;
// once space is back the next batch writes everything the ring held (no hole), logged once too.
TEST_F(EventDbTest, AFullDiskIsLoggedOnceForEveryWriterAndTheNextBatchCatchesUp) {
  const std::string dir = std::filesystem::path(path_).parent_path();
  std::filesystem::create_directories(dir);
  const pid_t child = fork();
  if (child == 0) {
    if (unshare(CLONE_NEWNS) != 0 ||
        mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=1m,mode=0700") != 0) {
      _exit(77);
    }
    std::vector<std::string> lines;
    auto db = EventDb::Open(path_);
    db->SetWriteLog([&](const std::string& line) { lines.push_back(line); });
    EventRing ring(10'000);
    Fill(ring, 0, 10);
    if (db->Append(EventRing::Reader(ring), 1) != 10) _exit(1);
    const std::string filler = dir + "/filler";
    {
      FILE* f = fopen(filler.c_str(), "w");
      const std::string block(4096, 'x');
      while (fwrite(block.data(), 1, block.size(), f) == block.size() && fflush(f) == 0) {
      }
      fclose(f);
    }
    Fill(ring, 10, 2000);
    QueryState state;
    state.counter = 1;
    state.marks = {{"process", 11}};
    if (db->Append(EventRing::Reader(ring), 1) != -1) _exit(2);
    if (db->PutQueryState("q", state)) _exit(3);
    if (db->Append(EventRing::Reader(ring), 1) != -1) _exit(4);
    if (lines.size() != 1 || lines[0].find("store: writing failed, the events stay in memory: " +
                                           path_ + ": database or disk is full") != 0) {
      for (const std::string& l : lines) fprintf(stderr, "logged: %s\n", l.c_str());
      _exit(5);
    }
    unlink(filler.c_str());
    if (db->Append(EventRing::Reader(ring), 1) != 1990) _exit(6);
    if (!db->PutQueryState("q", state)) _exit(7);
    if (lines != std::vector<std::string>{lines[0], "store: writing again"}) _exit(8);
    const EventDb::Usage u = db->usage();
    _exit(u.rows == 2000 && u.first_eid == 1 ? 0 : 9);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << "the child died by signal " << WTERMSIG(status);
  if (WEXITSTATUS(status) == 77) {
    GTEST_SKIP() << "cannot mount a tmpfs in a private mount namespace here";
  }
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the child's check that failed (see the test)";
}

TEST_F(EventDbTest, AFileThatIsNotAStoreIsAOneLineError) {
  std::filesystem::create_directories(std::filesystem::path(path_).parent_path());
  FILE* f = fopen(path_.c_str(), "w");
  fputs("this is not a database, just text that is long enough to be read as a header....\n", f);
  fclose(f);
  try {
    EventDb::Open(path_);
    ADD_FAILURE() << "opened";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(path_), std::string::npos) << e.what();
  }
}

// The scheduler's windows: resumed at stored marks, they show what came after.
TEST(FollowWindowMarks, AResumedWindowShowsOnlyRowsAfterItsMarks) {
  auto store = std::make_shared<audit::EventStore>("test", 100);
  Fill(const_cast<EventRing&>(store->ring()), 0, 10);
  FollowWindow window;
  window.ResumeAt(store, {{"process", 8}});
  window.BeginRound();
  EXPECT_TRUE(window.Seen(store.get()).empty()) << "nothing read yet";
  const EidRange seen = window.Clip(store, RingKind::kProcess, {1, 11});
  EXPECT_EQ(seen.lo, 8);
  EXPECT_EQ(seen.hi, 11);
  EXPECT_EQ(window.Seen(store.get()), (FollowWindow::Marks{{"process", 11}}));
  window.BeginRound();
  EXPECT_TRUE(window.Seen(store.get()).empty()) << "a round that reads no ring marks none";
}

}  // namespace
}  // namespace procaudit::store
