// The bounded in-memory ring of process events that the event tables read.
//
// Every row gets a monotonic eid (1, 2, ...). When the ring is full the oldest rows are
// evicted and counted. Indexes: by pid (a list of eids per pid) and by time (binary search,
// valid while rows arrive in time order, which the tracker's serial ordering gives; a clock
// step back turns it off and time constraints fall back to a scan).
//
// Thread rules: one writer (the event worker thread, through Write) and any number of readers
// (SQLite cursors on any thread, through Reader). A Reader is a snapshot, and appends never
// wait for one:
//   - Rows live in chunks of chunk_rows() rows that never move, shared (std::shared_ptr) by
//     the ring and the snapshots that use them. A directory lists the chunks; it is
//     copy-on-write: the writer builds a new one aside when it starts a chunk or evicts the
//     last row of the oldest one.
//   - Append writes the row into the slot at end_eid, which no reader reads, and then, under
//     mutex_, updates the pid index and publishes [first_eid, end_eid) and the directory.
//   - A Reader copies, under mutex_, the directory pointer, [first_eid, end_eid) and the time
//     order flag, then reads without a lock: its directory keeps its chunks alive through
//     later appends and evictions. EidsOfPid takes mutex_ again to copy one pid's eids.
//   - mutex_ is the only lock, and held only for such O(1) steps (amortised: the pid index
//     may grow under it). Chunks and old directories are released after it.
//   - Strings: a row's ids were interned before the row was published, and the pool's Get
//     never races its Intern (string_pool.h).
//   - Published rows never change, with one exception: ns_pid may be filled in after a row is
//     published (the tracker learns a child's namespace pid at its birth, after the child's own
//     first rows). That one field is stored and loaded atomically (LateInt32).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
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

// One process_events row. Strings are pool ids (kNull when unknown); 160 bytes a row.
struct ProcessEventRow {
  enum Flag : uint16_t {
    kSuccess = 1 << 0,
    kHasExitCode = 1 << 1,
    kHasMode = 1 << 2,
    kHasOwner = 1 << 3,
    kHasArgc = 1 << 4,
    kHasParent = 1 << 5,
    kHasResult = 1 << 6,  // success and status: not on exit/exit_group, which never return
    kHasSignal = 1 << 7,  // anom_abend: the signal that killed the process
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
  int32_t signal = 0;
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
  // Chunk number n (counting from eid 1) holds eids [n * chunk_rows + 1, (n + 1) * chunk_rows].
  using Chunk = std::shared_ptr<ProcessEventRow[]>;
  struct Directory {
    uint64_t first_chunk = 0;  // the number of chunks[0]
    std::vector<Chunk> chunks;
  };

 public:
  static constexpr size_t kChunkRows = 4096;

  // chunk_rows (a power of two; tests make it small) is capped at capacity rounded up to a
  // power of two, so a small ring does not allocate a whole chunk.
  explicit EventRing(size_t capacity, size_t chunk_rows = kChunkRows);
  EventRing(const EventRing&) = delete;
  EventRing& operator=(const EventRing&) = delete;

  size_t capacity() const { return capacity_; }
  size_t chunk_rows() const { return chunk_mask_ + 1; }
  // The end of the published rows, without a lock: poll it to see whether rows arrived.
  int64_t end_eid() const { return end_eid_hint_.load(std::memory_order_acquire); }

  // Writer side. The tracker does all of an event's work inside one Write call.
  class Writer {
   public:
    StrId Intern(std::string_view s) { return ring_.pool_.Intern(s); }
    std::string_view Get(StrId id) const { return ring_.pool_.Get(id); }
    // Assigns the eid, evicts the oldest row when full, appends and publishes the row.
    // Returns the eid.
    int64_t Append(ProcessEventRow row);
    // Rows of pid with eid >= since_eid, for late corrections (a namespace pid learnt later).
    // REQUIRES: f changes nothing but ns_pid: readers may be reading these rows.
    template <class F>
    void ForEachRowOfPid(int32_t pid, int64_t since_eid, F&& f) {
      auto it = ring_.by_pid_.find(pid);
      if (it == ring_.by_pid_.end()) return;
      for (size_t i = it->second.head; i < it->second.eids.size(); ++i) {
        const int64_t eid = it->second.eids[i];
        if (eid >= since_eid && eid >= ring_.first_eid_) f(ring_.WriterRow(eid));
      }
    }
    int64_t next_eid() const { return ring_.end_eid_; }

   private:
    friend class EventRing;
    explicit Writer(EventRing& ring) : ring_(ring) {}
    EventRing& ring_;
  };
  // REQUIRES: one thread at a time (the ring's single writer). f runs without any lock; each
  // Append publishes its row.
  template <class F>
  void Write(F&& f) {
    Writer w(*this);
    f(w);
  }

  // Reader side: a snapshot for one cursor, taken at construction. Any thread.
  // REQUIRES: the ring outlives the Reader.
  class Reader {
   public:
    explicit Reader(const EventRing& ring);
    int64_t first_eid() const { return first_eid_; }
    int64_t end_eid() const { return end_eid_; }
    // REQUIRES: first_eid() <= eid < end_eid().
    const ProcessEventRow& Row(int64_t eid) const {
      const auto index = static_cast<uint64_t>(eid - 1);
      return dir_->chunks[(index >> chunk_shift_) - dir_->first_chunk][index & chunk_mask_];
    }
    std::optional<std::string_view> Text(StrId id) const {
      if (id == StringPool::kNull) return std::nullopt;
      return ring_.pool_.Get(id);
    }
    // The eids of pid's rows in the snapshot, ascending. Takes the ring's lock briefly.
    std::vector<int64_t> EidsOfPid(int32_t pid) const;
    // The first eid whose time_ms >= t_ms, when the time index is usable.
    std::optional<int64_t> LowerBoundTime(int64_t t_ms) const;

   private:
    const EventRing& ring_;
    const int chunk_shift_;
    const uint64_t chunk_mask_;
    std::shared_ptr<const Directory> dir_;  // keeps the snapshot's chunks alive
    int64_t first_eid_ = 1, end_eid_ = 1;
    bool time_sorted_ = true;
  };

  struct Usage {
    size_t rows = 0;
    uint64_t evicted = 0;
    size_t strings = 0;
    size_t string_bytes = 0;
  };
  // The published figures. Any thread.
  Usage usage() const;

 private:
  struct PidEids {
    std::vector<int64_t> eids;
    size_t head = 0;  // eids before head were evicted
  };
  ProcessEventRow& WriterRow(int64_t eid) {
    const auto index = static_cast<uint64_t>(eid - 1);
    return dir_->chunks[(index >> chunk_shift_) - dir_->first_chunk][index & chunk_mask_];
  }
  void DropFromPidIndex(int32_t pid, int64_t eid);

  const size_t capacity_;
  const int chunk_shift_;
  const uint64_t chunk_mask_;
  StringPool pool_;  // Intern: the writer; Get: anyone, for ids in published rows

  // Published state: the writer changes it under mutex_ and reads it without (nobody else
  // writes it); readers read it under mutex_.
  mutable std::mutex mutex_;
  std::shared_ptr<const Directory> dir_;
  int64_t first_eid_ = 1;
  int64_t end_eid_ = 1;
  uint64_t evicted_ = 0;
  bool time_sorted_ = true;
  size_t strings_ = 0, string_bytes_ = 0;
  std::unordered_map<int32_t, PidEids> by_pid_;
  std::atomic<int64_t> end_eid_hint_{1};  // end_eid_, for pollers

  // The writer's own.
  std::optional<int64_t> last_time_ms_;
};

}  // namespace procaudit::audit
