// The process tracker: turns decoded syscall events, which arrive in no reliable order, into
// process_events rows with the right parent and image.
//
// Ordering. libauparse completes events in arrival order, and even the kernel's own order is
// not causal: a child's execve or exit_group is often logged (and numbered) before the clone
// that created it returns in the parent. The tracker holds events in a window sorted by
// unwrapped serial and releases them in serial order once the window has passed them, so a
// parent's exec is always applied before its children's births are resolved, and a birth can
// look ahead at the child's own records still in the window.
//
// Identity. State is kept per process instance: a pid's instance ends at its exit_group, and
// the next event of that pid starts a new one (pid reuse). A birth's return value is the
// child's pid in the caller's pid namespace, so the child's host pid is resolved from the
// child's own records (which carry host pids), looking for, in order: an instance of that pid
// not yet born whose parent is the caller; an event of that pid in the window; a new pid in the
// window (or seen but not born) whose parent is the caller, close in time: then the return value
// is the namespace pid. clone3 carries no flags in its record, so a clone3 whose child never
// shows up is taken for pthread_create (glibc's threads use clone3) and gives no row.
//
// Thread rules: single-threaded; the event worker thread owns it (see event_worker.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <unordered_map>
#include <vector>

#include "audit/event_ring.h"
#include "audit/last_interned.h"
#include "audit/pipeline_stats.h"
#include "audit/serial_clock.h"
#include "audit/syscall_event.h"

namespace procaudit::audit {

class ProcessTracker {
 public:
  struct Options {
    int64_t window_ms = 2000;   // event time an event is held back for reordering
    size_t max_held = 1 << 16;  // and at most this many events
  };
  ProcessTracker(EventRing& ring, PipelineStats& stats, Options options);
  ProcessTracker(EventRing& ring, PipelineStats& stats) : ProcessTracker(ring, stats, Options{}) {}

  // Takes one event, in any order. REQUIRES: called from the owning thread only.
  void Submit(SyscallEvent&& ev);
  // Counts an event that is not a process event, for serial-gap accounting.
  void CountOther(uint32_t serial, int64_t time_ms);
  // Releases every held event: end of the input.
  void Flush();
  // Live sources: releases events held longer than the window in wall-clock time.
  void Age(std::chrono::steady_clock::time_point now);

  uint64_t serial_gaps() const { return serials_.gaps(); }

 private:
  struct Held {
    uint64_t key;  // unwrapped serial
    SyscallEvent ev;
    std::chrono::steady_clock::time_point arrived;
  };
  // A process instance as far as the records have shown it.
  struct Proc {
    int32_t kernel_ppid = 0;  // ppid in its latest record
    int32_t creator = 0;      // the caller of the birth that made it, once known
    int32_t ns_pid = 0;
    bool born = false;   // its birth was released
    bool ended = false;  // its exit_group was released
    int64_t first_time_ms = 0;
    int64_t first_eid = 0;
    int32_t argc = -1;
    StrId path = 0, cmdline = 0, argv_json = 0, cwd = 0, cgroup = 0, container_id = 0;
  };
  struct Child {
    int32_t host_pid;
    int32_t ns_pid;  // 0 when the same as host_pid or unknown
  };

  void ReleaseReady();
  void ReleaseFront();
  void Apply(const SyscallEvent& ev, EventRing::Writer& w);
  void ApplyExec(const SyscallEvent& ev, EventRing::Writer& w);
  void ApplyBirth(const SyscallEvent& ev, EventRing::Writer& w);
  void ApplyExit(const SyscallEvent& ev, EventRing::Writer& w);
  std::optional<Child> ResolveChild(const SyscallEvent& ev);
  Proc& Touch(const SyscallEvent& ev, EventRing::Writer& w);
  void InheritFromParent(const SyscallEvent& ev, Proc& p, EventRing::Writer& w);
  static void CopyImage(const Proc& from, Proc& to);
  ProcessEventRow BaseRow(const SyscallEvent& ev, EventRing::Writer& w);
  void SetImage(ProcessEventRow& row, const Proc& p) const;
  void SetParent(ProcessEventRow& row, int32_t parent) const;
  std::pair<StrId, StrId> InternArgv(const std::vector<std::string>& argv, EventRing::Writer& w);
  void Prune();

  void HoldIndexAdd(const SyscallEvent& ev);
  void HoldIndexRemove(const SyscallEvent& ev);

  EventRing& ring_;
  PipelineStats& stats_;
  const Options options_;
  SerialClock serials_;
  std::deque<Held> held_;  // sorted by key
  int64_t newest_held_time_ms_ = 0;
  std::optional<uint64_t> last_released_;
  // Held events by pid, and by ppid then pid: the look-ahead for births.
  std::unordered_map<int32_t, int> held_pids_;
  std::unordered_map<int32_t, std::unordered_map<int32_t, int>> held_children_;

  std::unordered_map<int32_t, Proc> procs_;
  // Pids seen before their birth, by their kernel ppid: candidates for a namespaced clone.
  std::unordered_map<int32_t, std::vector<int32_t>> unborn_by_parent_;
  uint64_t released_since_prune_ = 0;
  // argv (NUL-joined) -> (JSON, cmdline) ids; cleared when full.
  static constexpr size_t kArgvCacheSize = 1 << 14;
  std::unordered_map<std::string, std::pair<StrId, StrId>> argv_cache_;
  std::string argv_key_;
  // Fields that repeat from one event to the next.
  struct {
    LastInterned arch, tty, comm, key;
  } recent_;
};

}  // namespace procaudit::audit
