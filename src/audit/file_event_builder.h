// The file records of one audit event (CWD, PATH, OPENAT2), after its SYSCALL record: the part
// of the event builder (event_builder.h) that only file syscalls need. Pure: text in, values out.
#pragma once

#include <span>
#include <string>

#include "audit/file_event.h"
#include "audit/record_parser.h"

namespace procaudit::audit {

// Fills ev's cwd, items and openat2 fields from the event's records (every record of the
// event; those of other types are skipped). ev's SYSCALL fields must be set already.
// Returns false, with *error set, when the PATH records are inconsistent: an item without a
// number, the same number twice, a gap in the numbers or more items than the SYSCALL record
// announced. Fewer items than announced, numbered from 0 without a gap, are accepted: the kernel
// leaves hidden names out of the log but still counts them.
bool CompleteFileEvent(std::span<const RecordHeader> headers, FileEvent& ev, std::string* error);

}  // namespace procaudit::audit
