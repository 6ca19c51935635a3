// Where result-log lines go: two files in a directory, rotated by size, or syslog.
//
// The daemon calls a sink from one thread; a sink is not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace procaudit::daemon {

enum class LogKind { kResults, kSnapshots };

class LogSink {
 public:
  virtual ~LogSink() = default;
  // Appends one line; REQUIRES: line holds no '\n' (result_log.h's lines never do). On false,
  // error() says why in one line naming the file (a full disk: "...: No space left on device").
  virtual bool Write(LogKind kind, std::string_view line) = 0;
  // Makes what was written durable (fdatasync); call it once per batch, not per line.
  virtual bool Flush() = 0;
  virtual const std::string& error() const = 0;
};

inline constexpr std::string_view kResultsLogName = "procaudit.results.log";
inline constexpr std::string_view kSnapshotsLogName = "procaudit.snapshots.log";

// DIR/procaudit.results.log and DIR/procaudit.snapshots.log, both opened (created if need be)
// now, so that a directory that is missing or unwritable stops the start: nullptr and error set
// to one line naming the path. The files are mode 0600 whatever the umask (and an existing one
// is set to 0600): results hold command lines. Symbolic links and files owned by another user
// are refused: the daemon runs as root, and the directory must not steer where it writes.
//
// Rotation: a line that would take a file past rotate_size bytes first renames it to NAME.1
// (NAME.1 to NAME.2 ... up to NAME.max_files, the oldest dropped; max_files 0 keeps none) and
// starts a new one, so a file holds whole lines and exceeds rotate_size only with a single line
// longer than that. rotate_size 0 never rotates. A write that fails half-way is cut back, so
// the file keeps whole lines.
std::unique_ptr<LogSink> OpenFileSink(const std::string& dir, uint64_t rotate_size,
                                      uint64_t max_files, std::string& error);

// openlog("procaudit", LOG_PID, LOG_DAEMON) and one LOG_INFO message per line, both kinds alike.
// syslog is per process: have one at a time. Long lines may be cut by the syslog daemon
// (rsyslog's default limit is 8 KiB).
std::unique_ptr<LogSink> OpenSyslogSink();

}  // namespace procaudit::daemon
