#include "shell/follow.h"

#include <signal.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "audit/event_store.h"
#include "shell/output.h"
#include "shell/signals.h"
#include "shell/tree_output.h"
#include "sql/follow_window.h"

namespace procaudit {
namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(150);

// One prepared statement, run again every round; its printer is begun once.
struct Followed {
  sqlite3_stmt* stmt = nullptr;
  std::unique_ptr<Printer> printer;  // null for a statement without columns
};

class Follower {
 public:
  Follower(Shell& shell, StopRequest& stop)
      : shell_(shell), stop_(stop), flush_each_row_(shell.mode() == OutputMode::kJson) {}
  ~Follower() {
    for (Followed& f : statements_) {
      if (f.printer) f.printer->End();
      sqlite3_finalize(f.stmt);
    }
    std::fflush(shell_.out());
  }
  Follower(const Follower&) = delete;
  Follower& operator=(const Follower&) = delete;

  // Runs rounds until the follow ends; returns the exit status (see Follow).
  int Run(const std::vector<std::string>& sql);

 private:
  // The first round prepares the statements one by one (a statement may use what the previous
  // one created); later rounds reuse them. Each returns false on a failed statement.
  bool FirstRound(const std::vector<std::string>& sql);
  bool Round();
  bool Step(Followed& f);
  bool Fail();
  bool OutputClosed() const { return std::ferror(shell_.out()) != 0; }

  Shell& shell_;
  StopRequest& stop_;
  const bool flush_each_row_;
  std::vector<Followed> statements_;
  std::vector<Value> row_;
};

bool Follower::Fail() {
  // A statement the stop interrupted is no failure.
  if (!stop_.requested()) std::fprintf(shell_.err(), "Error: %s\n", sqlite3_errmsg(shell_.db()));
  return false;
}

bool Follower::Step(Followed& f) {
  const int ncol = sqlite3_column_count(f.stmt);
  row_.resize(static_cast<size_t>(ncol));
  int rc;
  while ((rc = sqlite3_step(f.stmt)) == SQLITE_ROW) {
    for (int i = 0; i < ncol; ++i) row_[static_cast<size_t>(i)] = ColumnValue(f.stmt, i);
    f.printer->Row(row_);
    if (flush_each_row_) std::fflush(shell_.out());
  }
  if (f.printer) f.printer->EndRound();
  sqlite3_reset(f.stmt);
  return rc == SQLITE_DONE || Fail();
}

bool Follower::FirstRound(const std::vector<std::string>& sql) {
  sqlite3* db = shell_.db();
  for (const std::string& text : sql) {
    const char* tail = text.data();
    const char* end = text.data() + text.size();
    while (tail < end) {
      Followed f;
      if (sqlite3_prepare_v2(db, tail, static_cast<int>(end - tail), &f.stmt, &tail) != SQLITE_OK) {
        return Fail();
      }
      if (f.stmt == nullptr) continue;  // whitespace or a comment
      if (const int ncol = sqlite3_column_count(f.stmt); ncol > 0) {
        std::vector<std::string> columns;
        for (int i = 0; i < ncol; ++i) columns.emplace_back(sqlite3_column_name(f.stmt, i));
        std::string why;
        if (shell_.mode() == OutputMode::kTree && !FindTreeColumns(columns, why)) {
          std::fprintf(shell_.err(), "Error: %s\n", why.c_str());
          sqlite3_finalize(f.stmt);
          return false;
        }
        f.printer = MakeFollowPrinter(shell_.mode(), shell_.headers(), shell_.out());
        f.printer->Begin(columns);  // headers once, rows or not
      }
      statements_.push_back(std::move(f));
      if (!Step(statements_.back())) return false;
    }
  }
  std::fflush(shell_.out());
  return true;
}

bool Follower::Round() {
  for (Followed& f : statements_) {
    if (!Step(f)) return false;
  }
  std::fflush(shell_.out());
  return true;
}

int Follower::Run(const std::vector<std::string>& sql) {
  TableContext& context = shell_.context();
  auto window = std::make_shared<FollowWindow>();
  context.follow = window;
  bool first = true;
  std::shared_ptr<audit::EventStore> session;
  bool ended = false;
  while (!stop_.requested()) {
    session = context.events->CurrentSession();
    // Looked at before the round: a source that has ended has all its rows in the ring, so
    // this round is its last.
    ended = session && !session->live();
    if (first || window->HasNewRows()) {
      window->BeginRound();
      const bool ok = first ? FirstRound(sql) : Round();
      first = false;
      if (!ok) return stop_.requested() ? 0 : 1;
      if (OutputClosed()) return 128 + SIGPIPE;
    }
    if (ended || stop_.WaitFor(kPollInterval)) break;
  }
  if (!ended) return 0;
  const std::string error = session->WaitForEnd();  // it has ended: returns at once
  if (std::string w = session->Warning(); !w.empty()) context.events->warn(w);
  if (!error.empty()) {
    std::fprintf(shell_.err(), "Error: %s\n", error.c_str());
    return 1;
  }
  return 0;
}

}  // namespace

int Follow(Shell& shell, const ShellOptions& options) {
  StopRequest stop;
  ScopedSignalHandler on_signal([&](int) {
    if (stop.requested()) return false;  // a second signal: exit now
    stop.Request();
    sqlite3_interrupt(shell.db());
    return true;
  });
  // A closed standard output ends the follow like a signal, but cleanly (the live capture is
  // stopped): writes fail with EPIPE instead of killing the process.
  signal(SIGPIPE, SIG_IGN);
  if (const std::string why = shell.StartLiveAcct(); !why.empty()) {
    std::fprintf(shell.err(), "procaudit: %s\n", why.c_str());
    return 1;
  }
  if (const std::string why = shell.StartLiveCapture(); !why.empty()) {
    std::fprintf(shell.err(), "procaudit: %s\n", why.c_str());
    return 1;
  }
  return Follower(shell, stop).Run(options.sql);
}

}  // namespace procaudit
