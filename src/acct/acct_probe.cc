#include "acct/acct_probe.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <stdexcept>

namespace procaudit::acct {
namespace {

// A fanotify queue holds 16,384 events; on a host writing that fast the child's may be lost.
constexpr int kProbeTries = 3;
// Each event read opens a descriptor: a small read keeps them well under RLIMIT_NOFILE (an event
// whose descriptor cannot be made is dropped by the kernel, and might be the child's).
constexpr size_t kReadBytes = 4096;

std::string Errno(const char* what, int err) {
  return std::string(what) + ": " + std::strerror(err);
}

bool IsOctal(char c) { return c >= '0' && c <= '7'; }

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// One filesystem mark per device: a mark covers the whole superblock, however many mounts
// show it. Filesystems that refuse one (some pseudo ones) cannot hold an accounting file.
void MarkFilesystems(int fan, const std::string& mountinfo) {
  std::set<dev_t> seen;
  for (const std::string& mount : MountPoints(ReadText(mountinfo))) {
    struct stat st {};
    if (stat(mount.c_str(), &st) != 0 || !seen.insert(st.st_dev).second) continue;
    (void)fanotify_mark(fan, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, FAN_MODIFY, AT_FDCWD,
                        mount.c_str());
  }
}

// An unnamed file whose modification ends the wait: the marker. Invalid when it cannot be made
// or its filesystem cannot be watched (then the timeout ends the wait).
struct Marker {
  UniqueFd fd;
  dev_t dev = 0;
  ino_t ino = 0;
};

Marker MakeMarker(int fan, const std::string& dir) {
  Marker m;
  if (fanotify_mark(fan, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, FAN_MODIFY, AT_FDCWD, dir.c_str()) !=
      0) {
    return m;
  }
  m.fd.Reset(open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600));
  struct stat st {};
  if (m.fd.valid() && fstat(m.fd.get(), &st) == 0) {
    m.dev = st.st_dev;
    m.ino = st.st_ino;
  } else {
    m.fd.Reset();
  }
  return m;
}

// Forks a child that exits at once, and reaps it. Its accounting record (if any) is written
// before it is reaped: the kernel writes it in do_exit, before the parent is told.
pid_t ExitingChild() {
  const pid_t child = fork();
  if (child < 0) throw std::runtime_error(Errno("probing process accounting: fork", errno));
  if (child == 0) _exit(0);
  // ECHILD: another thread of the host program reaped it, or SIGCHLD is ignored; either way
  // waitpid only returns once it has exited.
  while (waitpid(child, nullptr, 0) < 0 && errno == EINTR) {
  }
  return child;
}

// kLost: an event may have been dropped (queue overflow, a failed read), so no record of the
// child cannot be taken to mean accounting is off.
enum class Outcome { kFound, kOff, kLost };

struct Probe {
  Outcome outcome = Outcome::kOff;
  std::optional<AcctTarget> target;
};

// Reads events until the child's record, the marker, a loss, or the deadline. Every descriptor
// but the target's is closed.
Probe ReadEvents(int fan, pid_t child, const Marker& marker, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  alignas(fanotify_event_metadata) uint8_t buf[kReadBytes];
  Probe probe;
  bool done = false;
  while (!done) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      // A marker that was written but not read yet: events are still queued, the child's among
      // them perhaps. Without a marker, the deadline is all there is.
      if (marker.fd.valid()) probe.outcome = Outcome::kLost;
      break;
    }
    pollfd p{fan, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    const ssize_t n = read(fan, buf, sizeof buf);
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      probe.outcome = Outcome::kLost;  // EMFILE and the like: the failed event is gone
      break;
    }
    if (n <= 0) continue;
    for (const FanotifyEvent& e : WalkFanotifyEvents({buf, static_cast<size_t>(n)})) {
      UniqueFd fd(e.fd);  // closed unless it is the target's
      if (done) continue;
      if (e.mask & FAN_Q_OVERFLOW) {
        probe.outcome = Outcome::kLost;
        done = true;
        continue;
      }
      if (!fd.valid()) continue;
      if (e.pid == child) {
        struct stat st {};
        if (fstat(fd.get(), &st) != 0) continue;
        probe.target = AcctTarget{static_cast<uint64_t>(st.st_dev),
                                  static_cast<uint64_t>(st.st_ino), std::move(fd)};
        probe.outcome = Outcome::kFound;
        done = true;
      } else if (e.pid == getpid() && marker.fd.valid()) {
        struct stat st {};
        if (fstat(fd.get(), &st) == 0 && st.st_dev == marker.dev && st.st_ino == marker.ino) {
          done = true;  // everything queued before the marker has been read: off
        }
      }
    }
  }
  return probe;
}

