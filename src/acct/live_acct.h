// Live process accounting: the process-wide acct(2) session behind acct_exits and the exit side
// of process_lifecycle when no --acct-file is named.
//
// Accounting is machine-wide state with no query interface: the kernel writes one record per
// exiting process into at most one file, and acct(2) can only turn it on (into a file) or off.
// So procaudit finds out where accounting writes by making a probe child exit and watching
// which file gets its record (acct_probe.h). Then:
//   - already on into a file (the acct package's service, /var/log/account/pacct): read that
//     file and leave accounting alone, on exit too;
//   - off: turn it on into procaudit's own file (/var/lib/procaudit/acct.PID.pacct, 0600), and
//     on exit turn it off again, but only if it still writes to procaudit's file (somebody may
//     have turned it on elsewhere since), then delete the file.
// What it changed is kept in a state file (/run/procaudit/acct.PID.state, acct_state.h, beside
// the live capture's) before the change, so a run killed with SIGKILL is cleaned up by the next
// start. Stopping runs from StopLiveAcct, the last lease's end, atexit, and the shell's signal
// thread and terminate handler (src/shell/signals.cc), as the live capture's does.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace procaudit::acct {

struct LiveAcctInfo {
  // Where to read the records the kernel writes: procaudit's own file, the acct package's
  // (when accounting writes one of acct_probe.h's kKnownAcctFiles), or else
  // /proc/PID/fd/N, a descriptor procaudit holds open on the file, whose name the kernel does
  // not tell (valid while the live accounting runs).
  std::string path;
  bool own = false;  // procaudit turned accounting on (and turns it off on stop)
};

// Starts (or joins) the process-wide live accounting and returns a lease on it: it runs while
// any lease lives, until StopLiveAcct, or until exit. Throws std::runtime_error with one line
// (naming CAP_SYS_ADMIN or CAP_SYS_PACCT when unprivileged). Cleans up after runs killed with
// SIGKILL first, with a one-line notice on stderr when it turns their accounting off.
std::shared_ptr<const LiveAcctInfo> StartLiveAcct();

// The running live accounting, if any.
std::optional<LiveAcctInfo> RunningLiveAcct();

// Stops live accounting, restoring what it changed. Idempotent; from any thread, not from a
// signal handler.
void StopLiveAcct();

// Undoes what runs killed with SIGKILL left (accounting on into their file, the file, their
// state), as every start does first, without starting: `procaudit --clean-up`. Each run cleaned
// up after is told on stderr when its accounting was still on. Returns their pids. Throws
// std::runtime_error with one line.
std::vector<int32_t> CleanUpKilledAcct();

// StopLiveAcct for a thread that ends the process next: it keeps the lock, so no start follows
// (netlink::StopLiveCaptureForExit says why).
void StopLiveAcctForExit();

}  // namespace procaudit::acct
