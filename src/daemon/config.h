// The daemon's config: osquery's format (https://osquery.readthedocs.io/en/stable/deployment/
// configuration/), so that existing configs and query packs load unchanged.
//
//   {"options":  {"logger_path": "/var/log/procaudit", "host_identifier": "hostname", ...},
//    "schedule": {"NAME": {"query": "SELECT ...", "interval": 3600, ...}, ...},
//    "packs":    {"NAME": {pack}, "NAME": "path/to/pack.conf", "*": "/etc/procaudit/packs/*.conf"}}
//
// A query takes query (required), interval (seconds, a number or a string of digits, 1..604800;
// osquery's default 3600 when absent), snapshot, removed (true/false), platform, version,
// description and value. A pack takes queries, platform, version and discovery (SQL that must
// return at least one row for the pack to run). A pack given as a string is a file, relative to
// the config's directory, or a glob(3) pattern whose files become packs named after their stem.
//
// Strict, because the daemon must refuse to start rather than run something else than was
// written: any key procaudit does not know is an error naming the file and the key path, except
// the few osquery keys listed (with why) in kIgnoredKeys in config.cc, which are noted. Queries
// and packs for other platforms or newer osquery versions are skipped, with a note each.
//
// Options procaudit reads (others are errors):
//   logger_path               directory of procaudit.results.log and procaudit.snapshots.log
//   logger_plugin             filesystem (default) or syslog
//   logger_rotate_size        bytes, a number or "10M"/"1G" (default 25 MiB)
//   logger_rotate_max_files   rotated files kept (default 10)
//   host_identifier           hostname (default) or specified, with specified_identifier
//   pack_delimiter            between "pack", the pack name and the query name (default "_")
//   schedule_default_interval interval of a query that gives none (default 3600)
//   store_path, store_max_age ("7d", "12h", seconds), store_max_bytes: the durable store
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/config_values.h"

namespace procaudit::daemon {

struct ScheduledQuery {
  // schedule: the key; a pack's query: "pack" + delimiter + pack + delimiter + query, as osquery
  // names them ("pack_incident-response_crontab").
  std::string name;
  std::string sql;
  uint64_t interval_s = 0;  // 1 .. kMaxIntervalSeconds
  bool snapshot = false;
  bool removed = true;                   // false: differential logging omits "removed" rows
  std::string description, value, pack;  // pack "" for the top-level schedule
  // The pack's discovery queries: the scheduler runs the pack only while each returns >= 1 row.
  std::vector<std::string> discovery;
  std::string origin;  // the file it came from, for messages ("/etc/procaudit/x.conf")
};

// The config's "options" that procaudit understands; unset means the default.
struct DaemonSettings {
  std::optional<std::string> logger_path, logger_plugin /*filesystem|syslog*/, host_identifier;
  std::optional<std::string> specified_identifier;           // with host_identifier "specified"
  std::optional<uint64_t> logger_rotate_size;                // bytes, default 25 MiB when unset
  std::optional<uint64_t> logger_rotate_max_files;           // default 10
  std::optional<std::string> store_path;                     // the durable store's file
  std::optional<uint64_t> store_max_age_s, store_max_bytes;  // retention
  std::optional<std::string> pack_delimiter;  // osquery's pack_delimiter, default "_"
};

inline constexpr uint64_t kDefaultRotateSize = 25 * 1024 * 1024;
inline constexpr uint64_t kDefaultRotateMaxFiles = 10;
inline constexpr uint64_t kDefaultIntervalSeconds = 3600;  // osquery's schedule_default_interval

struct DaemonConfig {
  std::vector<ScheduledQuery> queries;
  // One line each: what was skipped or ignored and why (a query for darwin, a version newer
  // than kOsqueryCompatVersion, an ignored osquery key, a glob that matched nothing), for the log.
  std::vector<std::string> notes;
  DaemonSettings settings;
};

// Loads path and every pack file it names. On any error returns nullopt and sets error to ONE
// line that names the file and the key path, e.g.
// "/etc/x.conf: packs.ir.queries.crontab.interval: must be 1..604800 seconds, got 0".
std::optional<DaemonConfig> LoadDaemonConfig(const std::string& path, std::string& error);

// The same from text (tests, fuzzing): origin names it in messages, base_dir resolves relative
// pack paths and globs. An empty base_dir reads no files at all: a pack given as a path is then
// an error (the fuzzer uses this to stay off the filesystem).
std::optional<DaemonConfig> ParseDaemonConfig(std::string_view text, const std::string& origin,
                                              const std::string& base_dir, std::string& error);

// The hostIdentifier for result lines: specified_identifier when host_identifier is
// "specified", else this machine's host name (as gethostname(2) gives it).
std::string ResolveHostIdentifier(const DaemonSettings& settings);

}  // namespace procaudit::daemon
