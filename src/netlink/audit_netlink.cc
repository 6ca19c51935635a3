#include "netlink/audit_netlink.h"

#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string_view>

namespace procaudit::netlink {
namespace {

constexpr int kReplyTimeoutMs = 5000;

int OpenAuditSocket() {
  const int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
  if (fd < 0) {
    const int err = errno;
    if (err == EPROTONOSUPPORT || err == EAFNOSUPPORT) {
      throw std::runtime_error("this kernel has no audit support (NETLINK_AUDIT unavailable)");
    }
    throw AuditError(err, "opening the audit netlink");
  }
  return fd;
}

}  // namespace

namespace {

// The kernel refuses every audit control request (EPERM) from outside the initial pid
// namespace, whatever the capabilities: root in a container or under `unshare --pid` is told so
// rather than to run as root. The initial namespace has a fixed inode (PROC_PID_INIT_INO).
bool InInitialPidNamespace() {
  char link[64];
  const ssize_t n = readlink("/proc/self/ns/pid", link, sizeof link - 1);
  if (n <= 0) return true;  // cannot tell: the usual case
  return std::string_view(link, static_cast<size_t>(n)) == "pid:[4026531836]";
}

std::string Describe(int err, const char* what) {
  std::string out = std::string(what) + ": " + std::strerror(err);
  if (err == EPERM && !InInitialPidNamespace()) {
    out += " (the kernel takes audit control requests only from the initial pid namespace, and "
           "procaudit runs in another: a container or unshare --pid)";
  } else if (err == EPERM || err == EACCES) {
    out += " (needs CAP_AUDIT_CONTROL: run as root)";
  }
  return out;
}

}  // namespace

AuditError::AuditError(int err, const char* what) : std::runtime_error(Describe(err, what)), error_(err) {}

AuditControl::AuditControl() : owned_(OpenAuditSocket()), fd_(owned_.get()) {}

AuditControl::AuditControl(int borrowed_fd) : fd_(borrowed_fd) {}

uint32_t AuditControl::Send(uint16_t type, const void* payload, size_t size, const char* what) {
  std::vector<unsigned char> buf(NLMSG_SPACE(size), 0);
  auto* nlh = reinterpret_cast<nlmsghdr*>(buf.data());
  nlh->nlmsg_len = static_cast<uint32_t>(NLMSG_LENGTH(size));
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  nlh->nlmsg_seq = ++seq_;
  if (size) std::memcpy(NLMSG_DATA(nlh), payload, size);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  ssize_t n;
  do {
    n = sendto(fd_, buf.data(), nlh->nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel),
               sizeof kernel);
  } while (n < 0 && errno == EINTR);
  if (n < 0) throw AuditError(errno, what);
  return nlh->nlmsg_seq;
}

template <class OnReply>
void AuditControl::Await(uint32_t seq, uint16_t reply_type, const char* what,
                         OnReply&& on_reply) {
  // The kernel sends replies from a helper thread, so the acknowledgement may come first.
  bool acked = false, replied = reply_type == 0;
  std::vector<unsigned char> buf(1 << 16);
  while (!acked || !replied) {
    pollfd p{fd_, POLLIN, 0};
    const int ready = poll(&p, 1, kReplyTimeoutMs);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) throw std::runtime_error(std::string(what) + ": no reply from the kernel");
    const ssize_t n = recv(fd_, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      if (errno == ENOBUFS) continue;  // records overflowed this socket; our reply still comes
      throw AuditError(errno, what);
    }
    int len = static_cast<int>(n);
    for (auto* nlh = reinterpret_cast<nlmsghdr*>(buf.data()); NLMSG_OK(nlh, len);
         nlh = NLMSG_NEXT(nlh, len)) {
      if (nlh->nlmsg_seq != seq) continue;  // a record, or a late reply to an earlier request
      if (nlh->nlmsg_type == NLMSG_ERROR) {
        const auto* e = static_cast<const nlmsgerr*>(NLMSG_DATA(nlh));
        if (e->error != 0) throw AuditError(-e->error, what);
        acked = true;
      } else if (nlh->nlmsg_type == NLMSG_DONE) {
        replied = true;
      } else if (nlh->nlmsg_type == reply_type) {
        on_reply(NLMSG_DATA(nlh), static_cast<size_t>(nlh->nlmsg_len - NLMSG_HDRLEN));
        if (!(nlh->nlmsg_flags & NLM_F_MULTI)) replied = true;
      }
    }
  }
}

void AuditControl::Request(uint16_t type, const void* payload, size_t size, const char* what) {
  const uint32_t seq = Send(type, payload, size, what);
  Await(seq, 0, what, [](const void*, size_t) {});
}

KernelStatus AuditControl::Status() {
  constexpr const char* kWhat = "reading the audit status";
  const uint32_t seq = Send(AUDIT_GET, nullptr, 0, kWhat);
  audit_status s{};
  Await(seq, AUDIT_GET, kWhat, [&](const void* data, size_t size) {
    std::memcpy(&s, data, std::min(size, sizeof s));  // older kernels send a shorter struct
  });
  return KernelStatus{s.enabled, s.failure, s.pid, s.rate_limit, s.backlog_limit,
                      s.lost,    s.backlog, s.backlog_wait_time};
}

// One AUDIT_SET changing one setting: the mask names it, the rest of the struct is ignored.
void AuditControl::Set(uint32_t mask, uint32_t audit_status::*field, uint32_t value,
                       const char* what) {
  audit_status s{};
  s.mask = mask;
  s.*field = value;
  Request(AUDIT_SET, &s, sizeof s, what);
}

void AuditControl::SetEnabled(uint32_t enabled) {
  Set(AUDIT_STATUS_ENABLED, &audit_status::enabled, enabled, "setting the audit enabled flag");
}

void AuditControl::SetBacklogLimit(uint32_t limit) {
  Set(AUDIT_STATUS_BACKLOG_LIMIT, &audit_status::backlog_limit, limit,
      "setting the audit backlog limit");
}

void AuditControl::SetBacklogWaitTime(uint32_t wait) {
  Set(AUDIT_STATUS_BACKLOG_WAIT_TIME, &audit_status::backlog_wait_time, wait,
      "setting the audit backlog wait time");
}

void AuditControl::SetPid(uint32_t pid) {
  Set(AUDIT_STATUS_PID, &audit_status::pid, pid,
      pid ? "registering as the audit pid" : "giving back the audit pid");
}

std::vector<Rule> AuditControl::ListRules() {
  constexpr const char* kWhat = "listing the audit rules";
  const uint32_t seq = Send(AUDIT_LIST_RULES, nullptr, 0, kWhat);
  std::vector<Rule> rules;
  Await(seq, AUDIT_LIST_RULES, kWhat, [&](const void* data, size_t size) {
    Rule r = Rule::FromKernel(data, size);
    if (r.valid()) rules.push_back(std::move(r));
  });
  return rules;
}

void AuditControl::AddRule(const Rule& rule) {
  Request(AUDIT_ADD_RULE, &rule.data(), rule.size(), "adding an audit rule");
}

bool AuditControl::DeleteRule(const Rule& rule) {
  // The kernel matches flags exactly but keeps "prepend" only as the rule's position.
  Rule target = rule;
  target.data().flags &= ~AUDIT_FILTER_PREPEND;
  try {
    Request(AUDIT_DEL_RULE, &target.data(), target.size(), "deleting an audit rule");
  } catch (const AuditError& e) {
    if (e.error() == ENOENT) return false;  // somebody (auditctl -D) removed it already
    throw;
  }
  return true;
}

}  // namespace procaudit::netlink
