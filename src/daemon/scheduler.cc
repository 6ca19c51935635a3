#include "daemon/scheduler.h"

#include <algorithm>

#include "daemon/differ.h"
#include "daemon/result_log.h"
#include "sql/follow_window.h"

namespace procaudit::daemon {
namespace {

int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

sqlite3_stmt* Prepare(sqlite3* db, const std::string& sql, std::string& error) {
  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &stmt, &tail) !=
      SQLITE_OK) {
    error = sqlite3_errmsg(db);
    return nullptr;
  }
  if (stmt == nullptr) {
    error = "no statement";
  } else if (tail && std::string_view(tail).find_first_not_of(" \t\r\n;") != std::string_view::npos) {
    error = "more than one statement";  // osquery runs one; the rest would be dropped silently
    sqlite3_finalize(stmt);
    stmt = nullptr;
  } else if (!sqlite3_stmt_readonly(stmt)) {
    error = "not a read-only statement";  // a pack must not change the daemon's database
    sqlite3_finalize(stmt);
    stmt = nullptr;
  }
  return stmt;
}

// Steps stmt to the end, collecting its rows as osquery logs them: every value as text.
bool Collect(sqlite3* db, sqlite3_stmt* stmt, std::vector<Row>* rows, std::string& error) {
  sqlite3_reset(stmt);
  const int columns = sqlite3_column_count(stmt);
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    Row row;
    row.reserve(static_cast<size_t>(columns));
    for (int i = 0; i < columns; ++i) {
      std::optional<std::string> value;
      if (sqlite3_column_type(stmt, i) != SQLITE_NULL) {
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
        value.emplace(text, static_cast<size_t>(sqlite3_column_bytes(stmt, i)));
      }
      row.emplace_back(sqlite3_column_name(stmt, i), std::move(value));
    }
    rows->push_back(std::move(row));
  }
  sqlite3_reset(stmt);
  if (rc != SQLITE_DONE) {
    error = sqlite3_errmsg(db);
    return false;
  }
  return true;
}

}  // namespace

struct Scheduler::Job {
  ScheduledQuery query;
  sqlite3_stmt* stmt = nullptr;
  std::vector<sqlite3_stmt*> discovery;
  std::shared_ptr<FollowWindow> window = std::make_shared<FollowWindow>();
  Clock::time_point next_run;
  store::QueryState state;

  ~Job() {
    sqlite3_finalize(stmt);
    for (sqlite3_stmt* s : discovery) sqlite3_finalize(s);
  }
};

Scheduler::Scheduler(Env env) : env_(std::move(env)) {}
Scheduler::~Scheduler() = default;

size_t Scheduler::Load(const DaemonConfig& config) {
  std::vector<std::unique_ptr<Job>> jobs;
  const Clock::time_point now = Clock::now();
  for (const ScheduledQuery& q : config.queries) {
    // An unchanged query keeps its schedule, window and state.
    auto same = std::find_if(jobs_.begin(), jobs_.end(), [&](const std::unique_ptr<Job>& j) {
      return j && j->query.name == q.name && j->query.sql == q.sql &&
             j->query.discovery == q.discovery;
    });
    if (same != jobs_.end()) {
      (*same)->query = q;
      (*same)->next_run = std::min((*same)->next_run, now + std::chrono::seconds(q.interval_s));
      jobs.push_back(std::move(*same));
      continue;
    }
    auto job = std::make_unique<Job>();
    job->query = q;
    std::string error;
    job->stmt = Prepare(env_.db, q.sql, error);
    for (const std::string& sql : q.discovery) {
      if (!job->stmt) break;
      sqlite3_stmt* d = Prepare(env_.db, sql, error);
      if (!d) {
        sqlite3_finalize(job->stmt);
        job->stmt = nullptr;
        error = "discovery query: " + error;
        break;
      }
      job->discovery.push_back(d);
    }
    if (!job->stmt) {
      env_.log("query " + q.name + " skipped: " + error + " (" + q.origin + ")");
      continue;
    }
    job->next_run = now + std::chrono::seconds(q.interval_s);
    LoadState(*job);
    jobs.push_back(std::move(job));
  }
  jobs_ = std::move(jobs);
  return jobs_.size();
}

