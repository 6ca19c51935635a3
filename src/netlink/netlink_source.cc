#include "netlink/netlink_source.h"

#include <libaudit.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "util/unique_fd.h"

namespace procaudit::netlink {
namespace {

// Push what we have once it is this big, or whenever the socket is drained.
constexpr size_t kChunkBytes = 256 << 10;
// Hand a chunk over after the socket has been quiet this long, or once it is this old.
constexpr std::chrono::milliseconds kLinger(2);
constexpr std::chrono::milliseconds kMaxHold(20);
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
    // A full queue makes the reader wait, not drop: records then wait in the socket buffer
    // and the kernel's backlog, where an overflow is counted (lost, ENOBUFS) instead of
    // silently losing whole chunks here.
    auto flush = [&] {
      if (chunk->bytes.empty()) return;
      stats.bytes_read.fetch_add(chunk->bytes.size(), std::memory_order_relaxed);
      if (!queue.PushWait(chunk, [&] { return stop.stop_requested(); })) return;
      chunk = std::make_unique<audit::Chunk>();
    };
    std::string error;
    // Under a burst the socket holds a few records at each wake-up; handing each handful over
    // on its own costs the other threads a wake-up per handful. So a chunk is handed over when
    // it is big, when the socket has been quiet for kLinger, or kMaxHold after it was begun.
    auto begun = std::chrono::steady_clock::now();
    while (!stop.stop_requested()) {
      int timeout = -1;
      if (!chunk->bytes.empty()) {
        const auto held = std::chrono::steady_clock::now() - begun;
        timeout = held >= kMaxHold ? 0 : static_cast<int>(kLinger.count());
      }
      pollfd p[2] = {{fd_, POLLIN, 0}, {wake.get(), POLLIN, 0}};
      const int ready = poll(p, 2, timeout);
      if (ready < 0 && errno != EINTR) {
        error = std::string("poll: ") + std::strerror(errno);
        break;
      }
      if (stop.stop_requested()) break;
      if (ready == 0 || (timeout == 0 && !chunk->bytes.empty())) {
        flush();  // quiet for kLinger, or held long enough
        if (ready == 0) continue;
      }
      const bool was_empty = chunk->bytes.empty();
      error = Drain(msgs, buffers, *chunk, stats);
      if (was_empty && !chunk->bytes.empty()) begun = std::chrono::steady_clock::now();
      if (chunk->bytes.size() >= kChunkBytes) flush();
      if (!error.empty()) break;
    }
    flush();
    auto end = std::make_unique<audit::Chunk>();
    end->end_of_source = end->end_of_input = true;
    (void)queue.PushWait(end, [&] { return stop.stop_requested(); });
    return error;
  }

  const std::vector<std::string>& names() const override { return names_; }
  bool live() const override { return true; }

 private:
  // Reads everything the socket holds into chunk. Returns "" or the read error.
  std::string Drain(std::vector<mmsghdr>& msgs, std::vector<char>& buffers, audit::Chunk& chunk,
                    audit::PipelineStats& stats) {
    while (chunk.bytes.size() < kChunkBytes) {
      const int n = recvmmsg(fd_, msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == ENOBUFS) {  // the kernel dropped records for us: counted, go on
          stats.socket_overruns.fetch_add(1, std::memory_order_relaxed);
          continue;
        }
        return errno == EAGAIN ? "" : std::string("reading the audit netlink: ") + std::strerror(errno);
      }
      for (int i = 0; i < n; ++i) {
        // One record per datagram. Its length is the datagram's: the kernel sets nlmsg_len
        // to the payload length alone on unicast (a quirk kept for auditd; multicast gets it
        // corrected), so NLMSG_OK/NLMSG_NEXT would cut records short.
        const char* base = buffers.data() + static_cast<size_t>(i) * kMessageBytes;
        const size_t len = msgs[i].msg_len;
        if (len < NLMSG_HDRLEN) continue;
        const auto* nlh = reinterpret_cast<const nlmsghdr*>(base);
        AppendRecordLine(nlh->nlmsg_type, std::string_view(base + NLMSG_HDRLEN, len - NLMSG_HDRLEN),
                         chunk.bytes);
      }
      if (static_cast<unsigned>(n) < kBatch) break;
    }
    return "";
  }

  int fd_;
  std::vector<std::string> names_;
};

}  // namespace

bool AppendRecordLine(int type, std::string_view payload, std::string& out) {
  if (type < kFirstRecordType) return false;
  // The kernel may count a trailing NUL (and userspace messages a newline) in the length.
  while (!payload.empty() && (payload.back() == '\0' || payload.back() == '\n')) {
    payload.remove_suffix(1);
  }
  if (payload.empty()) return false;
  // EOE (end of event) is kept, unlike in auditd's logs: libauparse then completes each event
  // at once instead of holding it open until the next one or its timer.
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
