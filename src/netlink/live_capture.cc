#include "netlink/live_capture.h"

#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <set>
#include <stop_token>
#include <thread>

#include "netlink/audit_netlink.h"
#include "netlink/audit_rules.h"
#include "netlink/capture_state.h"
#include "netlink/netlink_source.h"

namespace procaudit::netlink {
namespace {

// Big enough to absorb a burst while the reader thread is descheduled: about 30,000 records.
constexpr int kReceiveBuffer = 32 << 20;
constexpr auto kMonitorPeriod = std::chrono::seconds(2);
constexpr auto kWarnEvery = std::chrono::seconds(10);

void Warn(const std::string& line) { std::fprintf(stderr, "procaudit: warning: %s\n", line.c_str()); }

// Not a zombie either: it has exited (capture_state.h).
bool ProcessAlive(uint32_t pid) { return pid != 0 && ProcessStartTime(static_cast<int32_t>(pid)) != 0; }

void GrowReceiveBuffer(int fd) {
  // SO_RCVBUFFORCE passes rmem_max for root; SO_RCVBUF is the unprivileged fallback.
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &kReceiveBuffer, sizeof kReceiveBuffer) != 0) {
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &kReceiveBuffer, sizeof kReceiveBuffer);
  }
}

// An audit pid whose process is gone stays registered until the kernel next fails to send to
// it. Any configuration change makes a record, so setting the backlog limit to its own value
// makes the kernel notice; then wait (briefly) for it to let go.
KernelStatus ReleaseDeadOwner(AuditControl& ctl, KernelStatus st) {
  if (st.pid == 0 || ProcessAlive(st.pid)) return st;
  ctl.SetBacklogLimit(st.backlog_limit);
  for (int i = 0; i < 40 && st.pid != 0 && !ProcessAlive(st.pid); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    st = ctl.Status();
  }
  return st;
}

// Whether a loaded rule is one of ours that no running capture needs. Our rules carry one key
// for all captures: a rule keeping a capture's own pid out is that capture's; a file rule is any
// capture's that lists its watch; the process rules are shared by every running capture.
bool IsStale(const Rule& rule, bool others_alive, const std::set<std::string>& alive_watches) {
  if (!rule.HasKey(kRuleKey)) return false;
  if (const uint32_t pid = ExcludedPid(rule)) return !ProcessAlive(pid);
  if (const std::optional<FileWatch> watch = FileWatchOf(rule)) {
    return !alive_watches.contains(watch->ToString());
  }
  return !others_alive;
}

struct CleanUp {
  bool others_alive = false;  // another capture is running now
  KilledCaptures killed;
};

// Undoes what captures killed with SIGKILL left behind: their rules, their settings, their
// state files.
CleanUp CleanUpStale(AuditControl& ctl, const StateDir& dir) {
  bool others_alive = false;
  std::set<std::string> alive_watches;
  std::vector<CaptureState> dead;
  for (StateDir::Entry& e : dir.ReadAll()) {
    if (e.state.pid == getpid()) continue;
    if (StateOwnerAlive(e.state)) {
      others_alive = true;
      alive_watches.insert(e.state.watches.begin(), e.state.watches.end());
    } else {
      dead.push_back(e.state);
    }
  }
  size_t removed = 0;
  for (const Rule& rule : ctl.ListRules()) {
    if (IsStale(rule, others_alive, alive_watches) && ctl.DeleteRule(rule)) ++removed;
  }
  KernelStatus st = ReleaseDeadOwner(ctl, ctl.Status());
  std::string restored;
  for (const CaptureState& s : dead) {
    // Settings go back only while nobody else has taken the audit pid since: an auditd
    // started after the crash set its own, and they are not ours to undo.
    if (st.pid == 0 && !others_alive) {
      if (s.backlog_limit && st.backlog_limit == s.backlog_limit->set) {
        ctl.SetBacklogLimit(s.backlog_limit->before);
        restored += " backlog_limit=" + std::to_string(s.backlog_limit->before);
      }
      if (s.backlog_wait_time && st.backlog_wait_time == s.backlog_wait_time->set) {
        ctl.SetBacklogWaitTime(s.backlog_wait_time->before);
        restored += " backlog_wait_time=" + std::to_string(s.backlog_wait_time->before);
      }
      if (s.enabled && st.enabled == s.enabled->set && s.enabled->before == 0) {
        ctl.SetEnabled(0);
        restored += " enabled=0";
      }
      st = ctl.Status();
    }
    dir.Remove(s.pid);
    Warn("cleaned up after procaudit pid " + std::to_string(s.pid) + ", which was killed: removed " +
         std::to_string(removed) + " stale rule" + (removed == 1 ? "" : "s") +
         (restored.empty() ? "" : ", restored" + restored));
    removed = 0;
    restored.clear();
  }
  if (dead.empty() && removed > 0) {
    Warn("removed " + std::to_string(removed) + " stale procaudit rule" + (removed == 1 ? "" : "s"));
  }
  CleanUp done{others_alive, {}};
  for (const CaptureState& s : dead) done.killed.pids.push_back(s.pid);
  done.killed.stray_rules = dead.empty() ? removed : 0;
  return done;
}

