#include "acct/live_acct.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "acct/accounting_writes_to.h"
#include "acct/acct_probe.h"
#include "acct/acct_state.h"
#include "netlink/capture_state.h"

namespace procaudit::acct {
namespace {

// procaudit's own accounting files: acct.PID.pacct. The clean-up deletes nothing outside.
constexpr const char* kOwnDir = "/var/lib/procaudit";

void Warn(const std::string& line) {
  std::fprintf(stderr, "procaudit: warning: %s\n", line.c_str());
}

std::string OwnFile(int32_t pid) {
  return std::string(kOwnDir) + "/acct." + std::to_string(pid) + ".pacct";
}

bool IsOwnFile(const std::string& path) {
  return path.starts_with(std::string(kOwnDir) + "/acct.") && path.ends_with(".pacct") &&
         path.find("/..") == std::string::npos;
}

// acct(2), turning accounting on into path or off (nullptr). Throws with one line.
void SetAccounting(const char* path) {
  if (::acct(path) == 0) return;
  const int err = errno;
  if (err == EPERM) {
    throw std::runtime_error(
        std::string("live accounting needs root: CAP_SYS_PACCT to turn process "
                    "accounting ") +
        (path ? "on" : "off") + " (acct: " + std::strerror(err) + ")");
  }
  throw std::runtime_error(std::string("turning process accounting ") +
                           (path ? std::string("on into ") + path : std::string("off")) + ": " +
                           std::strerror(err));
}

// The identity of a dead run's file: recorded, or (killed before it was recorded) looked up.
std::optional<std::pair<uint64_t, uint64_t>> FileIdentity(const AcctState& s) {
  if (s.dev && s.ino) return std::pair{*s.dev, *s.ino};
  struct stat st {};
  if (stat(s.file.c_str(), &st) != 0) return std::nullopt;
  return std::pair<uint64_t, uint64_t>{st.st_dev, st.st_ino};
}

// Undoes what runs killed with SIGKILL left: accounting on into their file (turned off only if
// it still writes there: somebody may have turned it on elsewhere since), their files, their
// states. A state of this very process is a stop that could not finish (its probe failed).
// Returns the pids of the runs it cleaned up after.
std::vector<int32_t> CleanUpStale(const AcctStateDir& dir) {
  std::vector<AcctState> dead;
  for (AcctState& s : dir.ReadAll()) {
    const uint64_t start = netlink::ProcessStartTime(s.pid);
    const bool alive = start != 0 && start == s.start_time;
    if (!alive || s.pid == getpid()) dead.push_back(std::move(s));
  }
  if (dead.empty()) return {};
  std::optional<AcctTarget> now = ProbeAccounting();
  for (const AcctState& s : dead) {
    const auto id = FileIdentity(s);
    if (now && id && now->Is(id->first, id->second)) {
      SetAccounting(nullptr);
      now.reset();
      Warn("cleaned up after procaudit pid " + std::to_string(s.pid) +
           ", which was killed: turned process accounting off (it was writing to " + s.file + ")");
    }
    if (IsOwnFile(s.file)) unlink(s.file.c_str());
    dir.Remove(s.pid);
  }
  std::vector<int32_t> pids;
  for (const AcctState& s : dead) pids.push_back(s.pid);
  return pids;
}

class LiveAcct {
 public:
  LiveAcct() {
    try {
      Start();
    } catch (...) {
      Undo();
      throw;
    }
  }
  ~LiveAcct() { Stop(); }

  // Idempotent.
  void Stop() {
    if (!own_) {
      shared_.reset();  // closes the descriptor the file was read through
      return;
    }
    try {
      // Only while it still writes our file: otherwise somebody turned it on elsewhere (or off)
      // since, and that is theirs. (Suspended for lack of disk space, it reads as off too, and
      // stays on into our deleted file until the next acct(2) call: see acct_probe.h.) Checked
      // without the probe's fanotify: the daemon no longer holds CAP_SYS_ADMIN at its stop.
      if (state_.dev && AccountingWritesTo(state_.file, *state_.dev, *state_.ino)) {
        SetAccounting(nullptr);
      }
    } catch (const std::exception& e) {
      // The state stays: the next start after this process has gone finishes the job.
      Warn(std::string("turning process accounting off: ") + e.what() +
           "; left for the next start");
      own_ = false;
      return;
    }
    Undo();
  }

  const LiveAcctInfo& info() const { return info_; }

 private:
  void Start();
  void StartOwn();
  // Removes our file and state (accounting is off, or was never turned on).
  void Undo();

