// The bounded in-memory ring of process events that the event tables read.
//
// Every row gets a monotonic eid (1, 2, ...). When the ring is full the oldest rows are
// evicted and counted. Indexes: by pid (a list of eids per pid) and by time (binary search,
// valid while rows arrive in time order, which the tracker's serial ordering gives; a clock
// step back turns it off and time constraints fall back to a scan).
//
// Thread rules: one writer (the event worker thread, through Write) and any number of readers
// (SQLite cursors, through Reader). A Reader holds the shared lock for its lifetime, so rows
// and pooled strings it has seen stay put.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "audit/syscall_event.h"
#include "util/string_pool.h"

namespace procaudit::audit {

using StrId = StringPool::Id;

// An int32_t the writer may store after readers can see it: every access is a relaxed atomic
// (std::atomic_ref), copies included, so copying a published row is race-free too.
class LateInt32 {
 public:
  LateInt32() = default;
  LateInt32(const LateInt32& other) : value_(other.load()) {}
  LateInt32& operator=(const LateInt32& other) {
    store(other.load());
    return *this;
  }
  int32_t load() const { return std::atomic_ref<int32_t>(value_).load(std::memory_order_relaxed); }
  void store(int32_t v) { std::atomic_ref<int32_t>(value_).store(v, std::memory_order_relaxed); }

 private:
  alignas(std::atomic_ref<int32_t>::required_alignment) mutable int32_t value_ = 0;
};

// One process_events row. Strings are pool ids (kNull when unknown); about 150 bytes a row.
struct ProcessEventRow {
  enum Flag : uint16_t {
    kSuccess = 1 << 0,
    kHasExitCode = 1 << 1,
    kHasMode = 1 << 2,
    kHasOwner = 1 << 3,
    kHasArgc = 1 << 4,
    kHasParent = 1 << 5,
    kHasResult = 1 << 6,  // success and status: not on exit/exit_group, which never return
  };
  int64_t eid = 0;
  int64_t time_ms = 0;
  int64_t status = 0;
  uint32_t serial = 0;
  int32_t pid = 0;
  int32_t parent = 0;
  int32_t ppid = 0;
  // The pid inside the process's own pid namespace; 0 when unknown or the same as pid
  // (namespace pids start at 1). The one field that may change after the row is published.
  LateInt32 ns_pid;
  int32_t exit_code = 0;
  int32_t argc = 0;
  uint32_t mode = 0, owner_uid = 0, owner_gid = 0;
  Credentials cred;
  uint32_t ses = 0;
  ProcessSyscall syscall = ProcessSyscall::kExecve;
  uint16_t flags = 0;
  StrId arch = 0, path = 0, cwd = 0, cmdline = 0, argv_json = 0, parent_path = 0,
        parent_cmdline = 0, tty = 0, comm = 0, key = 0, cgroup = 0, container_id = 0;

  bool Has(Flag f) const { return flags & f; }
};

class EventRing {
 public:
  explicit EventRing(size_t capacity);
  EventRing(const EventRing&) = delete;
  EventRing& operator=(const EventRing&) = delete;

  // Writer side. The tracker does all of an event's work inside one Write call.
  class Writer {
   public:
    StrId Intern(std::string_view s) { return ring_.pool_.Intern(s); }
    std::string_view Get(StrId id) const { return ring_.pool_.Get(id); }
    // Assigns the eid and appends, evicting the oldest row when full. Returns the eid.
    int64_t Append(ProcessEventRow row);
    // Rows of pid with eid >= since_eid, for late corrections (a namespace pid learnt later).
    // REQUIRES: f changes nothing but ns_pid: readers may be reading these rows.
    template <class F>
    void ForEachRowOfPid(int32_t pid, int64_t since_eid, F&& f) {
      auto it = ring_.by_pid_.find(pid);
      if (it == ring_.by_pid_.end()) return;
      for (size_t i = it->second.head; i < it->second.eids.size(); ++i) {
        const int64_t eid = it->second.eids[i];
        if (eid >= since_eid && eid >= ring_.first_eid_) f(ring_.rows_[eid - ring_.first_eid_]);
      }
    }
    int64_t next_eid() const { return ring_.first_eid_ + static_cast<int64_t>(ring_.rows_.size()); }

   private:
    friend class EventRing;
    explicit Writer(EventRing& ring) : ring_(ring) {}
    EventRing& ring_;
  };
  template <class F>
  void Write(F&& f) {
    std::unique_lock lock(mutex_);
    Writer w(*this);
    f(w);
  }

  // Reader side: a consistent view for one cursor.
  class Reader {
   public:
    explicit Reader(const EventRing& ring) : ring_(ring), lock_(ring.mutex_) {}
    int64_t first_eid() const { return ring_.first_eid_; }
    int64_t end_eid() const { return ring_.first_eid_ + static_cast<int64_t>(ring_.rows_.size()); }
    // REQUIRES: first_eid() <= eid < end_eid().
    const ProcessEventRow& Row(int64_t eid) const { return ring_.rows_[eid - ring_.first_eid_]; }
    std::optional<std::string_view> Text(StrId id) const {
      if (id == StringPool::kNull) return std::nullopt;
      return ring_.pool_.Get(id);
    }
    // The eids of pid's rows, ascending.
    std::vector<int64_t> EidsOfPid(int32_t pid) const;
    // The first eid whose time_ms >= t_ms, when the time index is usable.
    std::optional<int64_t> LowerBoundTime(int64_t t_ms) const;

   private:
    const EventRing& ring_;
    std::shared_lock<std::shared_mutex> lock_;
  };

  struct Usage {
    size_t rows = 0;
    uint64_t evicted = 0;
    size_t strings = 0;
    size_t string_bytes = 0;
  };
  Usage usage() const;

 private:
  struct PidEids {
    std::vector<int64_t> eids;
    size_t head = 0;  // eids before head were evicted
  };
  void EvictOldest();

  const size_t capacity_;
  mutable std::shared_mutex mutex_;
  std::deque<ProcessEventRow> rows_;
  int64_t first_eid_ = 1;
  uint64_t evicted_ = 0;
  bool time_sorted_ = true;
  std::unordered_map<int32_t, PidEids> by_pid_;
  StringPool pool_;
};

}  // namespace procaudit::audit
