// How a live capture is set up: the options behind --audit-mode, --audit-backlog,
// --audit-rules and --watch-*. Separate from live_capture.h: the shell parses them without
// starting anything.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "audit/event_store.h"
#include "netlink/file_watch.h"

namespace procaudit::netlink {

enum class AuditMode {
  kAuto,       // unicast when nobody owns the audit pid, else multicast
  kUnicast,    // become the audit pid (CAP_AUDIT_CONTROL); fails when another process owns it
  kMulticast,  // read the multicast group (CAP_AUDIT_READ); never take over
  kOff,        // no live capture
};

struct LiveOptions {
  AuditMode mode = AuditMode::kAuto;
  uint32_t backlog_limit = 8192;  // unicast only; the kernel's limit while we own the pid
  bool add_rules = false;         // multicast: add procaudit's rules too (--audit-rules=add)
  // File rules (file_events), none by default: each watch installs its own, beside the process
  // rules, wherever procaudit installs rules (unicast; multicast with add_rules).
  std::vector<FileWatch> watches;
  // Unicast: a never-rule keeps this process's own syscalls out. The procaudit binary wants
  // that; a program that loaded the extension does not: its children are the user's business.
  bool exclude_self = true;
  // The daemon's durable store (src/store/): rows of earlier runs, loaded into the rings before
  // the capture starts, so eids continue from them. Empty: none.
  audit::EventStore::HistoryLoader history;
};

// "auto", "unicast", "multicast", "off"; nullopt otherwise.
std::optional<AuditMode> ParseAuditMode(std::string_view text);
const char* AuditModeName(AuditMode mode);

}  // namespace procaudit::netlink
