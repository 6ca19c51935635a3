#include "store/event_db.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "store/event_codec.h"
#include "store/file_event_codec.h"

namespace procaudit::store {
namespace {

// Bumped when the schema changes; a store from a newer procaudit is refused, not rewritten.
// 2: file_events (Open adds it to a schema 1 store).
constexpr int kSchemaVersion = 2;

// A prepared statement, finalized on scope exit.
class Stmt {
 public:
  Stmt(sqlite3* db, const std::string& sql) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK) stmt_ = nullptr;
  }
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  sqlite3_stmt* get() const { return stmt_; }
  explicit operator bool() const { return stmt_ != nullptr; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

const char* const kSchema[] = {
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS scheduled_queries (name TEXT PRIMARY KEY, counter INTEGER NOT "
    "NULL, epoch INTEGER NOT NULL, results TEXT)",
    "CREATE TABLE IF NOT EXISTS scheduled_query_marks (name TEXT NOT NULL, mark TEXT NOT NULL, "
    "value INTEGER NOT NULL, PRIMARY KEY (name, mark))",
};

// The lock that keeps a second daemon off the same store: an flock on the file, which SQLite's
// own (fcntl) locks do not see.
int LockFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error(path + ": " + std::strerror(errno));
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int e = errno;
    ::close(fd);
    throw std::runtime_error(path + ": " + (e == EWOULDBLOCK
                                                ? std::string("in use by another procaudit daemon")
                                                : std::string(std::strerror(e))));
  }
  return fd;
}

}  // namespace

std::unique_ptr<EventDb> EventDb::Open(const std::string& path) {
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (!dir.empty() && !std::filesystem::exists(dir)) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw std::runtime_error(path + ": cannot create " + dir.string() + ": " + ec.message());
    ::chmod(dir.c_str(), 0700);
  }
  const int lock_fd = LockFile(path);  // also creates the file 0600: SQLite's own files copy its mode
  sqlite3* db = nullptr;
  // NOMUTEX: every use of the connection is under mutex_ already, and SQLite's own mutex, taken
  // in each of the ~40 bind and ~70 column calls per row, cost 15% of a load's CPU and 10% of a
  // batch's (perf, bench/store_bench).
  constexpr int kFlags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &db, kFlags, nullptr) != SQLITE_OK) {
    std::string why = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    ::close(lock_fd);
    throw std::runtime_error(path + ": " + why);
  }
  std::unique_ptr<EventDb> store(new EventDb(path, db));
  store->lock_fd_ = lock_fd;
  // auto_vacuum only takes effect before the first table: retention then gives pages back.
  // synchronous=NORMAL in WAL mode: a killed process loses nothing committed; a power cut may
  // lose the last batches, never consistency.
  if (!store->Exec("PRAGMA busy_timeout = 5000") || !store->Exec("PRAGMA auto_vacuum = INCREMENTAL") ||
      !store->Exec("PRAGMA journal_mode = WAL") || !store->Exec("PRAGMA synchronous = NORMAL")) {
    throw std::runtime_error(path + ": " + store->error_);
  }
  const std::optional<int64_t> version = store->QueryInt("PRAGMA user_version");
  if (!version) throw std::runtime_error(path + ": " + store->error_);
  if (*version > kSchemaVersion) {
    throw std::runtime_error(path + ": made by a newer procaudit (schema " +
                             std::to_string(*version) + ", this one reads " +
                             std::to_string(kSchemaVersion) + ")");
  }
  bool ok = store->Exec("BEGIN") && store->Exec(ProcessEventsTableSql().c_str()) &&
            store->Exec(FileEventsTableSql().c_str());
  for (const char* sql : kSchema) ok = ok && store->Exec(sql);
  ok = ok && store->Exec(("PRAGMA user_version = " + std::to_string(kSchemaVersion)).c_str()) &&
       store->Exec("COMMIT");
  if (!ok) throw std::runtime_error(path + ": " + store->error_);
  store->ReadEndEids();
  if (sqlite3_prepare_v2(db, InsertProcessEventSql().c_str(), -1, &store->insert_, nullptr) !=
          SQLITE_OK ||
      sqlite3_prepare_v2(db, InsertFileEventSql().c_str(), -1, &store->insert_file_, nullptr) !=
          SQLITE_OK) {
    throw std::runtime_error(path + ": " + sqlite3_errmsg(db));
  }
  return store;
}

