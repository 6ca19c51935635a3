#include "shell/shell.h"

#include <editline/readline.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <thread>

#include "acct/live_acct.h"
#include "audit/event_store.h"
#include "generated/table_specs.h"
#include "netlink/live_capture.h"
#include "procaudit.h"
#include "shell/authorizer.h"
#include "shell/line_editor.h"
#include "shell/progress.h"
#include "shell/tree_output.h"
#include "store/event_db.h"
#include "sql/register.h"

namespace procaudit {
namespace {

// The context for the auto-extension below. SQLite's auto-extension callback takes no
// argument, and it is the only way a program linked against libsqlite3 receives the
// routine table the tables call SQLite through (see src/sql/sqlite_api.h).
std::shared_ptr<const TableContext> g_context;

int RegisterOnOpen(sqlite3* db, char** err, const sqlite3_api_routines* api) {
  return RegisterTables(db, api, g_context, err);
}

std::string_view Trim(std::string_view s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

// Splits ".cmd arg1 'arg 2'" into words; a word in single or double quotes may hold blanks.
std::vector<std::string> Words(std::string_view line) {
  std::vector<std::string> words;
  while (true) {
    line = Trim(line);
    if (line.empty()) break;
    if (line.front() == '\'' || line.front() == '"') {
      const size_t close = line.find(line.front(), 1);
      words.emplace_back(line.substr(1, close == std::string_view::npos ? close : close - 1));
      if (close == std::string_view::npos) break;
      line.remove_prefix(close + 1);
      continue;
    }
    const size_t end = line.find_first_of(" \t");
    words.emplace_back(line.substr(0, end));
    if (end == std::string_view::npos) break;
    line.remove_prefix(end);
  }
  return words;
}

// Files run by .read inside one another, at most: a file that reads itself stops here.
constexpr int kMaxReadDepth = 16;

// The time and CPU a statement took, measured as sqlite3's .timer does.
struct RunTime {
  std::chrono::steady_clock::time_point wall;
  double user = 0, sys = 0;  // seconds of CPU, every thread of the process

  static RunTime Now() {
    RunTime t;
    t.wall = std::chrono::steady_clock::now();
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    t.user = static_cast<double>(ru.ru_utime.tv_sec) + ru.ru_utime.tv_usec * 1e-6;
    t.sys = static_cast<double>(ru.ru_stime.tv_sec) + ru.ru_stime.tv_usec * 1e-6;
    return t;
  }
};

void PrintRunTime(std::FILE* out, const RunTime& start) {
  const RunTime end = RunTime::Now();
  const std::chrono::duration<double> real = end.wall - start.wall;
  std::fprintf(out, "Run Time: real %.3f user %f sys %f\n", real.count(), end.user - start.user,
               end.sys - start.sys);
}

// The connection Ctrl-C interrupts in an interactive session. sqlite3_interrupt()
// is safe to call from a signal handler.
sqlite3* volatile g_interrupt_db = nullptr;
// Ctrl-Cs seen, so the line reader can tell one from Ctrl-D: readline returns null for both.
volatile sig_atomic_t g_interrupts = 0;

void InterruptQuery(int) {
  g_interrupts = g_interrupts + 1;
  if (sqlite3* db = g_interrupt_db) sqlite3_interrupt(db);
}

// A tree reads as pstree's does, without a header, unless asked for one.
bool DefaultHeaders(OutputMode mode) {
  return mode != OutputMode::kList && mode != OutputMode::kTree;
}

constexpr const char* kDotHelp =
    ".headers on|off     show column names in list, csv and tree modes\n"
    ".help               this text\n"
    ".mode [MODE]        show or set the output mode: table, list, json, csv, line, tree\n"
    ".once FILE          write the output of the next statement to FILE\n"
    ".output [FILE]      write output to FILE (created mode 0600), or to stdout again\n"
    ".quit, .exit        leave the shell\n"
    ".read FILE          run the statements and dot commands in FILE; stop at an error\n"
    ".schema [TABLE]     the columns of every table, or of TABLE\n"
    ".tables [PATTERN]   the tables, or those whose name matches a LIKE pattern\n"
    ".timer on|off       print the time each statement took\n"
    "\n"
    "Tree mode draws rows that have pid and ppid (or parent) columns as a process tree,\n"
    "like pstree, with the other columns beside each pid.\n"
    "Statements end with ';' and may span lines. Tab completes table and column names,\n"
    "keywords and dot commands. Table reference: docs/tables.md.\n";

}  // namespace

Shell::Shell(const ShellOptions& options, std::FILE* out, std::FILE* err)
    : out_(out),
      stdout_(out),
      err_(err),
      mode_(options.mode.value_or(isatty(fileno(out)) ? OutputMode::kTable : OutputMode::kList)),
      headers_(options.headers.value_or(DefaultHeaders(mode_))),
      headers_explicit_(options.headers.has_value()),
      context_(std::make_shared<TableContext>()) {
  context_->proc_root = options.proc_root;
  audit::EventSources& events = *context_->events;
  if (options.ring_rows) events.capacity = *options.ring_rows;
  events.warn = [err](const std::string& w) { std::fprintf(err, "procaudit: warning: %s\n", w.c_str()); };
  if (isatty(fileno(err))) {
    auto bar = std::make_shared<ProgressBar>(err);
    events.progress = [bar](uint64_t done, uint64_t total) { bar->Update(done, total); };
  }
  try {
    OpenSessionSource(options);
  } catch (const std::exception& e) {
    error_ = e.what();
    return;
  }
  g_context = context_;
  sqlite3_auto_extension(reinterpret_cast<void (*)()>(RegisterOnOpen));
  const int rc = sqlite3_open(":memory:", &db_);
  sqlite3_cancel_auto_extension(reinterpret_cast<void (*)()>(RegisterOnOpen));
  g_context.reset();
  if (rc != SQLITE_OK) {
    error_ = db_ ? sqlite3_errmsg(db_) : "cannot open an in-memory database";
    return;
  }
  // What SQL may do here: a config's queries only read; no SQL runs code or names files to write.
  InstallAuthorizer(db_, options.daemon.on ? StatementPolicy::kDaemon : StatementPolicy::kShell);
}

void Shell::OpenSessionSource(const ShellOptions& options) {
  // Live accounting changes machine-wide state, so by default only beside the live capture
  // (root, no recorded or streamed audit source); --acct asks for it anyway.
  const bool read_store = options.daemon.store && !options.daemon.on;
  const bool audit_live = options.audit_logs.empty() && !options.audit_stdin && !read_store &&
                          options.live.mode != netlink::AuditMode::kOff;
  if (options.acct_file) {
    context_->acct->SetSessionFile(*options.acct_file);
  } else if (options.acct.value_or(audit_live && geteuid() == 0)) {
    acct_required_ = options.acct.has_value();
    context_->acct->live = [] {
      std::shared_ptr<const acct::LiveAcctInfo> lease = acct::StartLiveAcct();
      return acct::AcctSources::Live{lease->path, lease};
    };
  }
  audit::EventSources& events = *context_->events;
  if (read_store) {
    std::shared_ptr<store::EventDb> db = store::EventDb::OpenToRead(*options.daemon.store);
    events.SetSession(audit::EventStore::FromHistory(
        "store " + *options.daemon.store, events.capacity,
        [&](audit::EventRing& processes, audit::FileRing& files) { db->LoadInto(processes, files); }));
    return;
  }
  if (options.audit_stdin) {
    auto store = audit::EventStore::Follow(audit::OpenStreamSource(STDIN_FILENO, "stdin"),
                                           "stdin", events.capacity);
    events.SetSession(store);
    return;
  }
  if (options.audit_logs.empty()) {
    if (options.live.mode != netlink::AuditMode::kOff) {
      events.live = [live = options.live, capacity = events.capacity] {
        return netlink::StartLiveCapture(live, capacity);
      };
    }
    return;
  }
  std::vector<std::string> paths;
  for (const std::string& spec : options.audit_logs) {
    for (std::string& p : audit::ExpandLogPaths(spec)) paths.push_back(std::move(p));
  }
  auto store = audit::EventStore::Replay(paths, events.capacity, events.progress);
  if (std::string w = store->Warning(); !w.empty()) events.warn(w);
  events.SetSession(std::move(store));
}

bool Shell::WaitForSessionSource(StopRequest* give_up) {
  std::shared_ptr<audit::EventStore> session = context_->events->CurrentSession();
  if (!session) return true;
  if (give_up != nullptr) {
    // The tracker releases an event 2 s (of wall time) after it arrived when no end comes.
    constexpr auto kGrace = std::chrono::milliseconds(2500);
    std::optional<std::chrono::steady_clock::time_point> deadline;
    while (session->live()) {
      if (!deadline && give_up->WaitFor(std::chrono::milliseconds(100))) {
        deadline = std::chrono::steady_clock::now() + kGrace;
      }
      if (deadline) {
        if (std::chrono::steady_clock::now() >= *deadline) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  }
  const std::string error = session->WaitForEnd();
  if (std::string w = session->Warning(); !w.empty()) context_->events->warn(w);
  if (!error.empty()) {
    std::fprintf(err_, "Error: %s\n", error.c_str());
    return false;
  }
  return true;
}

std::string Shell::StartLiveCapture() {
  if (!context_->events->live) return "";
  try {
    context_->events->Session();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

std::string Shell::StartLiveAcct() {
  if (!context_->acct->live) return "";
  try {
    context_->acct->SessionFile();
  } catch (const std::exception& e) {
    if (acct_required_) return e.what();
    std::fprintf(err_, "procaudit: warning: live accounting off: %s\n", e.what());
  }
  return "";
}

Shell::~Shell() {
  RestoreOutput();
  sqlite3_close(db_);
  // The capture and accounting changed machine-wide state; put it back (no-ops when none runs).
  if (context_->events->live) netlink::StopLiveCapture();
  if (context_->acct->live) acct::StopLiveAcct();
}

bool Shell::RunSql(std::string_view sql) {
  struct OnceDone {  // .once: its file takes the output of this call only
    Shell& shell;
    ~OnceDone() {
      if (shell.output_once_) shell.RestoreOutput();
    }
  } once_done{*this};
  const char* tail = sql.data();
  const char* end = sql.data() + sql.size();
  while (tail < end) {
    const RunTime start = RunTime::Now();
    sqlite3_stmt* stmt = nullptr;
    const char* next = nullptr;
    if (sqlite3_prepare_v2(db_, tail, static_cast<int>(end - tail), &stmt, &next) != SQLITE_OK) {
      std::fprintf(err_, "Error: %s\n", sqlite3_errmsg(db_));
      return false;
    }
    tail = next;
    if (stmt == nullptr) continue;  // whitespace or a comment
    const bool ok = RunStatement(stmt);
    if (timer_) PrintRunTime(out_, start);
    if (!ok) return false;
  }
  return true;
}

bool Shell::RunStatement(sqlite3_stmt* stmt) {
  const int ncol = sqlite3_column_count(stmt);
  std::unique_ptr<Printer> printer;
  bool ok = true;
  if (ncol > 0) {
    std::vector<std::string> columns;
    for (int i = 0; i < ncol; ++i) columns.emplace_back(sqlite3_column_name(stmt, i));
    std::string why;
    if (mode_ == OutputMode::kTree && !FindTreeColumns(columns, why)) {
      std::fprintf(err_, "Error: %s\n", why.c_str());
      ok = false;
    } else {
      printer = MakePrinter(mode_, headers_, out_);
      printer->Begin(columns);
    }
  }
  if (ok) {
    std::vector<Value> row(static_cast<size_t>(ncol));
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      for (int i = 0; i < ncol; ++i) row[static_cast<size_t>(i)] = ColumnValue(stmt, i);
      printer->Row(row);
    }
    if (printer) printer->End();
    std::fflush(out_);
    if (rc != SQLITE_DONE) {
      std::fprintf(err_, "Error: %s\n", sqlite3_errmsg(db_));
      ok = false;
    }
  }
  // A statement that writes may have created or dropped a table: names to complete change.
  if (!sqlite3_stmt_readonly(stmt)) vocabulary_.reset();
  sqlite3_finalize(stmt);
  return ok;
}

bool Shell::SetMode(std::string_view args) {
  if (args.empty()) {
    std::fprintf(out_, "%.*s\n", static_cast<int>(OutputModeName(mode_).size()),
                 OutputModeName(mode_).data());
    return true;
  }
  const auto mode = ParseOutputMode(args);
  if (!mode) {
    std::fprintf(err_, "Error: unknown mode '%.*s': use table, list, json, csv, line or tree\n",
                 static_cast<int>(args.size()), args.data());
    return false;
  }
  mode_ = *mode;
  if (!headers_explicit_) headers_ = DefaultHeaders(mode_);
  return true;
}

void Shell::PrintTables(std::string_view pattern) {
  const std::string like = pattern.empty() ? "%" : std::string(pattern);
  std::vector<std::string> names;
  for (const auto& t : spec::kTables) {
    const std::string name(t.name);
    if (sqlite3_strlike(like.c_str(), name.c_str(), 0) == 0) names.push_back(name);
  }
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_,
                         "SELECT name FROM sqlite_schema WHERE type IN ('table','view') "
                         "AND name NOT LIKE 'sqlite_%' AND name LIKE ?1 ORDER BY 1",
                         -1, &stmt, nullptr) == SQLITE_OK) {
    sqlite3_bind_text(stmt, 1, like.c_str(), -1, SQLITE_TRANSIENT);
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      names.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
    }
  }
  sqlite3_finalize(stmt);
  for (const auto& n : names) std::fprintf(out_, "%s\n", n.c_str());
}

void Shell::PrintSchema(std::string_view table) {
  bool found = false;
  for (const auto& t : spec::kTables) {
    if (!table.empty() && t.name != table) continue;
    found = true;
    // The declared schema of the virtual table, as SQLite sees it.
    sqlite3_stmt* stmt = nullptr;
    const std::string sql = "SELECT name, type, hidden FROM pragma_table_xinfo(?1)";
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) continue;
    sqlite3_bind_text(stmt, 1, t.name.data(), static_cast<int>(t.name.size()), SQLITE_STATIC);
    std::string out =
        "-- " + std::string(t.description) + "\nCREATE TABLE " + std::string(t.name) + "(";
    bool first = true;
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      out += first ? "\n  " : ",\n  ";
      first = false;
      out += reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
      out += " ";
      out += reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1));
      if (sqlite3_column_int(stmt, 2)) out += " HIDDEN";
    }
    sqlite3_finalize(stmt);
    std::fprintf(out_, "%s\n);\n", out.c_str());
  }
  if (found) return;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, "SELECT sql FROM sqlite_schema WHERE name = ?1", -1, &stmt,
                         nullptr) == SQLITE_OK) {
    sqlite3_bind_text(stmt, 1, table.data(), static_cast<int>(table.size()), SQLITE_STATIC);
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      found = true;
      std::fprintf(out_, "%s;\n", sqlite3_column_text(stmt, 0));
    }
  }
  sqlite3_finalize(stmt);
  if (!found) {
    std::fprintf(err_, "Error: no such table: %.*s\n", static_cast<int>(table.size()),
                 table.data());
  }
}

