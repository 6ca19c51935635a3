// The daemon's scheduler: runs each scheduled query at its interval on the daemon's connection
// and logs the results in osquery's formats (result_log.h):
//
//   snapshot      every run, all rows, one snapshot line (to the snapshots log)
//   differential  rows added since the previous run, and removed ones unless `removed: false`;
//                 the previous results are kept in the store, so a restart does not log
//                 everything again
//   event query   a query reading an event table (process_events, file_events, acct_exits,
//                 process_lifecycle) logs only the events since its previous run, every one as
//                 "added", never diffed: each query follows the rings like `--follow` does,
//                 with its own window (sql/follow_window.h) whose marks (eids, accounting
//                 records) are stored after each run, so across a restart no event is logged
//                 twice or skipped. A new query starts with the events after it was scheduled
//                 (its marks are stored then: a restart before its first run skips nothing).
//
// Results are written (and flushed) before the state is stored: a crash between the two logs
// that run again, rather than lose it. A run whose log write fails stores nothing, so the next
// run logs its rows again.
//
// A query that cannot be prepared (a table procaudit does not have, a syntax error) is
// reported once, by name, and skipped; the others run. Pack queries run only while each of
// their pack's discovery queries returns a row.
//
// Thread rules: one thread (the daemon's main loop).
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "daemon/config.h"
#include "daemon/log_sink.h"
#include "sql/table_context.h"
#include "store/event_db.h"

namespace procaudit::daemon {

class Scheduler {
 public:
  using Clock = std::chrono::steady_clock;
  struct Env {
    sqlite3* db = nullptr;           // the connection with procaudit's tables
    TableContext* context = nullptr;  // that connection's (its follow window is set per run)
    LogSink* sink = nullptr;
    std::shared_ptr<store::EventDb> store;  // null: state lives in memory only (--no-store)
    std::string host_identifier;
    std::function<void(const std::string&)> log;  // status lines for the operator
  };
  explicit Scheduler(Env env);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Takes the queries of config (at start, and on SIGHUP): prepares each, reporting those
  // skipped. A query whose name and SQL did not change keeps its schedule. Returns how many
  // will run.
  size_t Load(const DaemonConfig& config);
  // Runs every query due at now. Returns when the next one is due.
  Clock::time_point RunDue(Clock::time_point now);

  struct Stats {
    uint64_t runs = 0, rows_logged = 0, failed_runs = 0;
  };
  const Stats& stats() const { return stats_; }

 private:
  struct Job;
  void Run(Job& job);
  bool Discovered(const Job& job);
  void LoadState(Job& job);

  Env env_;
  std::vector<std::unique_ptr<Job>> jobs_;
  Stats stats_;
};

}  // namespace procaudit::daemon