std::unique_ptr<EventDb> EventDb::OpenToRead(const std::string& path) {
  sqlite3* db = nullptr;
  // NOMUTEX, as in Open: mutex_ serialises every use.
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK) {
    std::string why = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    throw std::runtime_error(path + ": " + why);
  }
  std::unique_ptr<EventDb> store(new EventDb(path, db));
  if (!store->Exec("PRAGMA busy_timeout = 5000")) throw std::runtime_error(store->error_);
  const std::optional<int64_t> version = store->QueryInt("PRAGMA user_version");
  if (!version || *version == 0 || *version > kSchemaVersion) {
    throw std::runtime_error(path + ": not a procaudit store" +
                             (version && *version > kSchemaVersion ? " this version reads" : ""));
  }
  store->has_file_events_ =
      store->QueryInt("SELECT count(*) FROM sqlite_schema WHERE name = 'file_events'").value_or(0) > 0;
  store->ReadEndEids();
  return store;
}

EventDb::~EventDb() {
  sqlite3_finalize(insert_);
  sqlite3_finalize(insert_file_);
  sqlite3_close(db_);
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

void EventDb::ReadEndEids() {
  end_eid_ = std::max(Meta("process_end_eid", 1),
                      QueryInt("SELECT max(eid) FROM process_events").value_or(0) + 1);
  file_end_eid_ = std::max(
      Meta("file_end_eid", 1),
      has_file_events_ ? QueryInt("SELECT max(eid) FROM file_events").value_or(0) + 1 : 1);
}

bool EventDb::Fail(const std::string& what) {
  error_ = path_ + ": " + what + ": " + sqlite3_errmsg(db_);
  return false;
}

void EventDb::NoteWrite(bool ok) {
  if (ok == !write_failing_) return;
  write_failing_ = !ok;
  if (!write_log_) return;
  write_log_(ok ? "store: writing again"
                : "store: writing failed, the events stay in memory: " + error_);
}

bool EventDb::Exec(const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) == SQLITE_OK) return true;
  error_ = path_ + ": " + (message ? message : "error");
  sqlite3_free(message);
  return false;
}

std::optional<int64_t> EventDb::QueryInt(const char* sql) {
  Stmt s(db_, sql);
  if (!s) {
    Fail(sql);
    return std::nullopt;
  }
  const int rc = sqlite3_step(s.get());
  if (rc == SQLITE_ROW) {
    if (sqlite3_column_type(s.get(), 0) == SQLITE_NULL) return std::nullopt;
    return sqlite3_column_int64(s.get(), 0);
  }
  if (rc != SQLITE_DONE) Fail(sql);
  return std::nullopt;
}

int64_t EventDb::Meta(const char* key, int64_t fallback) {
  Stmt s(db_, "SELECT value FROM meta WHERE key = ?");
  if (!s) return fallback;
  sqlite3_bind_text(s.get(), 1, key, -1, SQLITE_STATIC);
  return sqlite3_step(s.get()) == SQLITE_ROW ? sqlite3_column_int64(s.get(), 0) : fallback;
}

int64_t EventDb::MaxMark(const char* ring) {
  Stmt s(db_, "SELECT max(value) FROM scheduled_query_marks WHERE mark = ?");
  if (!s) return 1;
  sqlite3_bind_text(s.get(), 1, ring, -1, SQLITE_STATIC);
  return sqlite3_step(s.get()) == SQLITE_ROW ? std::max<int64_t>(1, sqlite3_column_int64(s.get(), 0))
                                             : 1;
}

