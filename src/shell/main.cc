// procaudit: the shell and one-shot command.
#include <signal.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>

#include "daemon/daemon.h"
#include "procaudit.h"
#include "shell/clean_up.h"
#include "shell/follow.h"
#include "shell/options.h"
#include "shell/shell.h"
#include "shell/signals.h"

int main(int argc, char** argv) {
  using procaudit::Shell;
  std::string error;
  const auto options = procaudit::ParseShellOptions(argc, argv, error);
  if (!options) {
    std::fprintf(stderr, "procaudit: %s (see procaudit --help)\n", error.c_str());
    return 2;
  }
  if (options->help) {
    std::fputs(procaudit::kShellHelp, stdout);
    return 0;
  }
  if (options->version) {
    std::printf("procaudit %s (SQLite %s)\n", procaudit_version(), sqlite3_libversion());
    return 0;
  }
  if (options->clean_up) return procaudit::CleanUpKilledRuns(stdout, stderr);
  // Signals go to one thread (shell/signals.h); block them before the Shell starts others.
  procaudit::BlockShellSignals();
  procaudit::InstallTerminateHandler();
  if (options->daemon.on) {
    procaudit::StartSignalThread({SIGINT, SIGTERM, SIGHUP});
    return procaudit::daemon::RunDaemon(*options);
  }
  const bool interactive = options->sql.empty() && isatty(STDIN_FILENO);
  if (interactive) {
    procaudit::StartSignalThread({SIGTERM, SIGHUP});
  } else if (options->audit_stdin) {
    procaudit::StartSignalThread({SIGINT, SIGTERM});
  } else {
    procaudit::StartSignalThread({SIGINT, SIGTERM, SIGHUP});
  }
  Shell shell(*options);
  if (!shell.error().empty()) {
    std::fprintf(stderr, "procaudit: %s\n", shell.error().c_str());
    return 1;
  }
  if (options->follow) return procaudit::Follow(shell, *options);
  if (!options->sql.empty()) {
    // One-shot statements start the live capture only when one reads a live event table.
    if (options->audit_stdin) {
      // auditd stops its plugins with SIGTERM as it closes their input: answer all the same.
      procaudit::StopRequest input_ends;
      procaudit::ScopedSignalHandler on_signal([&](int signo) {
        if (signo != SIGTERM || input_ends.requested()) return false;
        input_ends.Request();
        return true;
      });
      if (!shell.WaitForSessionSource(&input_ends)) return 1;
    }
    for (const std::string& sql : options->sql) {
      const bool dot = !sql.empty() && sql.front() == '.';
      if (!(dot ? shell.RunDotCommand(sql) : shell.RunSql(sql))) return 1;
    }
    return 0;
  }
  // A session captures from its start, so its statements see what happened meanwhile; without
  // the capture, the /proc tables still work. Accounting first: its probe's child is not an
  // event of the session.
  if (const std::string why = shell.StartLiveAcct(); !why.empty()) {
    std::fprintf(stderr, "procaudit: %s\n", why.c_str());
    return 1;
  }
  if (const std::string why = shell.StartLiveCapture(); !why.empty()) {
    std::fprintf(stderr, "procaudit: warning: live capture off: %s\n", why.c_str());
  }
  if (interactive) return shell.RunInteractive();
  return shell.RunScript(stdin) ? 0 : 1;
}
