// Where BSD process accounting writes now.
//
// The kernel has no query for it: acct(2) only turns accounting on (into a file) or off. So the
// probe watches every mounted filesystem with fanotify (FAN_MODIFY), makes a child exit, and
// takes the file the child's record was written to: the event whose pid is the child's carries
// a descriptor on it. Then it writes a byte to an unnamed file of its own (the end marker):
// fanotify queues events in order and the child's record was written before waitpid returned,
// so once the marker's event is read, no record of the child came means accounting is off. The
// timeout guards the wait: a marker written but not read by then counts as events lost (the
// probe is tried again); only a marker that could not be made (its filesystem not watchable)
// leaves the deadline as the sign that accounting is off.
//
// What the descriptor says, and what it does not:
//   - readlink of it gives "/": the kernel writes through a private clone of the mount, so the
//     file's name is lost. It is identified by (st_dev, st_ino), and read through
//     /proc/PID/fd/N while the descriptor stays open (AcctTarget::FdPath).
//   - never turn accounting on through it (acct("/proc/self/fd/N")): the kernel drops that
//     accounting again when the descriptor closes.
// Closing the descriptors the probe received changes nothing in the kernel's accounting.
//
// Needs CAP_SYS_ADMIN (fanotify on whole filesystems). Files the probe cannot see: one on a
// filesystem not mounted in this mount namespace, and any while accounting is suspended for
// lack of disk space (below /proc/sys/kernel/acct's threshold the kernel writes nothing), both
// of which read as "off".
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/unique_fd.h"

namespace procaudit::acct {

// --- The pure parts: text and bytes in, values out. ---

// A mountinfo field with its \ooo escapes (space, tab, newline, backslash) undone.
std::string UnescapeMountinfo(std::string_view field);

// The mount points (field 5) of /proc/PID/mountinfo text, unescaped, in order. Lines with
// fewer fields are skipped.
std::vector<std::string> MountPoints(std::string_view mountinfo);

// One event of a fanotify read: fd is -1 (FAN_NOFD) for events without one (queue overflow).
struct FanotifyEvent {
  uint64_t mask = 0;
  int32_t fd = -1;
  int32_t pid = 0;
};

// The events of one read(2) of a fanotify descriptor, walked by event_len. The walk stops at an
// event whose length is shorter than its header or runs past the bytes, and at an unknown
// metadata version: nothing after it can be found.
std::vector<FanotifyEvent> WalkFanotifyEvents(std::span<const uint8_t> bytes);

// --- The probe. ---

// The file accounting writes to: its identity, and a read-only descriptor on it.
struct AcctTarget {
  uint64_t dev = 0;
  uint64_t ino = 0;
  UniqueFd fd;

  bool Is(uint64_t d, uint64_t i) const { return dev == d && ino == i; }
  // /proc/<this pid>/fd/<fd>: opens the same file for as long as fd stays open.
  std::string FdPath() const;
};

struct ProbeOptions {
  // The hang guard: how long to wait for the marker's event.
  std::chrono::milliseconds timeout{1000};
  // Where the end marker (an O_TMPFILE file, never named) is made.
  std::string marker_dir = "/tmp";
  std::string mountinfo = "/proc/self/mountinfo";
};

// The file accounting writes to now, or nullopt when it is off. Forks and reaps one child.
// Throws std::runtime_error with one line: without CAP_SYS_ADMIN, or when events were lost on
// every try (fanotify's queue overflowed on a host writing files faster than the probe reads,
// or a read failed): never "off" unless the probe saw every event.
// Thread-safe; not async-signal-safe.
std::optional<AcctTarget> ProbeAccounting(const ProbeOptions& options = {});

// Where the acct package (Debian and Red Hat layouts) has the kernel write.
inline constexpr const char* kKnownAcctFiles[] = {"/var/log/account/pacct", "/var/account/pacct"};

// The first of paths that is target's file (same device and inode), or nullopt.
std::optional<std::string> KnownPathOf(const AcctTarget& target,
                                       std::span<const char* const> paths = kKnownAcctFiles);

}  // namespace procaudit::acct
