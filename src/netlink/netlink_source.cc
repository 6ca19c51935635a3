#include "netlink/netlink_source.h"

#include <libaudit.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "util/unique_fd.h"

namespace procaudit::netlink {
namespace {

// Push what we have once it is this big, or whenever the socket is drained.
constexpr size_t kChunkBytes = 256 << 10;
// recvmmsg batch: one system call for up to this many records.
constexpr unsigned kBatch = 64;
constexpr size_t kMessageBytes = NLMSG_SPACE(MAX_AUDIT_MESSAGE_LENGTH);
// Records are types 1100 and up; below are replies to requests and netlink control messages.
constexpr int kFirstRecordType = AUDIT_FIRST_USER_MSG;

class NetlinkSource final : public audit::EventSource {
 public:
  NetlinkSource(int fd, std::string name) : fd_(fd), names_{std::move(name)} {}

  std::string Run(audit::ChunkQueue& queue, audit::PipelineStats& stats,
                  std::stop_token stop) override {
    UniqueFd wake(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!wake.valid()) return std::string("eventfd: ") + std::strerror(errno);
    // A stop request wakes poll at once: no periodic wake-ups while idle.
    std::stop_callback on_stop(stop, [&] {
      const uint64_t one = 1;
      (void)!write(wake.get(), &one, sizeof one);
    });
    std::vector<char> buffers(kBatch * kMessageBytes);
    std::vector<iovec> iov(kBatch);
    std::vector<mmsghdr> msgs(kBatch);
    for (unsigned i = 0; i < kBatch; ++i) {
      iov[i] = {buffers.data() + i * kMessageBytes, kMessageBytes};
      msgs[i].msg_hdr = msghdr{};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    auto chunk = std::make_unique<audit::Chunk>();
    auto flush = [&] {
      if (chunk->bytes.empty()) return;
      stats.bytes_read.fetch_add(chunk->bytes.size(), std::memory_order_relaxed);
      if (!queue.TryPush(chunk)) {
        stats.queue_drops.fetch_add(1, std::memory_order_relaxed);
        chunk->bytes.clear();
        return;
      }
      chunk = std::make_unique<audit::Chunk>();
    };
    std::string error;
    while (!stop.stop_requested()) {
      pollfd p[2] = {{fd_, POLLIN, 0}, {wake.get(), POLLIN, 0}};
      if (poll(p, 2, -1) < 0 && errno != EINTR) {
        error = std::string("poll: ") + std::strerror(errno);
        break;
      }
      if (stop.stop_requested()) break;
      // Drain everything the socket holds, then hand it over.
      while (true) {
        const int n = recvmmsg(fd_, msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
        if (n < 0) {
          if (errno == EINTR) continue;
          if (errno == ENOBUFS) {  // the kernel dropped records for us: counted, go on
            stats.socket_overruns.fetch_add(1, std::memory_order_relaxed);
            continue;
          }
          if (errno != EAGAIN) error = std::string("reading the audit netlink: ") + std::strerror(errno);
          break;
        }
        for (int i = 0; i < n; ++i) {
          // One record per datagram. Its length is the datagram's: the kernel sets nlmsg_len
          // to the payload length alone on unicast (a quirk kept for auditd; multicast gets
          // it corrected), so NLMSG_OK/NLMSG_NEXT would cut records short.
          const char* base = buffers.data() + static_cast<size_t>(i) * kMessageBytes;
          const size_t len = msgs[i].msg_len;
          if (len < NLMSG_HDRLEN) continue;
          const auto* nlh = reinterpret_cast<const nlmsghdr*>(base);
          AppendRecordLine(nlh->nlmsg_type, std::string_view(base + NLMSG_HDRLEN, len - NLMSG_HDRLEN),
                           chunk->bytes);
        }
        if (chunk->bytes.size() >= kChunkBytes) flush();
        if (static_cast<unsigned>(n) < kBatch) break;
      }
      flush();
      if (!error.empty()) break;
    }
    auto end = std::make_unique<audit::Chunk>();
    end->end_of_source = end->end_of_input = true;
    (void)queue.PushWait(end, [&] { return stop.stop_requested(); });
    return error;
  }

  const std::vector<std::string>& names() const override { return names_; }
  bool live() const override { return true; }

 private:
  int fd_;
  std::vector<std::string> names_;
};

}  // namespace

bool AppendRecordLine(int type, std::string_view payload, std::string& out) {
  // EOE ends a multi-record event on the netlink only; auditd does not log it, and the
  // assembler completes events without it (by the next event, or on its timer).
  if (type < kFirstRecordType || type == AUDIT_EOE) return false;
  // The kernel may count a trailing NUL (and userspace messages a newline) in the length.
  while (!payload.empty() && (payload.back() == '\0' || payload.back() == '\n')) {
    payload.remove_suffix(1);
  }
  if (payload.empty()) return false;
  out += "type=";
  if (const char* name = audit_msg_type_to_name(type)) {
    out += name;
  } else {
    out += "UNKNOWN[" + std::to_string(type) + "]";
  }
  out += " msg=";
  // A record never spans lines: an embedded newline (user messages) would split it.
  const size_t start = out.size();
  out += payload;
  for (size_t i = start; i < out.size(); ++i) {
    if (out[i] == '\n' || out[i] == '\0') out[i] = ' ';
  }
  out += '\n';
  return true;
}

std::unique_ptr<audit::EventSource> OpenNetlinkSource(int fd, std::string name) {
  return std::make_unique<NetlinkSource>(fd, std::move(name));
}

int OpenMulticastSocket() {
  UniqueFd fd(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT));
  if (!fd.valid()) throw std::runtime_error(std::string("opening the audit netlink: ") + std::strerror(errno));
  sockaddr_nl addr{};
  addr.nl_family = AF_NETLINK;
  addr.nl_groups = 1U << (AUDIT_NLGRP_READLOG - 1);
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const int err = errno;
    std::string msg = std::string("joining the audit multicast group: ") + std::strerror(err);
    if (err == EPERM || err == EACCES) msg += " (needs CAP_AUDIT_READ: run as root)";
    throw std::runtime_error(msg);
  }
  return fd.Release();
}

}  // namespace procaudit::netlink
