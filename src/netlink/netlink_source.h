// An EventSource over an audit netlink socket: the unicast socket registered as the audit pid,
// or a socket bound to the read-only multicast group. Each kernel message becomes the line
// auditd would write ("type=SYSCALL msg=audit(1700000000.123:42): ..."), so the assembler,
// libauparse and the tracker are the ones replay uses.
//
// Thread rules: Run drains the socket on the reader thread and nothing else: a slow consumer
// never makes the kernel wait (unicast) or drop (multicast). A full queue is a counted drop.
#pragma once

#include <memory>
#include <string>

#include "audit/event_source.h"

namespace procaudit::netlink {

// Formats one netlink message of type `type` as a log line (with its '\n') onto out.
// Returns false, appending nothing, for messages that are not records (acks, replies) or are
// empty. Pure; tested and fuzzed without a socket.
bool AppendRecordLine(int type, std::string_view payload, std::string& out);

// Does not own fd: the capture closes it after giving the audit pid back.
std::unique_ptr<audit::EventSource> OpenNetlinkSource(int fd, std::string name);

// A socket bound to the audit multicast group (needs CAP_AUDIT_READ). Throws with one line.
int OpenMulticastSocket();

}  // namespace procaudit::netlink