  LiveAcctInfo info_;
  AcctStateDir dir_;
  AcctState state_;
  bool own_ = false;  // accounting turned on into our file
  bool state_written_ = false;
  std::optional<AcctTarget> shared_;  // held open while the file is read through it
};

void LiveAcct::Start() {
  CleanUpStale(dir_);
  std::optional<AcctTarget> now = ProbeAccounting();
  if (!now) return StartOwn();
  // Shared: accounting is somebody else's (the acct package's service); read, never change.
  if (std::optional<std::string> known = KnownPathOf(*now)) {
    info_.path = *known;  // rotation swaps the file under this name: keep following the name
  } else {
    info_.path = now->FdPath();
    shared_ = std::move(now);
  }
  info_.own = false;
}

void LiveAcct::StartOwn() {
  // There is a window between the probe and acct(2) in which another program may turn
  // accounting on; acct(2) would then replace its file with ours. Nothing closes it: the kernel
  // offers no compare-and-swap.
  state_.pid = getpid();
  state_.start_time = netlink::ProcessStartTime(state_.pid);
  state_.file = OwnFile(state_.pid);
  // Recorded before the first change, so a SIGKILL at any later point can be undone.
  dir_.Write(state_);
  state_written_ = true;
  if (mkdir(kOwnDir, 0700) != 0 && errno != EEXIST) {
    throw std::runtime_error(std::string("creating ") + kOwnDir + ": " + std::strerror(errno));
  }
  unlink(state_.file.c_str());  // a leftover of an earlier run with this pid
  {
    UniqueFd fd(
        open(state_.file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
    struct stat st {};
    if (!fd.valid() || fstat(fd.get(), &st) != 0) {
      throw std::runtime_error("creating " + state_.file + ": " + std::strerror(errno));
    }
    state_.dev = st.st_dev;
    state_.ino = st.st_ino;
  }
  dir_.Write(state_);
  // The kernel suspends accounting while free space on the file's filesystem is below
  // /proc/sys/kernel/acct's threshold (and resumes above another): records can stop for a
  // while with nothing said.
  SetAccounting(state_.file.c_str());
  own_ = true;
  info_.path = state_.file;
  info_.own = true;
}

void LiveAcct::Undo() {
  own_ = false;
  if (!state_.file.empty()) unlink(state_.file.c_str());
  if (state_written_) {
    dir_.Remove(state_.pid);
    state_written_ = false;
  }
  state_ = AcctState{};
}

std::mutex& AcctMutex() {
  static auto* m = new std::mutex;  // never destroyed: StopLiveAcct runs from atexit
  return *m;
}
std::unique_ptr<LiveAcct>& TheAcct() {
  static auto* a = new std::unique_ptr<LiveAcct>;
  return *a;
}

// As with the live capture: every LiveAcctInfo handed out holds a lease; accounting is given
// back when the last lease goes, or at StopLiveAcct, or at exit.
size_t g_leases = 0;  // guarded by AcctMutex()

struct Lease {
  LiveAcctInfo info;
  ~Lease() {
    std::lock_guard lock(AcctMutex());
    if (--g_leases == 0) TheAcct().reset();
  }
};

}  // namespace

std::shared_ptr<const LiveAcctInfo> StartLiveAcct() {
  std::lock_guard lock(AcctMutex());
  std::unique_ptr<LiveAcct>& acct = TheAcct();
  if (!acct) {
    static std::once_flag at_exit;
    std::call_once(at_exit, [] { std::atexit(StopLiveAcct); });
    acct = std::make_unique<LiveAcct>();
  }
  ++g_leases;
  auto lease = std::make_shared<Lease>();
  lease->info = acct->info();
  return std::shared_ptr<const LiveAcctInfo>(lease, &lease->info);
}

std::optional<LiveAcctInfo> RunningLiveAcct() {
  std::lock_guard lock(AcctMutex());
  if (!TheAcct()) return std::nullopt;
  return TheAcct()->info();
}

void StopLiveAcct() {
  std::lock_guard lock(AcctMutex());
  TheAcct().reset();  // the destructor restores
}

std::vector<int32_t> CleanUpKilledAcct() {
  std::lock_guard lock(AcctMutex());
  if (TheAcct()) return {};  // a run of this process: its state is not a leftover
  return CleanUpStale(AcctStateDir());
}

void StopLiveAcctForExit() {
  AcctMutex().lock();  // never unlocked: the process ends
  TheAcct().reset();
}

}  // namespace procaudit::acct