class Capture {
 public:
  Capture(const LiveOptions& options, size_t capacity) : options_(options) {
    try {
      Start(capacity);
    } catch (...) {
      Restore();
      throw;
    }
    monitor_ = std::jthread([this](std::stop_token stop) { Monitor(stop); });
  }
  ~Capture() { Stop(); }

  // Idempotent. Restores everything, then stops the pipeline (the ring stays readable).
  void Stop() {
    if (monitor_.joinable()) {
      monitor_.request_stop();
      monitor_.join();
    }
    Restore();
  }

  std::shared_ptr<audit::EventStore> store() const { return store_; }
  LiveInfo Info() const {
    LiveInfo info;
    info.mode = mode_;
    info.lost_at_start = lost_at_start_;
    info.rules_installed = installed_.size();
    info.events_per_second = rate_.load(std::memory_order_relaxed);
    info.watches = watching_;
    return info;
  }

 private:
  void Start(size_t capacity);
  void StartUnicast(AuditControl& ctl, const KernelStatus& st);
  void StartMulticast(AuditControl* ctl, const std::optional<KernelStatus>& st);
  // The process rules, then each watch's file rules. exclude_pid: the never-rule's (unicast);
  // file_not_pid: the file rules' pid!= (multicast, where there is no never-rule).
  void AddRules(AuditControl& ctl, int32_t exclude_pid, int32_t file_not_pid);
  void Restore();
  void Monitor(std::stop_token stop);

  LiveOptions options_;
  AuditMode mode_ = AuditMode::kOff;
  StateDir dir_;
  CaptureState state_;
  bool state_written_ = false;
  std::optional<AuditControl> ctl_;
  UniqueFd event_fd_;
  std::vector<Rule> installed_;
  std::vector<LiveInfo::Watching> watching_;
  std::optional<uint32_t> lost_at_start_;
  std::shared_ptr<audit::EventStore> store_;
  std::atomic<double> rate_{0};
  std::jthread monitor_;
};

void Capture::Start(size_t capacity) {
  // The control socket needs CAP_AUDIT_CONTROL; without it only multicast can work.
  std::optional<KernelStatus> st;
  try {
    ctl_.emplace();
    st = ctl_->Status();
  } catch (const AuditError& e) {
    ctl_.reset();  // refused: Restore must not ask it anything either
    if (options_.mode == AuditMode::kUnicast || options_.add_rules) throw;
  }
  if (ctl_) {
    CleanUpStale(*ctl_, dir_);  // also makes the kernel let go of a dead audit pid
    st = ctl_->Status();
    lost_at_start_ = st->lost;
  }
  AuditMode mode = options_.mode;
  if (mode == AuditMode::kAuto) mode = (st && st->pid == 0 && st->enabled != 2) ? AuditMode::kUnicast : AuditMode::kMulticast;
  // History first: loading it may take seconds, and the kernel must not queue records meanwhile.
  const std::string description = std::string("kernel audit (") + AuditModeName(mode) + ")";
  store_ = audit::EventStore::FromHistory(description, capacity, options_.history);
  if (mode == AuditMode::kUnicast) {
    if (st->enabled == 2) {
      throw std::runtime_error(
          "the audit configuration is locked (enabled 2): rules and the audit pid cannot change "
          "until reboot; use --audit-mode multicast");
    }
    if (st->pid != 0) {
      const std::string owner = ProcessComm(st->pid);
      throw std::runtime_error("the audit pid is owned by pid " + std::to_string(st->pid) + " (" +
                               (owner.empty() ? "?" : owner) +
                               "): procaudit never takes it over; use --audit-mode multicast (or auto)");
    }
    StartUnicast(*ctl_, *st);
  } else {
    StartMulticast(ctl_ ? &*ctl_ : nullptr, st);
  }
  mode_ = mode;
  store_->Attach(OpenNetlinkSource(event_fd_.get(), description));
}

