#include "audit/process_tracker.h"

#include <algorithm>
#include <tuple>

#include "audit/event_builder.h"
#include "util/json.h"

namespace procaudit::audit {
namespace {

constexpr uint64_t kCloneThread = 0x00010000;  // CLONE_THREAD: a thread, not a process
constexpr uint64_t kCloneNewPid = 0x20000000;  // CLONE_NEWPID: the child is pid 1 inside
constexpr size_t kProcTitleLimit = 128;        // the kernel cuts PROCTITLE at this many bytes
constexpr uint64_t kPruneEvery = 1 << 14;

// PROCTITLE is argv NUL-separated; it is only trusted as argv when the kernel did not cut it.
std::optional<std::vector<std::string>> ArgvFromProctitle(const std::optional<std::string>& t) {
  if (!t || t->empty() || t->size() >= kProcTitleLimit) return std::nullopt;
  std::vector<std::string> argv;
  std::string_view rest(*t);
  if (rest.back() == '\0') rest.remove_suffix(1);
  while (true) {
    const size_t nul = rest.find('\0');
    argv.emplace_back(rest.substr(0, nul));
    if (nul == std::string_view::npos) break;
    rest.remove_prefix(nul + 1);
  }
  return argv;
}

}  // namespace

ProcessTracker::ProcessTracker(EventRing& ring, PipelineStats& stats, Options options)
    : ring_(ring), stats_(stats), options_(options) {}

void ProcessTracker::CountOther(uint32_t serial, int64_t time_ms) {
  serials_.Count(serials_.Unwrap(serial, time_ms));
}

void ProcessTracker::Submit(SyscallEvent&& ev) {
  const uint64_t u = serials_.Unwrap(ev.serial, ev.time_ms);
  // Events arrive nearly in serial order: append, or insert a little before the end.
  auto at = held_.end();
  if (!held_.empty() && u <= held_.back().key) {
    at = std::lower_bound(held_.begin(), held_.end(), u,
                          [](const Held& h, uint64_t key) { return h.key < key; });
    if (at != held_.end() && at->key == u) return;  // the same serial twice: keep the first
  }
  serials_.Count(u);
  if (last_released_ && u <= *last_released_) stats_.late_events.fetch_add(1);
  newest_held_time_ms_ = std::max(newest_held_time_ms_, ev.time_ms);
  HoldIndexAdd(ev);
  held_.insert(at, Held{u, std::move(ev), std::chrono::steady_clock::now()});
  ReleaseReady();
}

void ProcessTracker::ReleaseReady() {
  while (!held_.empty() &&
         (held_.size() > options_.max_held ||
          newest_held_time_ms_ - held_.front().ev.time_ms > options_.window_ms)) {
    ReleaseFront();
  }
}

void ProcessTracker::Flush() {
  while (!held_.empty()) ReleaseFront();
}

void ProcessTracker::Age(std::chrono::steady_clock::time_point now) {
  const auto window = std::chrono::milliseconds(options_.window_ms);
  while (!held_.empty() && now - held_.front().arrived > window) ReleaseFront();
}

void ProcessTracker::ReleaseFront() {
  const Held& front = held_.front();
  const SyscallEvent& ev = front.ev;
  HoldIndexRemove(ev);
  if (!last_released_ || front.key > *last_released_) last_released_ = front.key;
  ring_.Write([&](EventRing::Writer& w) { Apply(ev, w); });
  held_.pop_front();
  if (++released_since_prune_ >= kPruneEvery) Prune();
}

void ProcessTracker::HoldIndexAdd(const SyscallEvent& ev) {
  ++held_pids_[ev.pid];
  ++held_children_[ev.ppid][ev.pid];
}

void ProcessTracker::HoldIndexRemove(const SyscallEvent& ev) {
  if (auto it = held_pids_.find(ev.pid); it != held_pids_.end() && --it->second == 0) {
    held_pids_.erase(it);
  }
  if (auto it = held_children_.find(ev.ppid); it != held_children_.end()) {
    if (auto c = it->second.find(ev.pid); c != it->second.end() && --c->second == 0) {
      it->second.erase(c);
    }
    // An emptied map stays for the parent's next child (Prune drops it): no churn.
  }
}

void ProcessTracker::Apply(const SyscallEvent& ev, EventRing::Writer& w) {
  if (IsExec(ev.syscall)) {
    ApplyExec(ev, w);
  } else if (IsBirth(ev.syscall)) {
    ApplyBirth(ev, w);
  } else {
    ApplyExit(ev, w);
  }
}

ProcessTracker::Proc& ProcessTracker::Touch(const SyscallEvent& ev, EventRing::Writer& w) {
  auto [it, fresh] = procs_.try_emplace(ev.pid);
  Proc& p = it->second;
  if (!fresh && p.ended) {
    p = Proc{};  // the pid was reused after the old instance's exit_group
    fresh = true;
  }
  if (fresh) {
    p.first_time_ms = ev.time_ms;
    p.first_eid = w.next_eid();
    if (ev.ppid) unborn_by_parent_[ev.ppid].push_back(ev.pid);
    InheritFromParent(ev, p, w);
  }
  if (ev.ppid) p.kernel_ppid = ev.ppid;  // anom_abend records name no parent
  // A process first seen mid-log: its record still names its image.
  if (p.path == StringPool::kNull && ev.exe) p.path = w.Intern(*ev.exe);
  if (p.argv_json == StringPool::kNull) {
    if (auto argv = ArgvFromProctitle(ev.proctitle)) {
      std::tie(p.argv_json, p.cmdline) = InternArgv(*argv, w);
      p.argc = static_cast<int32_t>(argv->size());
    }
  }
  return p;
}

// A process first seen through a record other than its exec (its exit_group logged before the
// parent's fork returned, say) runs its parent's image when it runs the parent's executable.
void ProcessTracker::InheritFromParent(const SyscallEvent& ev, Proc& p, EventRing::Writer& w) {
  auto parent = procs_.find(ev.ppid);
  if (parent == procs_.end() || parent->second.ended || IsExec(ev.syscall)) return;
  const Proc& from = parent->second;
  if (ev.exe && from.path != w.Intern(*ev.exe)) return;
  CopyImage(from, p);
}

// What a child starts with: its parent's executable, arguments, directory and cgroup.
void ProcessTracker::CopyImage(const Proc& from, Proc& to) {
  to.path = from.path;
  to.cwd = from.cwd;
  to.argv_json = from.argv_json;
  to.cmdline = from.cmdline;
  to.argc = from.argc;
  to.cgroup = from.cgroup;
  to.container_id = from.container_id;
}

// The JSON and the joined form of an argv, interned. The same command lines come back again
// and again (a build, a cron job, an exec storm), so both are cached by the raw arguments:
// JSON encoding is the costliest step of an exec.
std::pair<StrId, StrId> ProcessTracker::InternArgv(const std::vector<std::string>& argv,
                                                   EventRing::Writer& w) {
  std::string& key = argv_key_;
  key.clear();
  for (const std::string& a : argv) {
    key.append(a);
    key.push_back('\0');
  }
  if (auto it = argv_cache_.find(key); it != argv_cache_.end()) return it->second;
  if (argv_cache_.size() >= kArgvCacheSize) argv_cache_.clear();
  const std::pair<StrId, StrId> ids{w.Intern(JsonStringArray(argv)), w.Intern(JoinCmdline(argv))};
  argv_cache_.emplace(key, ids);
  return ids;
}

ProcessEventRow ProcessTracker::BaseRow(const SyscallEvent& ev, EventRing::Writer& w) {
  ProcessEventRow row;
  row.time_ms = ev.time_ms;
  row.serial = ev.serial;
  row.status = ev.exit;
  row.pid = ev.pid;
  row.ppid = ev.ppid;
  row.cred = ev.cred;
  row.ses = ev.ses;
  row.syscall = ev.syscall;
  if (ev.has_result) row.flags |= ProcessEventRow::kHasResult;
  if (ev.success) row.flags |= ProcessEventRow::kSuccess;
  if (!ev.arch.empty()) row.arch = recent_.arch.Get(ev.arch, w);
  if (ev.tty) row.tty = recent_.tty.Get(*ev.tty, w);
  if (ev.comm) row.comm = recent_.comm.Get(*ev.comm, w);
  if (ev.key) row.key = recent_.key.Get(*ev.key, w);
  return row;
}

void ProcessTracker::SetImage(ProcessEventRow& row, const Proc& p) const {
  row.path = p.path;
  row.cmdline = p.cmdline;
  row.argv_json = p.argv_json;
  row.cwd = p.cwd;
  row.cgroup = p.cgroup;
  row.container_id = p.container_id;
  if (p.argc >= 0) {
    row.argc = p.argc;
    row.flags |= ProcessEventRow::kHasArgc;
  }
  row.ns_pid.store(p.ns_pid);
}

void ProcessTracker::SetParent(ProcessEventRow& row, int32_t parent) const {
  row.parent = parent;
  row.flags |= ProcessEventRow::kHasParent;
  if (auto it = procs_.find(parent); it != procs_.end()) {
    row.parent_path = it->second.path;
    row.parent_cmdline = it->second.cmdline;
  }
}

void ProcessTracker::ApplyExec(const SyscallEvent& ev, EventRing::Writer& w) {
  Proc& p = Touch(ev, w);
  if (ev.success) {
    if (ev.exe) p.path = w.Intern(*ev.exe);
    if (ev.cwd) p.cwd = w.Intern(*ev.cwd);
    if (ev.argv) {
      std::tie(p.argv_json, p.cmdline) = InternArgv(*ev.argv, w);
      p.argc = static_cast<int32_t>(ev.argv->size());
    } else {
      // The new image's arguments are unknown: never show the old image's.
      p.argv_json = p.cmdline = StringPool::kNull;
      p.argc = -1;
    }
  }
  ProcessEventRow row = BaseRow(ev, w);
  SetImage(row, p);
  if (!ev.success) {
    // A failed exec keeps the old image; the row shows what was asked for, when logged.
    if (ev.argv) {
      std::tie(row.argv_json, row.cmdline) = InternArgv(*ev.argv, w);
      row.argc = static_cast<int32_t>(ev.argv->size());
      row.flags |= ProcessEventRow::kHasArgc;
    }
    if (ev.cwd) row.cwd = w.Intern(*ev.cwd);
  }
  if (ev.exe_mode) {
    row.mode = *ev.exe_mode;
    row.flags |= ProcessEventRow::kHasMode;
  }
  if (ev.exe_ouid && ev.exe_ogid) {
    row.owner_uid = *ev.exe_ouid;
    row.owner_gid = *ev.exe_ogid;
    row.flags |= ProcessEventRow::kHasOwner;
  }
  SetParent(row, p.creator ? p.creator : ev.ppid);
  w.Append(row);
  stats_.process_events.fetch_add(1, std::memory_order_relaxed);
}

std::optional<ProcessTracker::Child> ProcessTracker::ResolveChild(const SyscallEvent& ev) {
  const int32_t caller = ev.pid;
  const int64_t ret = ev.exit;
  if (ret <= 0 || ret > INT32_MAX) return std::nullopt;
  const auto r = static_cast<int32_t>(ret);
  // 1. Already seen (its records came first) and waiting for its birth.
  if (auto it = procs_.find(r); it != procs_.end() && !it->second.born &&
                                it->second.kernel_ppid == caller) {
    return Child{r, 0};
  }
  // 2. Its records are still in the window.
  if (held_pids_.contains(r)) {
    auto kids = held_children_.find(caller);
    const bool child_of_caller = kids != held_children_.end() && kids->second.contains(r);
    auto known = procs_.find(r);
    if (child_of_caller || known == procs_.end() || known->second.ended) return Child{r, 0};
  }
  // 3. The caller is in another pid namespace: a new pid whose parent is the caller, close in time.
  std::optional<int32_t> candidate;
  if (auto it = unborn_by_parent_.find(caller); it != unborn_by_parent_.end()) {
    for (int32_t pid : it->second) {
      auto p = procs_.find(pid);
      if (p != procs_.end() && !p->second.born && p->second.kernel_ppid == caller &&
          std::abs(p->second.first_time_ms - ev.time_ms) <= options_.window_ms) {
        candidate = pid;
        break;
      }
    }
  }
  if (!candidate) {
    if (auto kids = held_children_.find(caller); kids != held_children_.end()) {
      for (const auto& [pid, count] : kids->second) {
        auto known = procs_.find(pid);
        if (pid != caller && (known == procs_.end() || known->second.ended)) {
          candidate = std::min(candidate.value_or(pid), pid);
        }
      }
    }
  }
  if (candidate) return Child{*candidate, r};
  // 4. The child never showed up: killed before any audited syscall, or (clone3) a thread.
  if (ev.syscall == ProcessSyscall::kClone3) return std::nullopt;
  return Child{r, 0};
}

void ProcessTracker::ApplyBirth(const SyscallEvent& ev, EventRing::Writer& w) {
  if (ev.syscall == ProcessSyscall::kClone && (ev.a0 & kCloneThread)) return;
  Proc& caller = Touch(ev, w);
  ProcessEventRow row = BaseRow(ev, w);
  std::optional<Child> child = ev.success ? ResolveChild(ev) : std::nullopt;
  if (!child) {
    if (ev.success) return;  // a thread
    // A failed fork has no child: the row is the caller's, with the error in status.
    SetImage(row, caller);
    SetParent(row, caller.creator ? caller.creator : ev.ppid);
    w.Append(row);
    stats_.process_events.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  // Copy what the child inherits before touching the map again.
  const Proc inherited = caller;
  auto [it, fresh] = procs_.try_emplace(child->host_pid);
  Proc& kid = it->second;
  const bool seen_first = !fresh && !kid.born && kid.kernel_ppid == ev.pid;
  if (!seen_first) {
    kid = Proc{};
    kid.first_time_ms = ev.time_ms;
    kid.first_eid = w.next_eid();
    CopyImage(inherited, kid);
  }
  if (kid.cgroup == StringPool::kNull) {
    kid.cgroup = inherited.cgroup;
    kid.container_id = inherited.container_id;
  }
  kid.born = true;
  kid.creator = ev.pid;
  kid.kernel_ppid = ev.pid;
  int32_t ns_pid = child->ns_pid;
  if (ns_pid == 0 && ev.syscall == ProcessSyscall::kClone && (ev.a0 & kCloneNewPid)) ns_pid = 1;
  if (ns_pid) {
    kid.ns_pid = ns_pid;
    // Rows the child's own records made before its birth was known get the namespace pid too.
    // Readers may see them already: ns_pid is the one field that may change (event_ring.h).
    w.ForEachRowOfPid(child->host_pid, kid.first_eid,
                      [&](ProcessEventRow& r) { r.ns_pid.store(ns_pid); });
  }
  row.pid = child->host_pid;
  row.ppid = ev.pid;
  // The child starts as a copy of the caller: the caller's image, not what the child ran later.
  Proc start = inherited;
  start.ns_pid = ns_pid;
  start.cgroup = kid.cgroup;
  start.container_id = kid.container_id;
  SetImage(row, start);
  SetParent(row, ev.pid);
  w.Append(row);
  stats_.process_events.fetch_add(1, std::memory_order_relaxed);
}

void ProcessTracker::ApplyExit(const SyscallEvent& ev, EventRing::Writer& w) {
  Proc& p = Touch(ev, w);
  ProcessEventRow row = BaseRow(ev, w);
  SetImage(row, p);
  if (ev.syscall == ProcessSyscall::kExitGroup) {
    // exit_group's argument is the status; the kernel keeps its low 8 bits for the parent.
    row.exit_code = static_cast<int32_t>(ev.a0 & 0xff);
    row.flags |= ProcessEventRow::kHasExitCode;
    p.ended = true;
  } else if (ev.syscall == ProcessSyscall::kAnomAbend) {
    row.signal = static_cast<int32_t>(ev.a0);
    row.flags |= ProcessEventRow::kHasSignal;
    row.ppid = p.kernel_ppid;  // the record names no parent
    p.ended = true;
  }
  const int32_t parent = p.creator ? p.creator : row.ppid;
  if (parent) SetParent(row, parent);
  w.Append(row);
  stats_.process_events.fetch_add(1, std::memory_order_relaxed);
}

// Forgets ended instances that no reordered event can still refer to, and stale candidates.
void ProcessTracker::Prune() {
  released_since_prune_ = 0;
  const int64_t horizon = newest_held_time_ms_ - 4 * options_.window_ms;
  std::erase_if(procs_, [&](const auto& kv) {
    return kv.second.ended && kv.second.first_time_ms < horizon && !held_pids_.contains(kv.first);
  });
  std::erase_if(held_children_, [](const auto& kv) { return kv.second.empty(); });
  for (auto it = unborn_by_parent_.begin(); it != unborn_by_parent_.end();) {
    std::erase_if(it->second, [&](int32_t pid) {
      auto p = procs_.find(pid);
      return p == procs_.end() || p->second.born || p->second.first_time_ms < horizon;
    });
    it = it->second.empty() ? unborn_by_parent_.erase(it) : std::next(it);
  }
}

}  // namespace procaudit::audit
