// The procaudit shell: one SQLite connection with every table registered, running
// one-shot statements, a script on stdin, or an interactive session.
#pragma once

#include <sqlite3.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shell/completion.h"
#include "shell/options.h"
#include "shell/output.h"
#include "shell/signals.h"
#include "sql/table_context.h"

namespace procaudit {

class Shell {
 public:
  // Opens an in-memory database and registers the tables. Check error().
  explicit Shell(const ShellOptions& options, std::FILE* out = stdout, std::FILE* err = stderr);
  ~Shell();
  Shell(const Shell&) = delete;
  Shell& operator=(const Shell&) = delete;

  // Empty when the shell is ready; else why it is not (one line).
  const std::string& error() const { return error_; }

  // Runs every statement in sql. Errors are printed to err; returns false on the
  // first one.
  bool RunSql(std::string_view sql);
  // Runs a dot command (".tables", ".mode json"...). Returns false on error;
  // sets quit_requested() for .quit.
  bool RunDotCommand(std::string_view line);
  bool quit_requested() const { return quit_; }

  // Reads statements from a non-interactive stream until EOF; false if any failed.
  bool RunScript(std::FILE* in);
  // The words that complete `word`, typed after `before` on its line (shell/completion.h), from
  // the session's names, read once and again after a statement that may change the schema.
  std::vector<std::string> Complete(std::string_view before, std::string_view word);
  // The interactive loop with line editing and history; returns the exit code.
  int RunInteractive();

  sqlite3* db() const { return db_; }

  // With a live session source (--audit-stdin): waits until it ends, so one-shot statements
  // see every event. Prints the error and returns false when the source failed. After a
  // request on give_up, waits only as long as the tracker holds events back (a few seconds),
  // then returns true: the statements see what arrived.
  bool WaitForSessionSource(StopRequest* give_up = nullptr);

  // Starts the live capture now when it is the session's source (no --audit-log or
  // --audit-stdin, and --audit-mode is not off); otherwise it starts with the first statement
  // that reads a live event table. Returns "" or why it cannot start (one line).
  std::string StartLiveCapture();
  // Starts live accounting now when it is the session's (no --acct-file; --acct, or by
  // default as root beside the live capture); otherwise it starts with the first statement
  // that reads an accounting table. A failure is a warning on err and the session goes on
  // without it, unless --acct asked for it: then returns why (one line), else "".
  std::string StartLiveAcct();

  // What the tables of this connection share (--follow sets its window there), and what
  // statements print with: for src/shell/follow.h.
  TableContext& context() const { return *context_; }
  OutputMode mode() const { return mode_; }
  bool headers() const { return headers_; }
  std::FILE* out() const { return out_; }
  std::FILE* err() const { return err_; }

 private:
  // Runs statements and dot commands from a line source until it is exhausted.
  template <class NextLine>
  bool RunLines(NextLine next_line, bool stop_on_error, bool interactive);
  void PrintTables(std::string_view pattern);
  void PrintSchema(std::string_view table);
  bool SetMode(std::string_view args);
  // .read FILE: its statements and dot commands, stopping at the first error.
  bool ReadFile(const std::string& path);
  // .output [FILE] and .once FILE: where the output goes (out_); no FILE or "stdout": stdout.
  bool RedirectOutput(const std::vector<std::string>& args, bool once);
  void RestoreOutput();
  // Runs one prepared statement, printing its rows; false (and the error printed) on failure.
  bool RunStatement(sqlite3_stmt* stmt);
  // Opens --audit-log / --audit-stdin as the session's event source. Throws with one line.
  void OpenSessionSource(const ShellOptions& options);

  std::FILE* out_;          // stdout_, or the file of .output / .once
  std::FILE* const stdout_;  // the shell's own output, where .output without a file goes back
  std::FILE* err_;
  sqlite3* db_ = nullptr;
  OutputMode mode_;
  bool headers_;
  bool headers_explicit_;
  bool quit_ = false;
  bool discard_input_ = false;  // Ctrl-C at the prompt: drop the statement being typed
  bool acct_required_ = false;  // --acct: live accounting failing to start is an error
  bool timer_ = false;          // .timer on: each statement's time after its rows
  bool output_once_ = false;    // .once: out_ goes back to stdout_ after the next statements
  int read_depth_ = 0;          // .read files being run, one inside another
  std::optional<CompletionVocabulary> vocabulary_;  // unset: read again when next needed
  std::string error_;
  std::shared_ptr<TableContext> context_;
};

}  // namespace procaudit
