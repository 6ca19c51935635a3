// Live capture from the kernel audit subsystem: the process-wide netlink session behind the
// live event tables.
//
// One process has at most one live capture: the kernel has one audit pid, and every connection
// of the process (the shell's, or each one an extension was loaded into) shares the same ring.
// The capture changes machine-wide state (audit pid, backlog limit, enabled flag, rules); it
// records what it found and StopLiveCapture puts exactly that back. A capture killed with
// SIGKILL leaves a state file that the next start uses to clean up (see src/netlink/).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "audit/event_store.h"
#include "netlink/audit_rules.h"
#include "netlink/live_options.h"

namespace procaudit::netlink {

// Starts the process-wide live capture, or returns the running one. The capture runs while
// any returned pointer (or a copy) lives, until StopLiveCapture, or until exit. Throws std::runtime_error
// with one line (naming the missing capability when unprivileged).
std::shared_ptr<audit::EventStore> StartLiveCapture(const LiveOptions& options, size_t capacity);

// The running capture, or null.
std::shared_ptr<audit::EventStore> RunningLiveCapture();

// What audit_status shows of the running capture.
struct LiveInfo {
  AuditMode mode = AuditMode::kOff;  // kUnicast or kMulticast
  std::optional<uint32_t> lost_at_start;  // the kernel's lost counter when capture began
  size_t rules_installed = 0;             // rules procaudit added (removed again on stop)
  double events_per_second = 0;           // over the last few seconds
  // The file watches whose rules the capture loaded (or found loaded by another capture), with
  // those rules as sent: the kernel lists them back byte for byte while they are loaded, and
  // drops a dir= or exe= rule by itself when its directory goes away.
  struct Watching {
    FileWatch watch;
    std::vector<Rule> rules;
  };
  std::vector<Watching> watches;
};
std::optional<LiveInfo> RunningLiveCaptureInfo();

// Stops the live capture, if any, and restores the audit state it changed. Idempotent and safe
// from any thread, but not from a signal handler: a shell's signal thread calls it.
void StopLiveCapture();

// Undoes what captures killed with SIGKILL left behind (their rules, the dead audit pid, the
// settings they changed, their state files), as every start does first, without starting one:
// `procaudit --clean-up`. Each run cleaned up after is told on stderr. Throws
// std::runtime_error with one line (naming the capability when unprivileged).
struct KilledCaptures {
  std::vector<int32_t> pids;  // the killed runs cleaned up after
  size_t stray_rules = 0;     // procaudit's rules removed that no state file accounted for
};
KilledCaptures CleanUpKilledCaptures();

// StopLiveCapture for a thread that ends the process next (the shell's signal thread, before
// _Exit): no capture may start after it, so it keeps the capture's lock, and a StartLiveCapture
// in another thread waits until the process is gone. A stop alone is not enough: the main thread
// may be starting live accounting meanwhile and go on to start the capture, whose changes the
// _Exit would then leave behind.
void StopLiveCaptureForExit();

}  // namespace procaudit::netlink
