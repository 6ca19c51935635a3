// src/store/: process and file events through the durable store and back (every field, NULLs
// kept), eids that continue across restarts, holes, retention, scheduled queries' state, a
// schema 1 store upgraded, and the file's own rules (mode 0600, WAL, one daemon at a time).
// Temporary files, no kernel.
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

#include "audit/file_calls.h"
#include "sql/follow_window.h"
#include "store/event_codec.h"

namespace procaudit::store {
namespace {

using audit::EventRing;
using audit::FileEventRow;
using audit::FileOperation;
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

  // Appends ring's new rows, and no file events.
  int64_t Append(EventDb& db, const EventRing& ring) {
    return db.Append(EventRing::Reader(ring), FileRing::Reader(no_files_));
  }

  std::string dir_, path_;
  FileRing no_files_{1};
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

// A file event with every optional field set (full: a failed openat with O_CREAT) or none (a
// successful unlink).
FileEventRow MakeFileRow(FileRing::Writer& w, int n, bool full) {
  FileEventRow row;
  row.time_ms = 1'700'000'000'000 + n * 5;
  row.serial = static_cast<uint32_t>(2000 + n);
  row.pid = 200 + n;
  row.ppid = 2;
  row.cred = {.auid = 1000, .uid = 1, .gid = 2, .euid = 3, .fsuid = 5, .egid = 6, .fsgid = 8};
  row.ses = 4;
  row.arch = w.Intern("x86_64");
  row.comm = w.Intern("touch");
  if (full) {
    row.call = audit::FindFileCall("openat");
    row.operation = FileOperation::kCreate;
    row.status = -13;  // EACCES
    row.flags = FileEventRow::kHasInode | FileEventRow::kHasFileMode | FileEventRow::kHasOwner |
                FileEventRow::kHasMode | FileEventRow::kHasFlags | FileEventRow::kHasFd |
                FileEventRow::kHasNewUid | FileEventRow::kHasNewGid;
    row.inode = 1ULL << 40;
    row.fd = 3;
    row.open_flags = 01101;  // O_WRONLY|O_CREAT|O_TRUNC
    row.mode = 0644;
    row.file_mode = 040755;
    row.owner_uid = 11;
    row.owner_gid = 12;
    row.new_uid = 13;
    row.new_gid = 14;
    row.path = w.Intern("/etc/x" + std::to_string(n));
    row.target = w.Intern("/etc/y");
    row.name = w.Intern("x");
    row.cwd = w.Intern("/etc");
    row.dev = w.Intern("fe:00");
    row.tty = w.Intern("pts1");
    row.exe = w.Intern("/usr/bin/touch");
    row.key = w.Intern("procaudit");
  } else {
    row.call = audit::FindFileCall("unlink");
    row.operation = FileOperation::kUnlink;
    row.flags = FileEventRow::kSuccess;
  }
  return row;
}

void FillFiles(FileRing& ring, int from, int to) {
  ring.Write([&](FileRing::Writer& w) {
    for (int n = from; n < to; ++n) w.Append(MakeFileRow(w, n, n % 2 == 0));
  });
}

template <class Reader>
std::string Text(const Reader& r, audit::StrId id) {
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

// Every field of a file event, as one comparable string.
std::string Describe(const FileRing::Reader& r, const FileEventRow& e) {
  std::string out = std::to_string(e.eid) + " " + std::to_string(e.time_ms) + " " +
                    std::to_string(e.serial) + " " + e.call->name + " " +
                    audit::FileOperationName(e.operation) + " " + std::to_string(e.pid) + " " +
                    std::to_string(e.ppid) + " flags " + std::to_string(e.flags) + " " +
                    std::to_string(e.status) + " " + std::to_string(e.inode) + " " +
                    std::to_string(e.fd) + " " + std::to_string(e.open_flags) + " " +
                    std::to_string(e.mode) + " " + std::to_string(e.file_mode) + " " +
                    std::to_string(e.owner_uid) + " " + std::to_string(e.owner_gid) + " " +
                    std::to_string(e.new_uid) + " " + std::to_string(e.new_gid) + " " +
                    std::to_string(e.cred.auid + e.cred.uid * 10 + e.cred.gid * 100 +
                                   e.cred.euid * 1000 + e.cred.fsuid * 100000 +
                                   e.cred.egid * 1000000 + e.cred.fsgid * 100000000) +
                    " " + std::to_string(e.ses);
  for (audit::StrId id : {e.arch, e.path, e.target, e.name, e.cwd, e.dev, e.tty, e.comm, e.exe,
                          e.key}) {
    out += " [" + Text(r, id) + "]";
  }
  return out;
}

// Rows of sql on the store file, as the stock sqlite3 CLI would read them: "a|b" per row.
std::vector<std::string> Select(const std::string& path, const std::string& sql) {
  sqlite3* raw = nullptr;
  std::vector<std::string> rows;
  if (sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << sqlite3_errmsg(raw);
    sqlite3_close(raw);
    return rows;
  }
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(raw, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << sql << ": " << sqlite3_errmsg(raw);
  } else {
    while (sqlite3_step(s) == SQLITE_ROW) {
      std::string row;
      for (int i = 0; i < sqlite3_column_count(s); ++i) {
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
        row += std::string(i ? "|" : "") + (text ? text : "<NULL>");
      }
      rows.push_back(row);
    }
  }
  sqlite3_finalize(s);
  sqlite3_close(raw);
  return rows;
}

TEST_F(EventDbTest, RowsComeBackAsTheyWereWithTheirEids) {
  EventRing ring(100);
  Fill(ring, 0, 10);
  FileRing files(100);
  FillFiles(files, 0, 4);
  {
    auto db = EventDb::Open(path_);
    EXPECT_EQ(db->Append(EventRing::Reader(ring), FileRing::Reader(files)), 14);
    EXPECT_EQ(db->end_eid(), 11);
    EXPECT_EQ(db->file_end_eid(), 5);
  }
  auto db = EventDb::Open(path_);
  EventRing restored(100);
  FileRing restored_files(100);
  db->LoadInto(restored, restored_files);
  const EventRing::Reader a(ring), b(restored);
  ASSERT_EQ(b.first_eid(), 1);
  ASSERT_EQ(b.end_eid(), 11);
  for (int64_t eid = 1; eid < 11; ++eid) {
    EXPECT_EQ(Describe(a, a.Row(eid)), Describe(b, b.Row(eid)));
  }
  const FileRing::Reader fa(files), fb(restored_files);
  ASSERT_EQ(fb.first_eid(), 1);
  ASSERT_EQ(fb.end_eid(), 5);
  for (int64_t eid = 1; eid < 5; ++eid) {
    EXPECT_EQ(Describe(fa, fa.Row(eid)), Describe(fb, fb.Row(eid)));
  }
  EXPECT_EQ(fb.EidsOfPid(201), std::vector<int64_t>{2}) << "the pid index is rebuilt";
  // New rows follow the stored ones.
  Fill(restored, 10, 12);
  EXPECT_EQ(EventRing::Reader(restored).end_eid(), 13);
  FillFiles(restored_files, 4, 5);
  EXPECT_EQ(FileRing::Reader(restored_files).end_eid(), 6);
}

// The stock sqlite3 CLI sees file_events' values as the table shows them: flags decoded, modes
// in octal, the error's name, time in seconds, NULL where the table has NULL.
TEST_F(EventDbTest, StoredFileEventsReadAsTheTableShowsThem) {
  FileRing files(10);
  FillFiles(files, 0, 2);
  EventRing ring(10);
  EventDb::Open(path_)->Append(EventRing::Reader(ring), FileRing::Reader(files));
  EXPECT_EQ(Select(path_, "SELECT eid, time, syscall, operation, path, flags, mode, file_mode, "
                          "success, error, inode, new_uid FROM file_events ORDER BY eid"),
            (std::vector<std::string>{
                "1|1700000000|openat|create|/etc/x0|O_WRONLY|O_CREAT|O_TRUNC|0644|040755|0|"
                "EACCES|1099511627776|13",
                "2|1700000000|unlink|unlink|<NULL>|<NULL>|<NULL>|<NULL>|1|<NULL>|<NULL>|<NULL>"}));
}

// Events a file ring evicted before the store wrote them leave a hole; the load starts after it.
TEST_F(EventDbTest, FileEventsEvictedBeforeTheyWereWrittenLeaveAHole) {
  EventRing ring(10);
  FileRing files(4);
  auto db = EventDb::Open(path_);
  FillFiles(files, 0, 3);
  EXPECT_EQ(db->Append(EventRing::Reader(ring), FileRing::Reader(files)), 3);  // 1..3
  FillFiles(files, 3, 12);  // the ring holds 9..12 now
  EXPECT_EQ(db->Append(EventRing::Reader(ring), FileRing::Reader(files)), 4);
  EXPECT_EQ(db->usage().file_rows, 7);
  EXPECT_EQ(Select(path_, "SELECT value FROM meta WHERE key = 'unstored_file_events'"),
            std::vector<std::string>{"5"});
  EventRing restored(10);
  FileRing restored_files(100);
  db->LoadInto(restored, restored_files);
  const FileRing::Reader r(restored_files);
  EXPECT_EQ(r.first_eid(), 9);
  EXPECT_EQ(r.end_eid(), 13);
}

// A store of procaudit before file events were stored: it opens, gains file_events, and both
// rings continue where it left them.
TEST_F(EventDbTest, ASchema1StoreIsUpgradedAndReadableAsItIs) {
  std::filesystem::create_directories(std::filesystem::path(path_).parent_path());
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &raw), SQLITE_OK);
  const std::string v1 =
      ProcessEventsTableSql() +
      "; CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
      "CREATE TABLE scheduled_queries (name TEXT PRIMARY KEY, counter INTEGER NOT NULL, epoch "
      "INTEGER NOT NULL, results TEXT);"
      "CREATE TABLE scheduled_query_marks (name TEXT NOT NULL, mark TEXT NOT NULL, value INTEGER "
      "NOT NULL, PRIMARY KEY (name, mark));"
      "INSERT INTO process_events (eid, time_ms, syscall, pid) VALUES (7, 1700000000000, "
      "'execve', 42);"
      "INSERT INTO meta VALUES ('process_end_eid', 8), ('file_end_eid', 30);"
      "PRAGMA user_version = 1";
  ASSERT_EQ(sqlite3_exec(raw, v1.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
      << sqlite3_errmsg(raw);
  sqlite3_close(raw);
  {
    auto reader = EventDb::OpenToRead(path_);
    EventRing ring(10);
    FileRing files(10);
    reader->LoadInto(ring, files);
    EXPECT_EQ(EventRing::Reader(ring).first_eid(), 7);
    EXPECT_EQ(ring.end_eid(), 8);
    EXPECT_EQ(files.end_eid(), 30) << "no file events stored, but their eids continue";
  }
  auto db = EventDb::Open(path_);
  EXPECT_EQ(Select(path_, "PRAGMA user_version"), std::vector<std::string>{"2"});
  EventRing ring(10);
  FileRing files(10);
  db->LoadInto(ring, files);
  EXPECT_EQ(files.end_eid(), 30);
  FillFiles(files, 0, 2);
  EXPECT_EQ(db->Append(EventRing::Reader(ring), FileRing::Reader(files)), 2);
  EXPECT_EQ(Select(path_, "SELECT min(eid), max(eid) FROM file_events"),
            std::vector<std::string>{"30|31"});
}

TEST_F(EventDbTest, NoRowIsWrittenTwice) {
  EventRing ring(100);
  Fill(ring, 0, 5);
  auto db = EventDb::Open(path_);
  EXPECT_EQ(Append(*db, ring), 5);
  EXPECT_EQ(Append(*db, ring), 0);
  Fill(ring, 5, 8);
  EXPECT_EQ(Append(*db, ring), 3);
  EXPECT_EQ(db->usage().rows, 8);
}

TEST_F(EventDbTest, RowsEvictedBeforeTheyWereWrittenLeaveAHoleTheLoadStartsAfter) {
  EventRing ring(4);
  auto db = EventDb::Open(path_);
  Fill(ring, 0, 3);
  EXPECT_EQ(Append(*db, ring), 3);  // eids 1..3
  Fill(ring, 3, 12);                                      // the ring holds 9..12 now
  EXPECT_EQ(Append(*db, ring), 4);
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
  Append(*EventDb::Open(path_), ring);  // eids 1..10
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
  Append(*db, ring);
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
    Append(*db, ring);
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
    Append(*db, ring);
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
  EXPECT_EQ(db->Append(EventRing::Reader(ring), FileRing::Reader(files)), 2);
  EXPECT_EQ(db->usage().rows, 7);
}

TEST_F(EventDbTest, RetentionByAgeDeletesTheOlderRowsOfBothTables) {
  EventRing ring(100);
  Fill(ring, 0, 20);  // times 1'700'000'000'000 + 7n
  FileRing files(100);
  FillFiles(files, 0, 20);  // times 1'700'000'000'000 + 5n
  auto db = EventDb::Open(path_);
  db->Append(EventRing::Reader(ring), FileRing::Reader(files));
  // Keep rows at or after 1'700'000'000'070: process rows n >= 10, file rows n >= 14.
  const int64_t now = 1'700'000'000'000 + 70 + 1000;
  EXPECT_EQ(db->ApplyRetention({.max_age_s = 1, .max_bytes = 1LL << 30}, now), 10 + 14);
  EXPECT_EQ(db->usage().first_eid, 11);
  EXPECT_EQ(db->usage().file_first_eid, 15);
}

TEST_F(EventDbTest, RetentionBySizeKeepsTheStoreUnderItsLimit) {
  EventRing ring(20000);
  Fill(ring, 0, 20000);
  FileRing files(20000);
  FillFiles(files, 0, 20000);
  auto db = EventDb::Open(path_);
  db->Append(EventRing::Reader(ring), FileRing::Reader(files));
  const EventDb::Usage before = db->usage();
  ASSERT_GT(before.bytes, 1 << 20);
  EXPECT_GT(db->ApplyRetention({.max_age_s = 1LL << 40, .max_bytes = before.bytes / 4}, 0), 0);
  const EventDb::Usage after = db->usage();
  EXPECT_LE(after.bytes, before.bytes / 4);
  EXPECT_GT(after.rows, 0);
  EXPECT_EQ(after.first_eid + after.rows, 20001) << "the oldest went, the newest stayed";
  EXPECT_GT(after.file_rows, 0);
  EXPECT_LT(after.file_rows, 20000) << "file events gave up their share";
  EXPECT_EQ(after.file_first_eid + after.file_rows, 20001);
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
  Append(*db, ring);
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
    if (Append(*db, ring) != 10) _exit(1);
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
    if (Append(*db, ring) != -1) _exit(2);
    if (db->PutQueryState("q", state)) _exit(3);
    if (Append(*db, ring) != -1) _exit(4);
    if (lines.size() != 1 || lines[0].find("store: writing failed, the events stay in memory: " +
                                           path_ + ": database or disk is full") != 0) {
      for (const std::string& l : lines) fprintf(stderr, "logged: %s\n", l.c_str());
      _exit(5);
    }
    unlink(filler.c_str());
    if (Append(*db, ring) != 1990) _exit(6);
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
