// Whether process accounting writes to a given file now, found without fanotify: a child exits
// and its record is looked for among the records the file gained meanwhile.
//
// For the stop of procaudit's own accounting, which then needs only acct(2)'s CAP_SYS_PACCT and
// not the probe's CAP_SYS_ADMIN (acct_probe.h): the daemon drops CAP_SYS_ADMIN once it has
// started (src/daemon/privileges.h).
//
// The child's record is written in do_exit, before waitpid returns (acct_probe.h relies on it
// too), and carries the child's pid as this process sees it (accounting turned on from this pid
// namespace). No record of it in the file: accounting writes elsewhere, or is off, or is
// suspended for lack of disk space (which reads as off to the probe as well).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <span>
#include <string>

namespace procaudit::acct {

// The pure part: whether bytes (whole 64-byte slots from a record boundary; a partial tail is
// ignored) hold a valid v3 record of pid.
bool HoldsRecordOf(std::span<const uint8_t> bytes, pid_t pid);

// Whether accounting writes to path, the file (dev, ino): false when path is gone or is another
// file now. Forks and reaps one child. Throws std::runtime_error with one line when the file
// cannot be read or the fork fails.
bool AccountingWritesTo(const std::string& path, uint64_t dev, uint64_t ino);

}  // namespace procaudit::acct
