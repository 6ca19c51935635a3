// procaudit: the shell and one-shot command.
#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>

#include "procaudit.h"
#include "shell/options.h"
#include "shell/shell.h"

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
  Shell shell(*options);
  if (!shell.error().empty()) {
    std::fprintf(stderr, "procaudit: %s\n", shell.error().c_str());
    return 1;
  }
  if (!options->sql.empty()) {
    if (options->audit_stdin && !shell.WaitForSessionSource()) return 1;
    for (const std::string& sql : options->sql) {
      const bool dot = !sql.empty() && sql.front() == '.';
      if (!(dot ? shell.RunDotCommand(sql) : shell.RunSql(sql))) return 1;
    }
    return 0;
  }
  if (isatty(STDIN_FILENO)) return shell.RunInteractive();
  return shell.RunScript(stdin) ? 0 : 1;
}
