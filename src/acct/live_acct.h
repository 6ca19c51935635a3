// Live process accounting: the process-wide acct(2) session behind acct_exits and the exit side
// of process_lifecycle when no --acct-file is named.
//
// Accounting is machine-wide state with no query interface: the kernel writes one record per
// exiting process into at most one file, and acct(2) can only turn it on (into a file) or off.
// So procaudit finds out where accounting writes by making a probe child exit and watching
// which file gets its record (acct_probe.h). Then:
//   - already on into a file (the acct package's service, /var/log/account/pacct): read that
//     file and leave accounting alone, on exit too;
//   - off: turn it on into procaudit's own file (0600, under StateDir's sibling
//     /var/lib/procaudit/), and on exit turn it off again, but only if it still writes to
//     procaudit's file (somebody may have turned it on elsewhere since), then delete the file.
// What it changed is kept in a state file under /run/procaudit/ (capture_state.h's directory)
// before the change, so a run killed with SIGKILL is cleaned up by the next start.
#pragma once

#include <memory>
#include <optional>
#include <string>

namespace procaudit::acct {

struct LiveAcctInfo {
  std::string path;  // the file the kernel writes accounting records to
  bool own = false;  // procaudit turned accounting on (and turns it off on stop)
};

// Starts (or joins) the process-wide live accounting and returns a lease on it: it runs while
// any lease lives, until StopLiveAcct, or until exit. Throws std::runtime_error with one line
// (naming CAP_SYS_PACCT when unprivileged).
std::shared_ptr<const LiveAcctInfo> StartLiveAcct();

// The running live accounting, if any.
std::optional<LiveAcctInfo> RunningLiveAcct();

// Stops live accounting, restoring what it changed. Idempotent; from any thread, not from a
// signal handler.
void StopLiveAcct();

}  // namespace procaudit::acct
