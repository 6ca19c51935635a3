#include "shell/options.h"

#include <getopt.h>

#include <charconv>
#include <limits>
#include <string_view>

namespace procaudit {

const char* const kShellHelp =
    "Usage: procaudit [OPTIONS] [SQL...]\n"
    "\n"
    "SQL over Linux process activity. With SQL arguments, runs each and exits;\n"
    "without, reads statements from standard input, or starts an interactive\n"
    "shell on a terminal (.help lists its commands).\n"
    "\n"
    "Output:\n"
    "  --table        aligned table with a header (the default on a terminal)\n"
    "  --list         values separated by '|' (the default otherwise)\n"
    "  --json         a JSON array of objects, typed values\n"
    "  --csv          RFC 4180 CSV with a header row\n"
    "  --line         one 'column = value' line per value, rows separated by a blank line\n"
    "  --tree         rows with pid and ppid (or parent) columns drawn as a process tree\n"
    "  --header, --no-header\n"
    "                 print or omit column names (list, csv and tree modes)\n"
    "\n"
    "Sources:\n"
    "  --proc-root DIR   read processes from DIR instead of /proc (a container's\n"
    "                    /proc, a copy taken for forensics, a test fixture)\n"
    "  --audit-log FILE  replay audit log FILE (a path or glob; repeatable; rotated\n"
    "                    sets are read oldest first) as the source of the event\n"
    "                    tables for the whole session\n"
    "  --store FILE      read the events a daemon keeps in its store FILE (the\n"
    "                    newest, up to the ring's size), while it runs or not\n"
    "  --audit-stdin     read audit records from standard input, as an auditd plugin\n"
    "                    (format = string) receives them; one-shot SQL runs when the\n"
    "                    input ends, or on SIGTERM over what arrived (auditd stops its\n"
    "                    plugins so); SIGHUP (auditd's reload) is ignored\n"
    "\n"
    "Live capture (the event source when neither --audit-log nor --audit-stdin is\n"
    "given; started with the shell, or by the first one-shot statement that reads\n"
    "process_events; needs CAP_AUDIT_CONTROL or CAP_AUDIT_READ):\n"
    "  --audit-mode MODE   auto (the default): own the kernel's audit pid when no\n"
    "                      process does, else read the multicast group; unicast:\n"
    "                      own it or fail; multicast: only read, never take over;\n"
    "                      off: no live capture\n"
    "  --audit-backlog N   the kernel's backlog limit while procaudit owns the audit\n"
    "                      pid (default 8192); the previous limit is restored on exit\n"
    "  --audit-rules add   with multicast, also add procaudit's rules (tagged with\n"
    "                      its key, removed on exit)\n"
    "\n"
    "File rules (file_events: opens, creates, renames, unlinks, links, truncates,\n"
    "chmod, chown...). None by default, since open() is the busiest system call;\n"
    "each option below adds its own kernel rules, which the kernel checks before\n"
    "it makes a record. Repeatable and combinable: a call any of them matches is\n"
    "reported. With live capture only (not with --audit-log, --audit-stdin or\n"
    "--audit-mode off); beside another audit pid owner only with --audit-rules add\n"
    "(the owner then logs these calls too):\n"
    "  --watch-all         every process's file calls (procaudit's own excepted)\n"
    "  --watch-pid PID     the calls of running process PID, all its threads, not\n"
    "                      its children\n"
    "  --watch-exe PATH    the calls of every process running the executable PATH\n"
    "                      (absolute; symbolic links resolved; its directory must\n"
    "                      exist)\n"
    "  --watch-dir DIR     every call on a path under directory DIR, at any depth\n"
    "                      (absolute; it must exist; the kernel drops the rule when\n"
    "                      DIR is removed). The kernel matches the files a call\n"
    "                      reached: a failed open of a name that does not exist is\n"
    "                      not reported (--watch-pid and --watch-exe report it)\n"
    "\n"
    "Process accounting (how processes ended, signal deaths included):\n"
    "  --acct-file FILE  read BSD process accounting (v3) from FILE in acct_exits and\n"
    "                    process_lifecycle; without it they read live accounting, else\n"
    "                    /var/log/account/pacct when present\n"
    "  --acct, --no-acct\n"
    "                    live accounting, on by default with live capture as root:\n"
    "                    turns accounting on into procaudit's own file with acct(2) and\n"
    "                    off again on exit; when accounting already writes a file (the\n"
    "                    acct package's service), reads that file and leaves it on\n"
    "\n"
    "Memory:\n"
    "  --ring-rows N  rows each event ring holds (process events, file events),\n"
    "                 default 10,000,000; the oldest go when it is full (counted in\n"
    "                 audit_status). About 250 bytes a row with its strings\n"
    "\n"
    "Follow:\n"
    "  --follow       keep running and print the new rows of the SQL as events arrive,\n"
    "                 until Ctrl-C or SIGTERM (exit status 0), or until the input of\n"
    "                 --audit-stdin ends. The SQL runs in rounds, each over the events\n"
    "                 that arrived since the previous round (the first over those\n"
    "                 already there): aggregates such as count(*) or GROUP BY give one\n"
    "                 result per round. --json writes one object per line, flushed at\n"
    "                 once; the table mode prints rows as --list does, with a header.\n"
    "                 Not with --audit-log: a replay has no new events to wait for.\n"
    "\n"
    "Daemon (runs osquery-format query packs and logs their results; see\n"
    "procaudit(8) for the config format):\n"
    "  --daemon            run as the daemon: capture live, keep the events in the\n"
    "                      store, run the scheduled queries of --config at their\n"
    "                      intervals; SIGTERM or SIGINT stop it (audit state\n"
    "                      restored, store flushed), SIGHUP reloads the config\n"
    "  --config FILE       the daemon's osquery-format JSON config (options,\n"
    "                      schedule, packs); an error in it stops the start\n"
    "  --logger-path DIR   write DIR/procaudit.results.log and\n"
    "                      DIR/procaudit.snapshots.log (default /var/log/procaudit)\n"
    "  --logger NAME       filesystem (the default) or syslog\n"
    "  --host-identifier NAME\n"
    "                      hostIdentifier in the logs (default: the host name)\n"
    "  --store FILE        the durable event store, a SQLite file in WAL mode\n"
    "                      (default /var/lib/procaudit/events.db): events survive\n"
    "                      restarts; the stock sqlite3 CLI and procaudit --store read it\n"
    "  --no-store          keep events in memory only\n"
    "  --check-config      load the config and prepare every query, report what\n"
    "                      would be skipped, and exit (0: it loads) without starting\n"
    "\n"
    "Clean-up:\n"
    "  --clean-up     undo what procaudit runs killed with SIGKILL left behind (their\n"
    "                 audit rules and settings, the audit pid, accounting on into\n"
    "                 their file), as every live start does first, and exit; each\n"
    "                 run is named on standard error. Needs root\n"
    "\n"
    "  -h, --help     this text\n"
    "  --version      print the version\n"
    "\n"
    "Examples:\n"
    "  procaudit \"SELECT pid, path FROM process_tree WHERE ppid = 1\"\n"
    "  procaudit --json \"SELECT * FROM open_files WHERE pid = 1234\"\n"
    "  procaudit --audit-log /var/log/audit/audit.log \\\n"
    "      \"SELECT time, pid, parent_path, path, cmdline FROM process_events\"\n"
    "  procaudit \"SELECT path, count(*) FROM process_events('audit.log*') GROUP BY 1\"\n"
    "  procaudit --acct-file /var/log/account/pacct \\\n"
    "      \"SELECT pid, comm, signal_name FROM acct_exits WHERE signal IS NOT NULL\"\n"
    "  procaudit --audit-log /var/log/audit/audit.log --acct-file /var/log/account/pacct \\\n"
    "      \"SELECT pid, path, exit_code, signal FROM process_lifecycle\"\n"
    "  procaudit --follow --json \\\n"
    "      \"SELECT time, pid, path, cmdline FROM process_events WHERE syscall = 'execve'\"\n"
    "  procaudit --watch-dir /etc --follow \\\n"
    "      \"SELECT pid, exe, operation, path FROM file_events WHERE success = 1\"\n"
    "  sqlite3 -cmd '.load ./build/libprocaudit' :memory: \"SELECT count(*) FROM process_tree\"\n"
    "\n"
    "Tables: process_events, file_events, process_lifecycle, acct_exits, process_tree,\n"
    "open_files, processes, process_open_files, process_open_sockets, audit_status. Their columns:\n"
    ".schema TABLE, or docs/tables.md.\n";

namespace {

// A positive decimal that fits the kernel's u32 backlog limit; nullopt otherwise.
std::optional<uint32_t> ParseBacklog(std::string_view text) {
  uint32_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n == 0) return std::nullopt;
  return n;
}

const char* WatchOption(netlink::FileWatch::Kind kind) {
  switch (kind) {
    case netlink::FileWatch::Kind::kAll: return "--watch-all";
    case netlink::FileWatch::Kind::kPid: return "--watch-pid";
    case netlink::FileWatch::Kind::kExe: return "--watch-exe";
    case netlink::FileWatch::Kind::kDir: return "--watch-dir";
  }
  return "--watch-*";
}

// The watches need procaudit's own rules in the kernel, so a live capture that adds them.
std::string CheckWatches(const ShellOptions& o) {
  if (o.live.watches.empty()) return "";
  const std::string what = WatchOption(o.live.watches.front().kind);
  const std::string rules = what + " installs kernel rules for the live capture";
  const std::string instead =
      " (select recorded events with SQL instead: WHERE path LIKE '/etc/%')";
  if (!o.audit_logs.empty()) return rules + "; it does nothing for --audit-log" + instead;
  if (o.audit_stdin) return rules + "; it does nothing for --audit-stdin" + instead;
  if (o.live.mode == netlink::AuditMode::kOff) return rules + ", which --audit-mode off turns off";
  if (o.live.mode == netlink::AuditMode::kMulticast && !o.live.add_rules) {
    return what + " needs procaudit's own rules, which --audit-mode multicast adds only with "
                  "--audit-rules add (the audit pid's owner then logs these calls too)";
  }
  return "";
}

// The daemon's options go together, and with neither statements nor other sources.
std::string CheckDaemon(const ShellOptions& o) {
  const ShellOptions::Daemon& d = o.daemon;
  if (!d.on) {
    if (!d.config.empty() || d.logger_path || d.logger || d.host_identifier || d.no_store ||
        d.check_config) {
      return "--config, --logger*, --host-identifier, --no-store and --check-config are the "
             "daemon's: add --daemon";
    }
    if (d.store && (!o.audit_logs.empty() || o.audit_stdin)) {
      return "--store, --audit-log and --audit-stdin are three event sources; give one";
    }
    if (d.store && o.follow) return "--follow needs a source that grows, not --store";
    return "";
  }
  if (d.config.empty()) return "--daemon needs --config FILE";
  if (!o.sql.empty()) return "--daemon runs the config's queries, not SQL arguments";
  if (o.follow) return "--daemon and --follow are two ways to run; give one";
  if (!o.audit_logs.empty() || o.audit_stdin) {
    return "--daemon captures live: --audit-log and --audit-stdin do not go with it";
  }
  if (d.store && d.no_store) return "--store and --no-store: give one";
  if (d.logger && *d.logger != "filesystem" && *d.logger != "syslog") {
    return "--logger takes filesystem or syslog, not '" + *d.logger + "'";
  }
  return "";
}

// Checks that apply to the options as a whole. Returns "" or one line.
std::string CheckCombination(const ShellOptions& o) {
  if (std::string error = CheckWatches(o); !error.empty()) return error;
  if (o.audit_stdin && !o.audit_logs.empty()) {
    return "--audit-log and --audit-stdin are two sources; give one";
  }
  if (o.acct_file && o.acct.value_or(false)) {
    return "--acct-file and --acct are two accounting sources (a file, live accounting); give one";
  }
  if (o.audit_stdin && o.sql.empty()) {
    return "--audit-stdin needs SQL arguments: standard input carries the records";
  }
  if (std::string error = CheckDaemon(o); !error.empty()) return error;
  if (o.clean_up && (!o.sql.empty() || o.daemon.on || o.follow)) {
    return "--clean-up runs alone, not with SQL, --daemon or --follow";
  }
  if (!o.follow) return "";
  if (o.sql.empty()) return "--follow needs a SQL statement to follow";
  if (!o.audit_logs.empty()) {
    return "--follow does not work with --audit-log: a replay ends and has no new events to wait "
           "for (use --audit-stdin, or the live capture)";
  }
  // An accounting file grows too: acct_exits can be followed without any audit source.
  const bool acct_grows = o.acct_file.has_value() || o.acct.value_or(false);
  if (!o.audit_stdin && o.live.mode == netlink::AuditMode::kOff && !acct_grows) {
    return "--follow needs a source that grows: the live capture (not --audit-mode off), "
           "--audit-stdin, or accounting (--acct-file, --acct)";
  }
  for (const std::string& sql : o.sql) {
    if (!sql.empty() && sql.front() == '.') return "--follow runs SQL, not dot commands: " + sql;
  }
  return "";
}

}  // namespace