bool EventDb::SetMeta(const char* key, int64_t value) {
  Stmt s(db_, "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)");
  if (!s) return Fail("meta");
  sqlite3_bind_text(s.get(), 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_int64(s.get(), 2, value);
  return sqlite3_step(s.get()) == SQLITE_DONE || Fail("meta");
}

namespace {

// The first eid to load of table into a ring of capacity rows that continues at end: the newest
// rows without a hole, since the ring's eids are contiguous and a table has holes where a ring
// evicted rows before they were written (or a user deleted some); end itself when the newest
// eids are not stored. Throws std::runtime_error with one line.
int64_t FirstEidToLoad(sqlite3* db, const std::string& path, const std::string& table,
                       int64_t end, size_t capacity) {
  // One integer of sql, ?1 bound to arg; nullopt for NULL or no row.
  auto query = [&](const std::string& sql, int64_t arg) -> std::optional<int64_t> {
    Stmt s(db, sql);
    if (!s) throw std::runtime_error(path + ": " + sqlite3_errmsg(db));
    sqlite3_bind_int64(s.get(), 1, arg);  // SQLITE_RANGE, harmless, where sql has no ?1
    if (sqlite3_step(s.get()) != SQLITE_ROW || sqlite3_column_type(s.get(), 0) == SQLITE_NULL) {
      return std::nullopt;
    }
    return sqlite3_column_int64(s.get(), 0);
  };
  // The newest eids are not stored (logged, then lost to a kill -9; or gone to retention): the
  // ring cannot have a hole, so it starts empty after them. The file keeps the history.
  if (query("SELECT max(eid) + 1 FROM " + table, 0).value_or(1) < end) return end;
  const int64_t oldest = std::max<int64_t>(1, end - static_cast<int64_t>(capacity));
  const std::optional<int64_t> start =
      query("SELECT min(eid) FROM " + table + " WHERE eid >= ?1", oldest);
  if (!start) return end;  // nothing stored from there on
  // Usually there is no hole: as many rows from start on as eids up to the newest. Counting
  // walks the rowids alone; the search for the last hole below looks up every row's
  // predecessor, a b-tree search per row: 0.33 s against 0.09 s for 1,000,000 rows in the
  // page cache, and with the file not cached, restarts took 6.5 s instead of 2 s
  // (bench/store_bench, BM_StoreLoad cold:1).
  if (query("SELECT count(*) - (max(eid) - ?1 + 1) FROM " + table + " WHERE eid >= ?1", *start)
          .value_or(0) == 0) {
    return *start;
  }
  return query("SELECT max(eid) FROM " + table + " AS a WHERE eid > ?1 AND NOT EXISTS " +
                   "(SELECT 1 FROM " + table + " AS b WHERE b.eid = a.eid - 1)",
               *start)
      .value_or(*start);
}

// Loads table's rows from start on into ring, which continues at start, through decode
// (DecodeProcessEvent, DecodeFileEvent). Throws std::runtime_error with one line.
template <class Ring, class Row, class Decode>
void LoadRows(sqlite3* db, const std::string& path, const std::string& select_sql,
              const char* table, int64_t start, Ring& ring, Decode decode) {
  Stmt select(db, select_sql + " WHERE eid >= ?1 ORDER BY eid");
  if (!select) throw std::runtime_error(path + ": " + sqlite3_errmsg(db));
  sqlite3_bind_int64(select.get(), 1, start);
  std::string error;
  ring.Write([&](typename Ring::Writer& w) {
    w.StartAt(start);
    int rc;
    while ((rc = sqlite3_step(select.get())) == SQLITE_ROW) {
      Row row;
      if (!decode(select.get(), w, &row, error)) {
        error = path + ": " + table + ": " + error;
        return;
      }
      w.Append(row);
    }
    if (rc != SQLITE_DONE) error = path + ": reading " + table + ": " + sqlite3_errmsg(db);
  });
  if (!error.empty()) throw std::runtime_error(error);
}

}  // namespace

void EventDb::LoadInto(audit::EventRing& processes, audit::FileRing& files) {
  std::lock_guard lock(mutex_);
  // A scheduled query may have logged events that a kill -9 kept from the store: the rings
  // continue after those too, so an eid in a log never names two events.
  end_eid_ = std::max(end_eid_, MaxMark("process"));
  file_end_eid_ = std::max(file_end_eid_, MaxMark("file"));
  LoadRows<audit::EventRing, audit::ProcessEventRow>(
      db_, path_, SelectProcessEventsSql(), "process_events",
      FirstEidToLoad(db_, path_, "process_events", end_eid_, processes.capacity()), processes,
      DecodeProcessEvent);
  if (!has_file_events_) {  // a schema 1 store: no file events, but their eids continue
    files.Write([&](audit::FileRing::Writer& w) { w.StartAt(file_end_eid_); });
    return;
  }
  LoadRows<audit::FileRing, audit::FileEventRow>(
      db_, path_, SelectFileEventsSql(), "file_events",
      FirstEidToLoad(db_, path_, "file_events", file_end_eid_, files.capacity()), files,
      DecodeFileEvent);
}

int64_t EventDb::Append(const audit::EventRing::Reader& processes,
                        const audit::FileRing::Reader& files) {
  std::lock_guard lock(mutex_);
  const int64_t lo = std::max(end_eid_, processes.first_eid()), hi = processes.end_eid();
  const int64_t file_lo = std::max(file_end_eid_, files.first_eid()), file_hi = files.end_eid();
  // Evicted from a ring before this batch: holes, counted.
  const int64_t unstored = lo - end_eid_, unstored_files = file_lo - file_end_eid_;
  if (lo >= hi && file_lo >= file_hi && unstored == 0 && unstored_files == 0) return 0;
  if (!Exec("BEGIN")) return NoteWrite(false), -1;
  bool ok = true;
  for (int64_t eid = lo; ok && eid < hi; ++eid) {
    BindProcessEvent(processes, processes.Row(eid), insert_);
    ok = sqlite3_step(insert_) == SQLITE_DONE || Fail("writing eid " + std::to_string(eid));
  }
  for (int64_t eid = file_lo; ok && eid < file_hi; ++eid) {
    BindFileEvent(files, files.Row(eid), insert_file_);
    ok = sqlite3_step(insert_file_) == SQLITE_DONE ||
         Fail("writing file event eid " + std::to_string(eid));
  }
  sqlite3_reset(insert_);
  sqlite3_reset(insert_file_);
  const int64_t end = std::max(hi, end_eid_), file_end = std::max(file_hi, file_end_eid_);
  ok = ok && SetMeta("process_end_eid", end) && SetMeta("file_end_eid", file_end) &&
       (unstored == 0 || SetMeta("unstored_events", Meta("unstored_events", 0) + unstored)) &&
       (unstored_files == 0 ||
        SetMeta("unstored_file_events", Meta("unstored_file_events", 0) + unstored_files)) &&
       Exec("COMMIT");
  if (!ok) {
    const std::string why = error_;
    Exec("ROLLBACK");
    error_ = why;
    NoteWrite(false);
    return -1;
  }
  NoteWrite(true);
  end_eid_ = end;
  file_end_eid_ = file_end;
  return std::max<int64_t>(0, hi - lo) + std::max<int64_t>(0, file_hi - file_lo);
}

int64_t EventDb::ApplyRetention(const Retention& retention, int64_t now_ms) {
  std::lock_guard lock(mutex_);
  const int64_t deleted = DeleteBeyondRetention(retention, now_ms);
  if (deleted != 0) NoteWrite(deleted > 0);  // nothing deleted: nothing written either
  return deleted;
}

int64_t EventDb::DeleteBeyondRetention(const Retention& retention, int64_t now_ms) {
  struct Table {
    const char* name;
    int64_t end;
    int64_t Usage::*rows;
    int64_t Usage::*first_eid;
  };
  const Table tables[] = {{"process_events", end_eid_, &Usage::rows, &Usage::first_eid},
                          {"file_events", file_end_eid_, &Usage::file_rows, &Usage::file_first_eid}};
  int64_t deleted = 0;
  // By age: rows come in serial order, nearly time order, so the first row young enough ends
  // the old ones.
  for (const Table& t : tables) {
    Stmt age(db_, std::string("DELETE FROM ") + t.name + " WHERE eid < coalesce((SELECT eid FROM " +
                      t.name + " WHERE time_ms >= ?1 ORDER BY eid LIMIT 1), ?2)");
    if (!age) return Fail("retention"), -1;
    sqlite3_bind_int64(age.get(), 1, now_ms - retention.max_age_s * 1000);
    sqlite3_bind_int64(age.get(), 2, t.end);
    if (sqlite3_step(age.get()) != SQLITE_DONE) return Fail("retention by age"), -1;
    deleted += sqlite3_changes(db_);
  }
  // By size: the pages in use (the free ones go back to the file system below). Each round
  // deletes the oldest rows of each table in proportion to the excess.
  for (int round = 0; round < 8; ++round) {
    const Usage u = usage();
    if (u.bytes <= retention.max_bytes || u.rows + u.file_rows == 0) break;
    const double excess = static_cast<double>(u.bytes - retention.max_bytes) / static_cast<double>(u.bytes);
    for (const Table& t : tables) {
      const int64_t rows = u.*t.rows;
      if (rows == 0) continue;
      const int64_t n = std::max<int64_t>(1, static_cast<int64_t>(excess * static_cast<double>(rows)) + 1);
      Stmt oldest(db_, std::string("DELETE FROM ") + t.name + " WHERE eid < ?1");
      if (!oldest) return Fail("retention"), -1;
      sqlite3_bind_int64(oldest.get(), 1, u.*t.first_eid + n);
      if (sqlite3_step(oldest.get()) != SQLITE_DONE) return Fail("retention by size"), -1;
      deleted += sqlite3_changes(db_);
    }
    if (!Exec("PRAGMA incremental_vacuum")) return -1;
  }
  // The freed pages leave the file only once the WAL is checkpointed into it.
  if (deleted > 0 && (!Exec("PRAGMA incremental_vacuum") || !Exec("PRAGMA wal_checkpoint(TRUNCATE)"))) {
    return -1;
  }
  return deleted;
}

EventDb::Usage EventDb::usage() {
  std::lock_guard lock(mutex_);
  Usage u;
  auto count = [&](const char* sql, int64_t* rows, int64_t* first_eid) {
    Stmt s(db_, sql);
    if (s && sqlite3_step(s.get()) == SQLITE_ROW) {
      *rows = sqlite3_column_int64(s.get(), 0);
      *first_eid = sqlite3_column_int64(s.get(), 1);
    }
  };
  count("SELECT count(*), coalesce(min(eid), 0) FROM process_events", &u.rows, &u.first_eid);
  if (has_file_events_) {
    count("SELECT count(*), coalesce(min(eid), 0) FROM file_events", &u.file_rows,
          &u.file_first_eid);
  }
  const int64_t pages = QueryInt("PRAGMA page_count").value_or(0);
  const int64_t free_pages = QueryInt("PRAGMA freelist_count").value_or(0);
  u.bytes = (pages - free_pages) * QueryInt("PRAGMA page_size").value_or(4096);
  return u;
}

std::optional<QueryState> EventDb::GetQueryState(const std::string& name) {
  std::lock_guard lock(mutex_);
  Stmt s(db_, "SELECT counter, epoch, results FROM scheduled_queries WHERE name = ?1");
  if (!s) return Fail("scheduled_queries"), std::nullopt;
  sqlite3_bind_text(s.get(), 1, name.data(), static_cast<int>(name.size()), SQLITE_STATIC);
  if (sqlite3_step(s.get()) != SQLITE_ROW) return std::nullopt;
  QueryState state;
  state.counter = static_cast<uint64_t>(sqlite3_column_int64(s.get(), 0));
  state.epoch = static_cast<uint64_t>(sqlite3_column_int64(s.get(), 1));
  if (sqlite3_column_type(s.get(), 2) != SQLITE_NULL) {
    state.has_results = true;
    state.results.assign(reinterpret_cast<const char*>(sqlite3_column_text(s.get(), 2)),
                         static_cast<size_t>(sqlite3_column_bytes(s.get(), 2)));
  }
  Stmt marks(db_, "SELECT mark, value FROM scheduled_query_marks WHERE name = ?1");
  if (!marks) return Fail("scheduled_query_marks"), std::nullopt;
  sqlite3_bind_text(marks.get(), 1, name.data(), static_cast<int>(name.size()), SQLITE_STATIC);
  while (sqlite3_step(marks.get()) == SQLITE_ROW) {
    state.marks[reinterpret_cast<const char*>(sqlite3_column_text(marks.get(), 0))] =
        sqlite3_column_int64(marks.get(), 1);
  }
  return state;
}

bool EventDb::PutQueryState(const std::string& name, const QueryState& state) {
  std::lock_guard lock(mutex_);
  if (!Exec("BEGIN")) return NoteWrite(false), false;
  auto bind_name = [&](sqlite3_stmt* s) {
    sqlite3_bind_text(s, 1, name.data(), static_cast<int>(name.size()), SQLITE_STATIC);
  };
  bool ok = true;
  {
    Stmt s(db_, "INSERT OR REPLACE INTO scheduled_queries (name, counter, epoch, results) "
                "VALUES (?1, ?2, ?3, ?4)");
    ok = s || Fail("scheduled_queries");
    if (ok) {
      bind_name(s.get());
      sqlite3_bind_int64(s.get(), 2, static_cast<int64_t>(state.counter));
      sqlite3_bind_int64(s.get(), 3, static_cast<int64_t>(state.epoch));
      if (state.has_results) {
        sqlite3_bind_text(s.get(), 4, state.results.data(), static_cast<int>(state.results.size()),
                          SQLITE_STATIC);
      }
      ok = sqlite3_step(s.get()) == SQLITE_DONE || Fail("scheduled_queries");
    }
  }
  {
    Stmt clear(db_, "DELETE FROM scheduled_query_marks WHERE name = ?1");
    ok = ok && (clear || Fail("scheduled_query_marks"));
    if (ok) {
      bind_name(clear.get());
      ok = sqlite3_step(clear.get()) == SQLITE_DONE || Fail("scheduled_query_marks");
    }
  }
  for (const auto& [mark, value] : state.marks) {
    if (!ok) break;
    Stmt s(db_, "INSERT INTO scheduled_query_marks (name, mark, value) VALUES (?1, ?2, ?3)");
    ok = s || Fail("scheduled_query_marks");
    if (!ok) break;
    bind_name(s.get());
    sqlite3_bind_text(s.get(), 2, mark.data(), static_cast<int>(mark.size()), SQLITE_STATIC);
    sqlite3_bind_int64(s.get(), 3, value);
    ok = sqlite3_step(s.get()) == SQLITE_DONE || Fail("scheduled_query_marks");
  }
  if (ok && Exec("COMMIT")) return NoteWrite(true), true;
  const std::string why = error_;
  Exec("ROLLBACK");
  error_ = why;
  NoteWrite(false);
  return false;
}

}  // namespace procaudit::store
