// The durable event store: the daemon's process and file events, written from the rings to a
// SQLite database file in batches, kept by age and by size, and loaded back into the rings when
// the daemon starts again, so queries see the history and eids continue where they stopped.
//
// The file is an ordinary SQLite database in WAL mode (readers never block the writer): the
// stock sqlite3 CLI opens it, and its process_events and file_events tables have the columns of
// procaudit's.
// Tables:
//   process_events      one row per stored process event; eid is the rowid (event_codec.h)
//   file_events         one row per stored file event; eid is the rowid (file_event_codec.h)
//   meta                key/value: the end eids of both rings, which the next run's rings
//                       start from, and unstored_events / unstored_file_events: rows a ring
//                       evicted before they could be written (holes in the eids)
//   scheduled_queries   each scheduled query's state: its previous results (differential
//                       logging), counter, and the eids it has logged up to
//
// A kill -9 loses at most the batch being written: each batch is one transaction, and a batch
// never holds an eid already stored (Append starts at each table's end eid).
//
// Schema 1 (procaudit before file events were stored) is upgraded in place by Open: its
// file_events table is added. OpenToRead reads either.
//
// Thread rules: every method may be called from any thread (the store thread writes batches,
// the scheduler its queries' state): each takes the EventDb's lock. LoadInto runs as the rings'
// writer, before their source starts.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "audit/event_ring.h"
#include "audit/file_event_row.h"

namespace procaudit::store {

struct Retention {
  int64_t max_age_s = 30 * 24 * 3600;  // rows older than this go
  int64_t max_bytes = 1LL << 30;       // the oldest rows go while the data is larger
};

// What a scheduled query has logged so far (src/daemon/scheduler.h).
struct QueryState {
  uint64_t counter = 0;
  uint64_t epoch = 0;
  std::string results;  // the previous results, serialised (daemon/differ.h)
  bool has_results = false;
  // Event queries: per ring ("process", "file") or accounting file path, the end eid or record
  // logged up to.
  std::map<std::string, int64_t> marks;
};

class EventDb {
 public:
  // Opens path, creating it (mode 0600, and its directory 0700) with the schema. Throws
  // std::runtime_error with one line naming path.
  static std::unique_ptr<EventDb> Open(const std::string& path);
  // Opens an existing store to read it (LoadInto), beside the daemon that writes it: no lock,
  // nothing created. Throws std::runtime_error with one line naming path.
  static std::unique_ptr<EventDb> OpenToRead(const std::string& path);
  ~EventDb();
  EventDb(const EventDb&) = delete;
  EventDb& operator=(const EventDb&) = delete;

  const std::string& path() const { return path_; }

  using Log = std::function<void(const std::string& line)>;
  // Where write failures go (a full disk): the first write that fails after one that worked, be
  // it a batch of events, a scheduled query's state or retention, is logged with its reason, and
  // the first that works after it, one line each, whichever thread wrote. Without a log they are
  // only returned. Set before other threads use the store.
  void SetWriteLog(Log log) { write_log_ = std::move(log); }
  // One line: why the last call failed (of this thread's calls, when only one thread fails).
  std::string error() {
    std::lock_guard lock(mutex_);
    return error_;
  }

  // Loads the newest stored rows of each table (at most the ring's capacity, and none before
  // the table's last hole) into processes and files, and makes both rings continue after the
  // stored eids. Throws std::runtime_error with one line. REQUIRES: both rings empty; their
  // writer's thread.
  void LoadInto(audit::EventRing& processes, audit::FileRing& files);

  // One past the newest stored process eid, and file eid.
  int64_t end_eid() {
    std::lock_guard lock(mutex_);
    return end_eid_;
  }
  int64_t file_end_eid() {
    std::lock_guard lock(mutex_);
    return file_end_eid_;
  }
  // Writes the rows of processes from end_eid() to its end and those of files from
  // file_end_eid() to its end (rows evicted before they could be written leave a hole,
  // counted), in one transaction. Returns the rows written, or -1 with error() set; a failed
  // batch leaves the store as it was.
  int64_t Append(const audit::EventRing::Reader& processes, const audit::FileRing::Reader& files);
  // Deletes the oldest rows beyond retention, returns how many (-1: error()). By size, each
  // table gives up the same share of its rows.
  int64_t ApplyRetention(const Retention& retention, int64_t now_ms);

  // Each table's rows and oldest eid (0 when none), and the file's size in bytes.
  struct Usage {
    int64_t rows = 0;  // process_events
    int64_t first_eid = 0;
    int64_t file_rows = 0;  // file_events
    int64_t file_first_eid = 0;
    int64_t bytes = 0;
  };
  Usage usage();

  std::optional<QueryState> GetQueryState(const std::string& name);
  bool PutQueryState(const std::string& name, const QueryState& state);

 private:
  EventDb(std::string path, sqlite3* db) : path_(std::move(path)), db_(db) {}
  bool Exec(const char* sql);
  std::optional<int64_t> QueryInt(const char* sql);
  int64_t Meta(const char* key, int64_t fallback);
  // The largest mark any scheduled query holds on ring ("process", "file"); 1 when none.
  int64_t MaxMark(const char* ring);
  bool SetMeta(const char* key, int64_t value);
  bool Fail(const std::string& what);
  // Reports a write's outcome to write_log_ when it changes the store's standing (see SetWriteLog).
  // REQUIRES: mutex_ held.
  void NoteWrite(bool ok);
  int64_t DeleteBeyondRetention(const Retention& retention, int64_t now_ms);
  // Reads the end eids from the tables and meta (Open, OpenToRead).
  void ReadEndEids();

  std::recursive_mutex mutex_;  // recursive: usage() is also called by ApplyRetention
  std::string path_;
  sqlite3* db_;
  std::string error_;
  int64_t end_eid_ = 1;
  int64_t file_end_eid_ = 1;
  bool has_file_events_ = true;  // false: a schema 1 store opened to read
  sqlite3_stmt* insert_ = nullptr;
  sqlite3_stmt* insert_file_ = nullptr;
  int lock_fd_ = -1;  // flock'ed while open: one daemon per store
  Log write_log_;
  bool write_failing_ = false;  // guarded by mutex_: the last write failed
};

}  // namespace procaudit::store