bool Shell::ReadFile(const std::string& path) {
  if (read_depth_ >= kMaxReadDepth) {
    std::fprintf(err_, "Error: .read %s: files read one inside another more than %d deep\n",
                 path.c_str(), kMaxReadDepth);
    return false;
  }
  std::FILE* in = std::fopen(path.c_str(), "re");
  struct stat st {};
  if (in != nullptr && fstat(fileno(in), &st) == 0 && S_ISDIR(st.st_mode)) {
    std::fclose(in);
    in = nullptr;
    errno = EISDIR;
  }
  if (in == nullptr) {
    std::fprintf(err_, "Error: cannot open '%s': %s\n", path.c_str(), std::strerror(errno));
    return false;
  }
  ++read_depth_;
  bool ok = RunScript(in);
  --read_depth_;
  if (std::ferror(in)) {
    std::fprintf(err_, "Error: cannot read '%s': %s\n", path.c_str(), std::strerror(errno));
    ok = false;
  }
  std::fclose(in);
  return ok;
}

bool Shell::RedirectOutput(const std::vector<std::string>& args, bool once) {
  if (args.size() > 1 || (once && args.empty())) {
    std::fprintf(err_, "Error: usage: %s\n", once ? ".once FILE" : ".output [FILE]");
    return false;
  }
  RestoreOutput();
  if (args.empty() || (!once && args[0] == "stdout")) return true;
  // The output may hold secrets read from other processes' command lines: private to the user.
  const int fd = open(args[0].c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  std::FILE* file = fd < 0 ? nullptr : fdopen(fd, "w");
  if (file == nullptr) {
    std::fprintf(err_, "Error: cannot open '%s': %s\n", args[0].c_str(), std::strerror(errno));
    if (fd >= 0) close(fd);
    return false;
  }
  out_ = file;
  output_once_ = once;
  return true;
}

void Shell::RestoreOutput() {
  output_once_ = false;
  if (out_ == stdout_) return;
  if (std::fclose(out_) != 0) {
    std::fprintf(err_, "Error: writing the output file failed: %s\n", std::strerror(errno));
  }
  out_ = stdout_;
}

bool Shell::RunDotCommand(std::string_view line) {
  const std::vector<std::string> words = Words(line);
  if (words.empty()) return true;
  const std::string_view cmd = words[0];
  const std::string_view arg = words.size() > 1 ? std::string_view(words[1]) : std::string_view();
  const std::vector<std::string> args(words.begin() + 1, words.end());
  if (cmd == ".quit" || cmd == ".exit" || cmd == ".q") {
    quit_ = true;
  } else if (cmd == ".help") {
    std::fputs(kDotHelp, out_);
  } else if (cmd == ".tables") {
    PrintTables(arg);
  } else if (cmd == ".schema") {
    PrintSchema(arg);
  } else if (cmd == ".mode") {
    return SetMode(arg);
  } else if (cmd == ".headers" || cmd == ".timer") {
    if (arg != "on" && arg != "off") {
      std::fprintf(err_, "Error: usage: %s on|off\n", words[0].c_str());
      return false;
    }
    if (cmd == ".timer") {
      timer_ = arg == "on";
    } else {
      headers_ = arg == "on";
      headers_explicit_ = true;
    }
  } else if (cmd == ".read") {
    if (args.size() != 1) {
      std::fprintf(err_, "Error: usage: .read FILE\n");
      return false;
    }
    return ReadFile(args[0]);
  } else if (cmd == ".output" || cmd == ".once") {
    return RedirectOutput(args, cmd == ".once");
  } else {
    std::fprintf(err_, "Error: unknown command '%.*s': .help lists the commands\n",
                 static_cast<int>(cmd.size()), cmd.data());
    return false;
  }
  return true;
}

std::vector<std::string> Shell::Complete(std::string_view before, std::string_view word) {
  if (!vocabulary_) vocabulary_ = ReadCompletionVocabulary(db_);
  return CompletionCandidates(before, word, *vocabulary_);
}

template <class NextLine>
bool Shell::RunLines(NextLine next_line, bool stop_on_error, bool interactive) {
  bool all_ok = true;
  std::string buffer;
  while (!quit_) {
    std::optional<std::string> line = next_line(!buffer.empty());
    if (!line) break;
    if (discard_input_) {
      discard_input_ = false;
      buffer.clear();
      continue;
    }
    if (buffer.empty()) {
      const std::string_view trimmed = Trim(*line);
      if (trimmed.empty()) continue;
      if (trimmed.front() == '.') {
        if (!RunDotCommand(trimmed)) {
          all_ok = false;
          if (stop_on_error) return false;
        }
        continue;
      }
    }
    buffer += *line;
    buffer += '\n';
    if (sqlite3_complete(buffer.c_str())) {
      if (!RunSql(buffer)) {
        all_ok = false;
        if (stop_on_error) return false;
      }
      buffer.clear();
    }
  }
  // A last statement without its ';' still runs, as in sqlite3.
  if (!Trim(buffer).empty() && !RunSql(buffer)) all_ok = false;
  if (interactive) std::fputc('\n', stdout_);
  return all_ok;
}

bool Shell::RunScript(std::FILE* in) {
  char* raw = nullptr;
  size_t cap = 0;
  auto next = [&](bool) -> std::optional<std::string> {
    const ssize_t n = getline(&raw, &cap, in);
    if (n < 0) return std::nullopt;
    return std::string(raw, static_cast<size_t>(n));
  };
  const bool ok = RunLines(next, /*stop_on_error=*/true, /*interactive=*/false);
  std::free(raw);
  return ok;
}

int Shell::RunInteractive() {
  std::string history;
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    history = std::string(home) + "/.procaudit_history";
  }
  rl_readline_name = "procaudit";  // for $if procaudit in ~/.editrc
  using_history();
  if (!history.empty()) read_history(history.c_str());
  InstallCompletion(
      [this](std::string_view before, std::string_view word) { return Complete(before, word); });
  // Ctrl-C stops the running statement, not the session (and its history). It is handled in
  // this thread, not by the signal thread (shell/signals.h): libedit must see it too.
  g_interrupt_db = db_;
  struct sigaction interrupt {};
  interrupt.sa_handler = InterruptQuery;
  sigemptyset(&interrupt.sa_mask);
  struct sigaction previous {};
  sigaction(SIGINT, &interrupt, &previous);
  sigset_t sigint, old_mask;
  sigemptyset(&sigint);
  sigaddset(&sigint, SIGINT);
  pthread_sigmask(SIG_UNBLOCK, &sigint, &old_mask);
  SaveTerminal(STDIN_FILENO);
  std::fprintf(out_,
               "procaudit %s: SQL over Linux processes. \".help\" for help, \".quit\" to leave.\n",
               procaudit_version());
  auto next = [&](bool continuation) -> std::optional<std::string> {
    const sig_atomic_t interrupts = g_interrupts;
    char* raw = readline(continuation ? "      ...> " : "procaudit> ");
    if (g_interrupts != interrupts) {
      // Ctrl-C at the prompt: drop what was typed and prompt again, as shells do. libedit
      // usually returns null then, but a line when Enter came in the same read.
      std::free(raw);
      std::fputc('\n', stdout_);
      discard_input_ = true;
      return std::string();
    }
    if (raw == nullptr) return std::nullopt;  // Ctrl-D
    std::string line(raw);
    std::free(raw);
    if (!Trim(line).empty()) add_history(line.c_str());
    return line;
  };
  RunLines(next, /*stop_on_error=*/false, /*interactive=*/true);
  RemoveCompletion();
  ForgetTerminal();
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  sigaction(SIGINT, &previous, nullptr);
  g_interrupt_db = nullptr;
  if (!history.empty()) {
    // History may hold secrets typed in queries: private to the user.
    const mode_t old = umask(077);
    write_history(history.c_str());
    umask(old);
    chmod(history.c_str(), 0600);
  }
  return 0;
}

}  // namespace procaudit