void Capture::StartUnicast(AuditControl& ctl, const KernelStatus& st) {
  state_.pid = getpid();
  state_.start_time = ProcessStartTime(state_.pid);
  state_.mode = "unicast";
  state_.took_pid = true;
  for (const FileWatch& w : options_.watches) state_.watches.push_back(w.ToString());
  if (st.enabled == 0) state_.enabled = ChangedSetting{0, 1};
  if (st.backlog_limit != options_.backlog_limit) {
    state_.backlog_limit = ChangedSetting{st.backlog_limit, options_.backlog_limit};
  }
  // A full backlog must drop (and count) records rather than stall every audited process.
  if (st.backlog_wait_time != 0) state_.backlog_wait_time = ChangedSetting{st.backlog_wait_time, 0};
  // Recorded before the first change, so a SIGKILL at any later point can be undone.
  dir_.Write(state_);
  state_written_ = true;
  event_fd_.Reset(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT));
  if (!event_fd_.valid()) throw AuditError(errno, "opening the audit netlink");
  GrowReceiveBuffer(event_fd_.get());
  // The kernel unicasts to the socket that registered: the event socket, not the control one.
  try {
    AuditControl(event_fd_.get()).SetPid(static_cast<uint32_t>(getpid()));
  } catch (const AuditError&) {
    // Refused (EPERM, EEXIST) or never sent: nothing to give back. Giving back a pid we do not
    // hold is a change of its own (a CONFIG_CHANGE record; EACCES when another process took it
    // meanwhile). Without an answer (a timeout) it may be ours: Restore gives it back.
    state_.took_pid = false;
    throw;
  }
  if (state_.backlog_limit) ctl.SetBacklogLimit(state_.backlog_limit->set);
  if (state_.backlog_wait_time) ctl.SetBacklogWaitTime(state_.backlog_wait_time->set);
  AddRules(ctl, options_.exclude_self ? getpid() : 0, 0);
  if (state_.enabled) ctl.SetEnabled(1);
}

void Capture::StartMulticast(AuditControl* ctl, const std::optional<KernelStatus>& st) {
  try {
    event_fd_.Reset(OpenMulticastSocket());
  } catch (const std::runtime_error&) {
    if (ctl || options_.mode != AuditMode::kAuto) throw;
    throw std::runtime_error(
        "live capture needs root: CAP_AUDIT_CONTROL to own the audit pid, or CAP_AUDIT_READ to "
        "read the audit multicast group (the /proc tables work without)");
  }
  GrowReceiveBuffer(event_fd_.get());
  if (ctl && options_.add_rules) {
    state_.pid = getpid();
    state_.start_time = ProcessStartTime(state_.pid);
    state_.mode = "multicast";
    for (const FileWatch& w : options_.watches) state_.watches.push_back(w.ToString());
    dir_.Write(state_);
    state_written_ = true;
    // No never-rule here: hiding procaudit from the owner's own log is not ours to decide. Our
    // own file rules leave our own calls out, though: reading /proc would flood the owner's log.
    AddRules(*ctl, 0, options_.exclude_self ? getpid() : 0);
  } else if (!options_.watches.empty()) {
    Warn(std::string("the file watches (") + FileWatchesToString(options_.watches) +
         ") are not installed: " +
         (ctl ? "procaudit reads the audit multicast group beside the audit pid's owner and adds "
                "rules there only when asked (the shell's --audit-rules add)"
              : "adding rules needs CAP_AUDIT_CONTROL") +
         "; file_events shows what the loaded rules record");
  }
  if (st && st->enabled == 0) {
    Warn(st->pid ? "kernel auditing is disabled (enabled 0) by the audit pid's owner: no records will arrive"
                 : "kernel auditing is disabled (enabled 0) and nobody owns the audit pid: no records "
                   "will arrive (--audit-mode auto would take it)");
  }
  if (ctl && !options_.add_rules && !CoversProcessEvents(ctl->ListRules())) {
    Warn("the loaded audit rules do not record every execve and exit_group: process_events will "
         "miss processes (--audit-rules add installs procaudit's rules beside the owner's)");
  }
}