Scheduler::Clock::time_point Scheduler::RunDue(Clock::time_point now) {
  Clock::time_point next = now + std::chrono::hours(24);
  for (const std::unique_ptr<Job>& job : jobs_) {
    if (job->next_run <= now) {
      Run(*job);
      // The next run keeps to the grid: a slow run does not shift every later one.
      const auto interval = std::chrono::seconds(job->query.interval_s);
      do job->next_run += interval;
      while (job->next_run <= Clock::now());
    }
    next = std::min(next, job->next_run);
  }
  return next;
}

bool Scheduler::Discovered(const Job& job) {
  for (sqlite3_stmt* d : job.discovery) {
    sqlite3_reset(d);
    const int rc = sqlite3_step(d);
    sqlite3_reset(d);
    if (rc != SQLITE_ROW) return false;
  }
  return true;
}

// The stored state, or a new query's: its windows start at the rings' ends now, when it is
// scheduled, and that is stored at once, so the events between now and its first run are
// logged by that run, even when it comes after a restart (a query with a long interval).
void Scheduler::LoadState(Job& job) {
  std::shared_ptr<audit::EventStore> events = env_.context->events->CurrentSession();
  std::optional<store::QueryState> stored;
  if (env_.store) stored = env_.store->GetQueryState(job.query.name);
  if (stored) {
    job.state = std::move(*stored);
  } else if (events) {
    job.state.marks = {{"process", events->ring().end_eid()},
                       {"file", events->file_ring().end_eid()}};
    if (env_.store) env_.store->PutQueryState(job.query.name, job.state);
  }
  if (events && !job.state.marks.empty()) job.window->ResumeAt(events, job.state.marks);
}

void Scheduler::Run(Job& job) {
  if (!Discovered(job)) return;
  ++stats_.runs;
  std::vector<Row> rows;
  std::string error;
  env_.context->follow = job.window;
  job.window->BeginRound();
  const bool ok = Collect(env_.db, job.stmt, &rows, error);
  env_.context->follow.reset();
  if (!ok) {
    ++stats_.failed_runs;
    env_.log("query " + job.query.name + " failed: " + error);
    return;
  }
  std::shared_ptr<audit::EventStore> events = env_.context->events->CurrentSession();
  // It read an event table when its window saw a ring or an accounting file.
  FollowWindow::Marks marks = job.window->Seen(events.get());
  const bool event_query = !marks.empty();

  const LogStamp stamp{UnixNow(), env_.host_identifier, job.state.epoch, job.state.counter};
  bool written = true;
  size_t logged = 0;
  if (job.query.snapshot) {
    written = env_.sink->Write(LogKind::kSnapshots, FormatSnapshot(job.query.name, stamp, rows));
    logged = rows.size();
  } else if (event_query) {
    for (const Row& row : rows) {
      written = written && env_.sink->Write(LogKind::kResults,
                                            FormatDifferentialRow(job.query.name, stamp, "added", row));
    }
    logged = rows.size();
  } else {
    std::vector<Row> previous;
    if (job.state.has_results) {
      if (auto parsed = ParseResults(job.state.results)) previous = std::move(*parsed);
    }
    const DiffResult diff = DiffRows(previous, rows);
    for (const std::string& line : FormatDifferential(job.query.name, stamp, diff, job.query.removed)) {
      written = written && env_.sink->Write(LogKind::kResults, line);
    }
    logged = diff.added.size() + (job.query.removed ? diff.removed.size() : 0);
  }
  written = written && env_.sink->Flush();
  if (!written) {
    ++stats_.failed_runs;
    env_.log("query " + job.query.name + ": logging failed: " + env_.sink->error());
    return;
  }
  stats_.rows_logged += logged;
  ++job.state.counter;  // osquery's: runs since the results were fresh
  if (!job.query.snapshot && !event_query) {
    job.state.results = SerializeResults(rows);
    job.state.has_results = true;
  }
  // Rings the run did not read keep their marks (a discovery-paused pack, a CASE not taken).
  for (auto& [mark, value] : marks) job.state.marks[mark] = value;
  // A failure (a full disk) is the store's to report, once for every writer: a line per run of
  // every query would bury the one that matters. The state stays in memory, and the next run
  // stores it again.
  if (env_.store) env_.store->PutQueryState(job.query.name, job.state);
}

}  // namespace procaudit::daemon
