// Turns the records of one audit event (as libauparse grouped them) into a SyscallEvent: a
// process syscall's SYSCALL, EXECVE, CWD, PATH and PROCTITLE records, or an ANOM_ABEND record.
// Pure: text in, value out, so the unit tests and the fuzzer call it with canned records.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "audit/syscall_event.h"

namespace procaudit::audit {

enum class BuildResult {
  kProcessEvent,    // *out holds the event
  kOtherEvent,      // a well-formed event that is not a process syscall (a file open, a login)
  kMalformed,       // the records of a process syscall are inconsistent; *error says how
};

// records: the lines of one event, in the order they were logged. Fields after an ENRICHED
// separator are ignored. *out is overwritten (also for other events). REQUIRES: out and error
// are not null.
BuildResult BuildSyscallEvent(std::span<const std::string_view> records, SyscallEvent* out,
                              std::string* error);

// Joins argv the way osquery's cmdline does: arguments separated by one space.
std::string JoinCmdline(std::span<const std::string> argv);

}  // namespace procaudit::audit