void Capture::AddRules(AuditControl& ctl, int32_t exclude_pid, int32_t file_not_pid) {
  auto add = [&](const Rule& rule) {
    try {
      ctl.AddRule(rule);
      installed_.push_back(rule);
    } catch (const AuditError& e) {
      // The same rule is loaded already (another procaudit's): it is not ours to remove.
      if (e.error() != EEXIST) throw;
    }
  };
  for (const Rule& rule : ProcessRules({exclude_pid})) add(rule);
  for (const FileWatch& watch : options_.watches) {
    std::vector<Rule> rules = FileRules(watch, file_not_pid);
    for (const Rule& rule : rules) {
      try {
        add(rule);
      } catch (const AuditError& e) {
        const std::string what = "adding the audit rule watching " + watch.ToString();
        throw AuditError(e.error(), what.c_str());
      }
    }
    watching_.push_back({watch, std::move(rules)});
  }
}

void Capture::Restore() {
  // Each step on its own: one failing must not keep the others from being undone.
  auto step = [](const char* what, auto&& fn) {
    try {
      fn();
    } catch (const std::exception& e) {
      Warn(std::string("restoring the audit state: ") + what + ": " + e.what());
    }
  };
  if (ctl_) {
    // Last added first: the never-rule keeping our own calls out goes last. DeleteRule is
    // quiet about a rule already gone: the kernel drops a dir= or exe= rule by itself when its
    // directory is removed.
    for (auto rule = installed_.rbegin(); rule != installed_.rend(); ++rule) {
      step("removing a rule", [&] { ctl_->DeleteRule(*rule); });
    }
    installed_.clear();
    watching_.clear();
    if (state_.took_pid) step("giving back the audit pid", [&] { ctl_->SetPid(0); });
    step("restoring settings", [&] {
      const KernelStatus st = ctl_->Status();
      // Only what we set and nobody changed since; enabled goes back to 0 only if it was 0.
      if (state_.backlog_limit && st.backlog_limit == state_.backlog_limit->set) {
        ctl_->SetBacklogLimit(state_.backlog_limit->before);
      }
      if (state_.backlog_wait_time && st.backlog_wait_time == state_.backlog_wait_time->set) {
        ctl_->SetBacklogWaitTime(state_.backlog_wait_time->before);
      }
      if (state_.enabled && state_.enabled->before == 0 && st.enabled == 1 && st.pid == 0) {
        ctl_->SetEnabled(0);
      }
    });
    state_ = CaptureState{};
  }
  if (store_) store_->StopSource();
  event_fd_.Reset();
  if (state_written_) {
    dir_.Remove(getpid());
    state_written_ = false;
  }
}