Probe ProbeOnce(const ProbeOptions& options) {
  UniqueFd fan(fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK, O_RDONLY | O_LARGEFILE));
  if (!fan.valid()) {
    const int err = errno;
    if (err == EPERM) {
      throw std::runtime_error(
          "live accounting needs root: CAP_SYS_ADMIN to find where process accounting writes "
          "(fanotify_init: " +
          std::string(std::strerror(err)) + ")");
    }
    throw std::runtime_error(Errno("finding where process accounting writes: fanotify_init", err));
  }
  MarkFilesystems(fan.get(), options.mountinfo);
  Marker marker = MakeMarker(fan.get(), options.marker_dir);
  const pid_t child = ExitingChild();
  if (marker.fd.valid() && write(marker.fd.get(), "", 1) != 1) marker.fd.Reset();
  return ReadEvents(fan.get(), child, marker, options.timeout);
}

}  // namespace

std::string UnescapeMountinfo(std::string_view field) {
  std::string out;
  out.reserve(field.size());
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size() && IsOctal(field[i + 1]) &&
        IsOctal(field[i + 2]) && IsOctal(field[i + 3])) {
      out.push_back(static_cast<char>((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 +
                                      (field[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(field[i]);
    }
  }
  return out;
}

std::vector<std::string> MountPoints(std::string_view mountinfo) {
  std::vector<std::string> out;
  while (!mountinfo.empty()) {
    const size_t nl = mountinfo.find('\n');
    std::string_view line = mountinfo.substr(0, nl);
    mountinfo.remove_prefix(nl == std::string_view::npos ? mountinfo.size() : nl + 1);
    // Fields are separated by single spaces: ID PARENT MAJ:MIN ROOT MOUNTPOINT ...
    for (int field = 0; field < 4 && !line.empty(); ++field) {
      const size_t sp = line.find(' ');
      line.remove_prefix(sp == std::string_view::npos ? line.size() : sp + 1);
    }
    const std::string_view mount = line.substr(0, line.find(' '));
    if (!mount.empty()) out.push_back(UnescapeMountinfo(mount));
  }
  return out;
}

std::vector<FanotifyEvent> WalkFanotifyEvents(std::span<const uint8_t> bytes) {
  std::vector<FanotifyEvent> out;
  size_t off = 0;
  while (bytes.size() - off >= sizeof(fanotify_event_metadata)) {
    fanotify_event_metadata m;
    std::memcpy(&m, bytes.data() + off, sizeof m);
    if (m.event_len < sizeof m || m.event_len > bytes.size() - off ||
        m.vers != FANOTIFY_METADATA_VERSION) {
      break;
    }
    out.push_back(FanotifyEvent{m.mask, m.fd, m.pid});
    off += m.event_len;
  }
  return out;
}

std::string AcctTarget::FdPath() const {
  return "/proc/" + std::to_string(getpid()) + "/fd/" + std::to_string(fd.get());
}

std::optional<AcctTarget> ProbeAccounting(const ProbeOptions& options) {
  for (int attempt = 0; attempt < kProbeTries; ++attempt) {
    Probe probe = ProbeOnce(options);
    if (probe.outcome == Outcome::kFound) return std::move(probe.target);
    if (probe.outcome == Outcome::kOff) return std::nullopt;
  }
  throw std::runtime_error(
      "cannot tell where process accounting writes: fanotify lost events on every try (files "
      "are being written too fast, or descriptors ran out)");
}

std::optional<std::string> KnownPathOf(const AcctTarget& target,
                                       std::span<const char* const> paths) {
  for (const char* path : paths) {
    struct stat st {};
    if (stat(path, &st) == 0 && target.Is(st.st_dev, st.st_ino)) return std::string(path);
  }
  return std::nullopt;
}

}  // namespace procaudit::acct
