// The kernel audit netlink: status, settings and rules on a control socket.
//
// Every call is one request (NLM_F_ACK) and a wait for the reply and acknowledgement carrying
// its sequence number; a refusal becomes std::runtime_error with one line naming the operation
// and the kernel's reason ("setting the audit pid: Operation not permitted (needs
// CAP_AUDIT_CONTROL)"). We match replies by sequence number ourselves rather than use
// libaudit's audit_set_* helpers: those peek at whatever message comes first and take a
// status reply or a record for success, and wait up to 40 s for an acknowledgement that a
// full socket buffer can delay.
//
// Thread rules: an AuditControl is used by one thread at a time.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "netlink/audit_rules.h"
#include "util/unique_fd.h"

namespace procaudit::netlink {

// What AUDIT_GET reports (auditctl -s).
struct KernelStatus {
  uint32_t enabled = 0;  // 0 off, 1 on, 2 on and locked
  uint32_t failure = 0;  // 0 silent, 1 printk, 2 panic
  uint32_t pid = 0;      // the audit pid: who receives records by unicast; 0 when nobody
  uint32_t rate_limit = 0;
  uint32_t backlog_limit = 0;
  uint32_t lost = 0;
  uint32_t backlog = 0;
  uint32_t backlog_wait_time = 0;
};

class AuditControl {
 public:
  // Opens a control socket. Throws when the kernel has no audit netlink.
  AuditControl();
  // Uses fd (an audit netlink socket) for requests; does not own it. The unicast event socket
  // registers itself as the audit pid this way.
  explicit AuditControl(int borrowed_fd);

  int fd() const { return fd_; }

  KernelStatus Status();
  void SetEnabled(uint32_t enabled);
  void SetBacklogLimit(uint32_t limit);
  void SetBacklogWaitTime(uint32_t wait);
  // Registers pid as the audit pid on this socket (the kernel unicasts records to the socket
  // that registered). pid 0 gives the audit pid back.
  void SetPid(uint32_t pid);

  std::vector<Rule> ListRules();
  void AddRule(const Rule& rule);
  // Returns false when the kernel has no such rule (already gone).
  bool DeleteRule(const Rule& rule);

 private:
  // Sends one request and returns its sequence number. Throws naming `what`.
  uint32_t Send(uint16_t type, const void* payload, size_t size, const char* what);
  // Receives until the acknowledgement of seq; every reply of type reply_type (0: none) before
  // it goes to on_reply. Throws naming `what` on refusal or after a 5 s silence.
  template <class OnReply>
  void Await(uint32_t seq, uint16_t reply_type, const char* what, OnReply&& on_reply);
  void Request(uint16_t type, const void* payload, size_t size, const char* what);
  void Set(uint32_t mask, uint32_t audit_status::*field, uint32_t value, const char* what);

  UniqueFd owned_;
  int fd_ = -1;
  uint32_t seq_ = 0;
};

// A request the kernel refused (or a socket error): one line, and the errno.
class AuditError : public std::runtime_error {
 public:
  AuditError(int err, const char* what);
  int error() const { return error_; }

 private:
  int error_;
};

}  // namespace procaudit::netlink