void Capture::Monitor(std::stop_token stop) {
  std::optional<AuditControl> ctl;
  try {
    if (ctl_) ctl.emplace();
  } catch (const std::exception&) {
  }
  std::mutex m;
  std::condition_variable_any cv;
  auto last_tick = std::chrono::steady_clock::now();
  auto last_warn = last_tick - kWarnEvery;
  uint64_t last_events = store_->stats().events.load();
  uint64_t warned_lost = lost_at_start_.value_or(0);
  uint64_t warned_drops = 0;
  while (true) {
    {
      std::unique_lock lock(m);
      if (cv.wait_for(lock, stop, kMonitorPeriod, [] { return false; })) break;
      if (stop.stop_requested()) break;
    }
    const auto now = std::chrono::steady_clock::now();
    const uint64_t events = store_->stats().events.load();
    const double seconds = std::chrono::duration<double>(now - last_tick).count();
    rate_.store(seconds > 0 ? static_cast<double>(events - last_events) / seconds : 0);
    last_tick = now;
    last_events = events;
    if (now - last_warn < kWarnEvery) continue;
    std::string warning;
    if (ctl) {
      try {
        const KernelStatus st = ctl->Status();
        if (st.lost > warned_lost) {
          warning = "the kernel lost " + std::to_string(st.lost - warned_lost) +
                    " audit records (backlog limit " + std::to_string(st.backlog_limit) + ")";
          warned_lost = st.lost;
        }
      } catch (const std::exception&) {
      }
    }
    const audit::PipelineStats& s = store_->stats();
    const uint64_t drops = s.queue_drops.load() + s.socket_overruns.load();
    if (drops > warned_drops) {
      warning += (warning.empty() ? "" : "; ") + std::string("procaudit dropped ") +
                 std::to_string(drops - warned_drops) + " batches of records it could not keep up with";
      warned_drops = drops;
    }
    if (!warning.empty()) {
      Warn(warning + ": process_events may miss processes (see audit_status)");
      last_warn = now;
    }
  }
}

std::mutex& CaptureMutex() {
  static auto* m = new std::mutex;  // never destroyed: StopLiveCapture runs from atexit
  return *m;
}
std::unique_ptr<Capture>& TheCapture() {
  static auto* c = new std::unique_ptr<Capture>;
  return *c;
}

// Every store handed out holds a lease; the capture stops when the last lease goes (the last
// connection that used it closed), or at StopLiveCapture, or at exit.
size_t g_leases = 0;  // guarded by CaptureMutex()

struct Lease {
  std::shared_ptr<audit::EventStore> store;
  ~Lease() {
    std::lock_guard lock(CaptureMutex());
    if (--g_leases == 0) TheCapture().reset();
  }
};

}  // namespace

std::shared_ptr<audit::EventStore> StartLiveCapture(const LiveOptions& options, size_t capacity) {
  if (options.mode == AuditMode::kOff) throw std::runtime_error("live capture is off (--audit-mode off)");
  std::lock_guard lock(CaptureMutex());
  std::unique_ptr<Capture>& capture = TheCapture();
  if (!capture) {
    static std::once_flag at_exit;
    std::call_once(at_exit, [] { std::atexit(StopLiveCapture); });
    capture = std::make_unique<Capture>(options, capacity);
  }
  ++g_leases;
  auto lease = std::make_shared<Lease>();  // built in place: a temporary Lease would release
  lease->store = capture->store();
  // Aliasing: the caller sees the store; the lease rides along in the control block.
  return std::shared_ptr<audit::EventStore>(lease, lease->store.get());
}

std::shared_ptr<audit::EventStore> RunningLiveCapture() {
  std::lock_guard lock(CaptureMutex());
  return TheCapture() ? TheCapture()->store() : nullptr;
}

std::optional<LiveInfo> RunningLiveCaptureInfo() {
  std::lock_guard lock(CaptureMutex());
  if (!TheCapture()) return std::nullopt;
  return TheCapture()->Info();
}

void StopLiveCapture() {
  std::lock_guard lock(CaptureMutex());
  if (TheCapture()) TheCapture().reset();  // the destructor restores
}

KilledCaptures CleanUpKilledCaptures() {
  std::lock_guard lock(CaptureMutex());
  try {
    AuditControl ctl;
    return CleanUpStale(ctl, StateDir()).killed;
  } catch (const AuditError& e) {
    throw std::runtime_error(std::string("cleaning up the audit state: ") + e.what());
  }
}

void StopLiveCaptureForExit() {
  CaptureMutex().lock();  // never unlocked: the process ends
  TheCapture().reset();
}

}  // namespace procaudit::netlink
