#include "shell/options.h"

#include <getopt.h>

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
    "  --header, --no-header\n"
    "                 print or omit column names (list and csv modes)\n"
    "\n"
    "Sources:\n"
    "  --proc-root DIR   read processes from DIR instead of /proc (a container's\n"
    "                    /proc, a copy taken for forensics, a test fixture)\n"
    "  --audit-log FILE  replay audit log FILE (a path or glob; repeatable; rotated\n"
    "                    sets are read oldest first) as the source of the event\n"
    "                    tables for the whole session\n"
    "  --audit-stdin     read audit records from standard input, as an auditd plugin\n"
    "                    (format = string) receives them; one-shot SQL runs when the\n"
    "                    input ends\n"
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
    "  sqlite3 -cmd '.load ./build/libprocaudit' :memory: \"SELECT count(*) FROM process_tree\"\n"
    "\n"
    "Tables: process_events, process_tree, open_files, processes,\n"
    "process_open_files, process_open_sockets. Their columns: .schema TABLE,\n"
    "or docs/tables.md.\n";

std::optional<ShellOptions> ParseShellOptions(int argc, char** argv, std::string& error) {
  enum {
    kTable = 256,
    kList,
    kJson,
    kCsv,
    kLine,
    kHeader,
    kNoHeader,
    kProcRoot,
    kAuditLog,
    kAuditStdin,
    kVersion,
  };
  static const option kLong[] = {
      {"table", no_argument, nullptr, kTable},
      {"list", no_argument, nullptr, kList},
      {"json", no_argument, nullptr, kJson},
      {"csv", no_argument, nullptr, kCsv},
      {"line", no_argument, nullptr, kLine},
      {"header", no_argument, nullptr, kHeader},
      {"no-header", no_argument, nullptr, kNoHeader},
      {"proc-root", required_argument, nullptr, kProcRoot},
      {"audit-log", required_argument, nullptr, kAuditLog},
      {"audit-stdin", no_argument, nullptr, kAuditStdin},
      {"help", no_argument, nullptr, 'h'},
      {"version", no_argument, nullptr, kVersion},
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
      case kHeader: o.headers = true; break;
      case kNoHeader: o.headers = false; break;
      case kProcRoot: o.proc_root = optarg; break;
      case kAuditLog: o.audit_logs.emplace_back(optarg); break;
      case kAuditStdin: o.audit_stdin = true; break;
      case 'h': o.help = true; break;
      case kVersion: o.version = true; break;
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
  if (o.audit_stdin && !o.audit_logs.empty()) {
    error = "--audit-log and --audit-stdin are two sources; give one";
    return std::nullopt;
  }
  if (o.audit_stdin && o.sql.empty()) {
    error = "--audit-stdin needs SQL arguments: standard input carries the records";
    return std::nullopt;
  }
  return o;
}

}  // namespace procaudit
