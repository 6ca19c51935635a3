// Command-line options of the procaudit shell.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "netlink/live_options.h"
#include "shell/output.h"

namespace procaudit {

struct ShellOptions {
  std::optional<OutputMode> mode;  // unset: table on a terminal, list otherwise
  std::optional<bool> headers;     // unset: the mode's default
  std::string proc_root = "/proc";
  std::vector<std::string> audit_logs;  // --audit-log, each a path or glob, in order
  bool audit_stdin = false;             // --audit-stdin: records on stdin (auditd plugin)
  netlink::LiveOptions live;  // --audit-mode, --audit-backlog, --audit-rules, --watch-*
  std::optional<std::string> acct_file;  // --acct-file: the accounting file acct tables read
  std::optional<bool> acct;              // --acct / --no-acct: live accounting (unset: auto)
  bool follow = false;                  // --follow: print new rows as events arrive
  std::optional<size_t> ring_rows;      // --ring-rows: rows each event ring holds (memory bound)
  // The daemon (src/daemon/): --daemon --config FILE runs its scheduled queries. The other
  // settings override the config's options; unset, the config's or the defaults apply.
  struct Daemon {
    bool on = false;
    std::string config;
    std::optional<std::string> logger_path;      // --logger-path DIR
    std::optional<std::string> logger;           // --logger filesystem|syslog
    std::optional<std::string> host_identifier;  // --host-identifier NAME
    std::optional<std::string> store;            // --store FILE
    bool no_store = false;                       // --no-store
    bool check_config = false;                   // --check-config: load, prepare, exit
  } daemon;
  std::vector<std::string> sql;  // one-shot statements, in order
  bool clean_up = false;         // --clean-up: undo what killed runs left, and exit
  bool help = false;
  bool version = false;
};

// The --help text; the man page is generated from the same text.
extern const char* const kShellHelp;

// Parses argv. On a usage error returns nullopt and sets error to one line.
std::optional<ShellOptions> ParseShellOptions(int argc, char** argv, std::string& error);

}  // namespace procaudit
