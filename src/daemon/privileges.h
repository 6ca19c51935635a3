// Least privilege for the daemon: once its sources run (the capture's sockets bound, its rules
// loaded, accounting on, the store and the logs open), it keeps only the capabilities the rest
// of the run and a clean stop need, and drops every other one from every thread's effective,
// permitted, inheritable, ambient and bounding sets, with no_new_privs set, so that nothing it
// could ever exec gains one back.
//
// What each kept capability is for, until the process exits:
//   CAP_DAC_READ_SEARCH  listing other users' /proc/PID/fd and fdinfo (mode 0500): open_files,
//                        process_open_files, process_open_sockets, processes, process_tree
//   CAP_SYS_PTRACE       reading their fd links, exe, cwd, environ and namespaces (a ptrace
//                        access check), for the same tables
//   CAP_AUDIT_CONTROL    while the live capture runs: at the stop, removing its rules, giving
//                        the audit pid back and restoring the backlog limit, wait time and
//                        enabled flag; meanwhile the kernel's status (its lost counter, the
//                        capture's warnings, audit_status)
//   CAP_SYS_PACCT        while procaudit's own accounting runs: acct(2) turning it off at the
//                        stop
// And what goes: CAP_AUDIT_READ (the multicast group is checked at bind(2) only, never on
// delivery), CAP_SYS_ADMIN (fanotify, for finding where accounting writes at the start; the
// stop checks its own file without it), CAP_NET_ADMIN (SO_RCVBUFFORCE, at socket creation),
// CAP_SETPCAP (used for the bounding set, last), and everything else a root process holds.
// The store, the logs and /run/procaudit are root's own, so writing them needs no
// CAP_DAC_OVERRIDE; SIGHUP's reload only reads the config and its packs.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "netlink/live_options.h"

namespace procaudit::daemon {

// --- The pure part ---

// A set of capabilities: bit N is linux/capability.h's capability N.
using CapabilitySet = uint64_t;

// What the daemon runs, which decides what it keeps.
struct RunningSources {
  std::optional<netlink::AuditMode> capture;  // kUnicast or kMulticast while a capture runs
  bool own_accounting = false;  // procaudit turned accounting on, and turns it off at the stop
};

// What the rest of the run needs (the header comment says why each).
CapabilitySet CapabilitiesToKeep(const RunningSources& sources);

// "cap_audit_control,cap_sys_ptrace" (libcap's names, lowest number first); "none" when empty.
std::string CapabilityNames(CapabilitySet set);

// The credentials /proc/PID/task/TID/status shows of one thread.
struct ThreadCredentials {
  CapabilitySet inheritable = 0, permitted = 0, effective = 0, bounding = 0, ambient = 0;
  bool no_new_privs = false;
};
// Parses the CapInh, CapPrm, CapEff, CapBnd, CapAmb and NoNewPrivs lines; nullopt when one is
// missing or not hexadecimal.
std::optional<ThreadCredentials> ParseThreadCredentials(std::string_view status);

// --- Against the running process ---

// What this process runs now: the live capture's mode, and whether live accounting is its own.
RunningSources CurrentSources();

// Keeps keep ∩ what the process holds, in every thread (thread_broadcast.h: capset and prctl
// change only their caller's thread), drops the rest, sets no_new_privs, and checks every
// thread's /proc status says so. The bounding set shrinks only with CAP_SETPCAP in
// hand (root has it; the systemd unit grants it for this); without it, no_new_privs alone keeps
// an exec from gaining anything. Returns the line to log, or throws std::runtime_error with one
// line.
std::string DropCapabilities(CapabilitySet keep);

// The daemon's one call once everything has started: drops all CurrentSources() does not need
// and logs one line saying what it kept. Returns "" or why it could not (one line; the daemon
// then stops, the capabilities its stop needs still held).
std::string DropPrivileges(const std::function<void(const std::string&)>& log);

}  // namespace procaudit::daemon
