// Turns the records of one audit event (as libauparse grouped them) into a SyscallEvent (a
// process syscall's SYSCALL, EXECVE, CWD, PATH and PROCTITLE records, or an ANOM_ABEND record)
// or a FileEvent (a file syscall's SYSCALL, CWD, PATH and OPENAT2 records).
// Pure: text in, value out, so the unit tests and the fuzzer call it with canned records.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "audit/file_event.h"
#include "audit/syscall_event.h"

namespace procaudit::audit {

enum class BuildResult {
  kProcessEvent,    // *out holds the event
  kFileEvent,       // *file holds the event
  kOtherEvent,      // a well-formed event of neither kind (a socket call, a login)
  kMalformed,       // the records are inconsistent; *error says how
};

// records: the lines of one event, in the order they were logged. Fields after an ENRICHED
// separator are ignored. *out is overwritten (also for other events); *file only for file
// events. REQUIRES: out, file and error are not null.
BuildResult BuildAuditEvent(std::span<const std::string_view> records, SyscallEvent* out,
                            FileEvent* file, std::string* error);

// The same for callers that only want process events: a file event is kOtherEvent.
BuildResult BuildSyscallEvent(std::span<const std::string_view> records, SyscallEvent* out,
                              std::string* error);

// Joins argv the way osquery's cmdline does: arguments separated by one space.
std::string JoinCmdline(std::span<const std::string> argv);

}  // namespace procaudit::audit