std::optional<ShellOptions> ParseShellOptions(int argc, char** argv, std::string& error) {
  enum {
    kTable = 256,
    kList,
    kJson,
    kCsv,
    kLine,
    kTree,
    kHeader,
    kNoHeader,
    kProcRoot,
    kAuditLog,
    kAuditStdin,
    kAuditMode,
    kAuditBacklog,
    kAuditRules,
    kWatchAll,
    kWatchPid,
    kWatchExe,
    kWatchDir,
    kFollow,
    kAcctFile,
    kAcct,
    kNoAcct,
    kVersion,
    kDaemon,
    kConfig,
    kLoggerPath,
    kLogger,
    kHostIdentifier,
    kStore,
    kNoStore,
    kCheckConfig,
    kRingRows,
    kCleanUp,
  };
  static const option kLong[] = {
      {"table", no_argument, nullptr, kTable},
      {"list", no_argument, nullptr, kList},
      {"json", no_argument, nullptr, kJson},
      {"csv", no_argument, nullptr, kCsv},
      {"line", no_argument, nullptr, kLine},
      {"tree", no_argument, nullptr, kTree},
      {"header", no_argument, nullptr, kHeader},
      {"no-header", no_argument, nullptr, kNoHeader},
      {"proc-root", required_argument, nullptr, kProcRoot},
      {"audit-log", required_argument, nullptr, kAuditLog},
      {"audit-stdin", no_argument, nullptr, kAuditStdin},
      {"audit-mode", required_argument, nullptr, kAuditMode},
      {"audit-backlog", required_argument, nullptr, kAuditBacklog},
      {"audit-rules", required_argument, nullptr, kAuditRules},
      {"watch-all", no_argument, nullptr, kWatchAll},
      {"watch-pid", required_argument, nullptr, kWatchPid},
      {"watch-exe", required_argument, nullptr, kWatchExe},
      {"watch-dir", required_argument, nullptr, kWatchDir},
      {"follow", no_argument, nullptr, kFollow},
      {"acct-file", required_argument, nullptr, kAcctFile},
      {"acct", no_argument, nullptr, kAcct},
      {"no-acct", no_argument, nullptr, kNoAcct},
      {"help", no_argument, nullptr, 'h'},
      {"version", no_argument, nullptr, kVersion},
      {"daemon", no_argument, nullptr, kDaemon},
      {"config", required_argument, nullptr, kConfig},
      {"logger-path", required_argument, nullptr, kLoggerPath},
      {"logger", required_argument, nullptr, kLogger},
      {"host-identifier", required_argument, nullptr, kHostIdentifier},
      {"store", required_argument, nullptr, kStore},
      {"no-store", no_argument, nullptr, kNoStore},
      {"check-config", no_argument, nullptr, kCheckConfig},
      {"ring-rows", required_argument, nullptr, kRingRows},
      {"clean-up", no_argument, nullptr, kCleanUp},
      {nullptr, 0, nullptr, 0},
  };
  ShellOptions o;
  optind = 0;  // 0, not 1: glibc then also forgets its place inside a previous argv
  opterr = 0;  // errors are reported here, as one line
  while (true) {
    const int c = getopt_long(argc, argv, "+h", kLong, nullptr);
    if (c == -1) break;
    switch (c) {
      case kTable: o.mode = OutputMode::kTable; break;
      case kList: o.mode = OutputMode::kList; break;
      case kJson: o.mode = OutputMode::kJson; break;
      case kCsv: o.mode = OutputMode::kCsv; break;
      case kLine: o.mode = OutputMode::kLine; break;
      case kTree: o.mode = OutputMode::kTree; break;
      case kHeader: o.headers = true; break;
      case kNoHeader: o.headers = false; break;
      case kProcRoot: o.proc_root = optarg; break;
      case kAuditLog: o.audit_logs.emplace_back(optarg); break;
      case kAuditStdin: o.audit_stdin = true; break;
      case kAuditMode: {
        const auto mode = netlink::ParseAuditMode(optarg);
        if (!mode) {
          error = std::string("--audit-mode: unknown mode '") + optarg +
                  "': use auto, unicast, multicast or off";
          return std::nullopt;
        }
        o.live.mode = *mode;
        break;
      }
      case kAuditBacklog: {
        const auto limit = ParseBacklog(optarg);
        if (!limit) {
          error = "--audit-backlog needs a positive integer (at most " +
                  std::to_string(std::numeric_limits<uint32_t>::max()) + "), not '" + optarg + "'";
          return std::nullopt;
        }
        o.live.backlog_limit = *limit;
        break;
      }
      case kAuditRules:
        if (std::string_view(optarg) != "add") {
          error = std::string("--audit-rules takes one value, add, not '") + optarg + "'";
          return std::nullopt;
        }
        o.live.add_rules = true;
        break;
      case kWatchAll:
      case kWatchPid:
      case kWatchExe:
      case kWatchDir: {
        using Kind = netlink::FileWatch::Kind;
        const Kind kind = c == kWatchAll   ? Kind::kAll
                          : c == kWatchPid ? Kind::kPid
                          : c == kWatchExe ? Kind::kExe
                                           : Kind::kDir;
        std::optional<netlink::FileWatch> watch =
            netlink::MakeFileWatch(kind, optarg ? optarg : "", error);
        if (!watch) {
          error = std::string(WatchOption(kind)) + ": " + error;
          return std::nullopt;
        }
        netlink::AddFileWatch(o.live.watches, std::move(*watch));
        break;
      }
      case kFollow: o.follow = true; break;
      case kAcctFile: o.acct_file = optarg; break;
      case kAcct: o.acct = true; break;
      case kNoAcct: o.acct = false; break;
      case 'h': o.help = true; break;
      case kVersion: o.version = true; break;
      case kDaemon: o.daemon.on = true; break;
      case kConfig: o.daemon.config = optarg; break;
      case kLoggerPath: o.daemon.logger_path = optarg; break;
      case kLogger: o.daemon.logger = optarg; break;
      case kHostIdentifier: o.daemon.host_identifier = optarg; break;
      case kStore: o.daemon.store = optarg; break;
      case kNoStore: o.daemon.no_store = true; break;
      case kCheckConfig: o.daemon.check_config = true; break;
      case kCleanUp: o.clean_up = true; break;
      case kRingRows: {
        size_t rows = 0;
        const std::string_view text(optarg);
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), rows);
        if (ec != std::errc() || end != text.data() + text.size() || rows == 0) {
          error = std::string("--ring-rows needs a positive integer, not '") + optarg + "'";
          return std::nullopt;
        }
        o.ring_rows = rows;
        break;
      }
      default: {
        // A short option inside a group ("-xh") is named by optopt; a long one by
        // the argument getopt stopped at.
        if (optopt > 0 && optopt < 256) {
          error = std::string("unknown option: -") + static_cast<char>(optopt);
        } else if (optopt >= kTable) {
          error = std::string("option needs an argument: ") + argv[optind - 1];
        } else {
          error = std::string("unknown option: ") + argv[optind - 1];
        }
        return std::nullopt;
      }
    }
  }
  for (int i = optind; i < argc; ++i) o.sql.emplace_back(argv[i]);
  error = CheckCombination(o);
  if (!error.empty()) return std::nullopt;
  return o;
}

}  // namespace procaudit
