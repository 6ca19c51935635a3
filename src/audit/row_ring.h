// A bounded in-memory ring of event rows, the store the event tables read: process_events'
// (event_ring.h) and file_events' (file_event_row.h). RowT needs eid, pid, time_ms and
// time_index_ms fields; the ring sets eid and time_index_ms.
//
// Every row gets a monotonic eid (1, 2, ...). When the ring is full the oldest rows are
// evicted and counted. Indexes: by pid (a list of eids per pid) and by time. Rows come in
// serial order, which is nearly but not exactly time order: the kernel stamps an event's time
// when its syscall starts and its serial when it first logs (at the end, for most), so a call
// that blocked is later in serial order than calls that started after it. The time index
// therefore keeps, in each row, the newest time of any row up to it (time_index_ms: never
// decreases, so it is binary-searchable), and the ring the largest lag seen of a row behind
// that (the disorder). Rows with time >= t start no earlier than the first row whose
// time_index_ms >= t; rows with time < t end before the first row whose
// time_index_ms >= t + disorder. A clock stepped back by hours only widens the disorder.
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
//   - A Reader copies, under mutex_, the directory pointer, [first_eid, end_eid) and the
//     disorder, then reads without a lock: its directory keeps its chunks alive through
//     later appends and evictions. EidsOfPid takes mutex_ again to copy one pid's eids.
//   - mutex_ is the only lock, and held only for such O(1) steps (amortised: the pid index
//     may grow under it). Chunks and old directories are released after it.
//   - Strings: a row's ids were interned before the row was published, and the pool's Get
//     never races its Intern (string_pool.h).
//   - Published rows never change, except fields a Row type makes atomic for the purpose
//     (ProcessEventRow::ns_pid, through ForEachRowOfPid).
#pragma once

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "util/string_pool.h"

namespace procaudit::audit {

using StrId = StringPool::Id;

template <class RowT>
class RowRing {
  // Chunk number n (counting from eid 1) holds eids [n * chunk_rows + 1, (n + 1) * chunk_rows].
  using Chunk = std::shared_ptr<RowT[]>;
  struct Directory {
    uint64_t first_chunk = 0;  // the number of chunks[0]
    std::vector<Chunk> chunks;
  };

 public:
  static constexpr size_t kChunkRows = 4096;

  // chunk_rows (a power of two; tests make it small) is capped at capacity rounded up to a
  // power of two, so a small ring does not allocate a whole chunk.
  explicit RowRing(size_t capacity, size_t chunk_rows = kChunkRows);
  RowRing(const RowRing&) = delete;
  RowRing& operator=(const RowRing&) = delete;

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
    int64_t Append(RowT row);
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
    // Makes the empty ring continue from eid: rows restored from the durable store keep their
    // eids, and new rows follow them, so eids never repeat across restarts.
    // REQUIRES: nothing appended yet; eid >= 1.
    void StartAt(int64_t eid);

   private:
    friend class RowRing;
    explicit Writer(RowRing& ring) : ring_(ring) {}
    RowRing& ring_;
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
    explicit Reader(const RowRing& ring);
    int64_t first_eid() const { return first_eid_; }
    int64_t end_eid() const { return end_eid_; }
    // REQUIRES: first_eid() <= eid < end_eid().
    const RowT& Row(int64_t eid) const {
      const auto index = static_cast<uint64_t>(eid - 1);
      return dir_->chunks[(index >> chunk_shift_) - dir_->first_chunk][index & chunk_mask_];
    }
    std::optional<std::string_view> Text(StrId id) const {
      if (id == StringPool::kNull) return std::nullopt;
      return ring_.pool_.Get(id);
    }
    // The eids of pid's rows in the snapshot, ascending. Takes the ring's lock briefly.
    std::vector<int64_t> EidsOfPid(int32_t pid) const;
    // An eid no row of time >= t_ms comes before.
    int64_t FirstEidFromTime(int64_t t_ms) const;
    // An eid no row of time < t_ms comes at or after.
    int64_t EndEidBeforeTime(int64_t t_ms) const;

   private:
    const RowRing& ring_;
    const int chunk_shift_;
    const uint64_t chunk_mask_;
    std::shared_ptr<const Directory> dir_;  // keeps the snapshot's chunks alive
    int64_t first_eid_ = 1, end_eid_ = 1;
    int64_t disorder_ms_ = 0;
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
  RowT& WriterRow(int64_t eid) {
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
  int64_t disorder_ms_ = 0;
  size_t strings_ = 0, string_bytes_ = 0;
  std::unordered_map<int32_t, PidEids> by_pid_;
  std::atomic<int64_t> end_eid_hint_{1};  // end_eid_, for pollers

  // The writer's own.
  std::optional<int64_t> newest_time_ms_;
};


// Implementation.

inline size_t RingChunkRows(size_t capacity, size_t chunk_rows) {
  return std::min(std::bit_ceil(std::max<size_t>(chunk_rows, 1)), std::bit_ceil(capacity));
}


template <class RowT>
RowRing<RowT>::RowRing(size_t capacity, size_t chunk_rows)
    : capacity_(std::max<size_t>(capacity, 1)),
      chunk_shift_(std::countr_zero(RingChunkRows(capacity_, chunk_rows))),
      chunk_mask_(RingChunkRows(capacity_, chunk_rows) - 1),
      dir_(std::make_shared<const Directory>()) {}

// Everything but the publish step runs without the lock: the new row goes to the slot at
// end_eid_, which no reader reads, and a new directory is built aside.
template <class RowT>
int64_t RowRing<RowT>::Writer::Append(RowT row) {
  RowRing& r = ring_;
  const int64_t eid = r.end_eid_;
  const bool evict = static_cast<uint64_t>(eid - r.first_eid_) >= r.capacity_;
  const int64_t first = evict ? r.first_eid_ + 1 : r.first_eid_;
  const int32_t evicted_pid = evict ? r.WriterRow(r.first_eid_).pid : 0;

  // A new directory when the row starts a chunk or the eviction empties the oldest one. The
  // old directory is released after the lock, as its chunks may be freed with it.
  const Directory& cur = *r.dir_;
  const uint64_t row_chunk = static_cast<uint64_t>(eid - 1) >> r.chunk_shift_;
  const uint64_t first_chunk = static_cast<uint64_t>(first - 1) >> r.chunk_shift_;
  const bool new_chunk = row_chunk == cur.first_chunk + cur.chunks.size();
  std::shared_ptr<const Directory> dir;
  if (new_chunk || first_chunk != cur.first_chunk) {
    auto next = std::make_shared<Directory>();
    next->first_chunk = first_chunk;
    next->chunks.reserve(cur.chunks.size() + 1);
    next->chunks.assign(cur.chunks.begin() + static_cast<ptrdiff_t>(first_chunk - cur.first_chunk),
                        cur.chunks.end());
    if (new_chunk) next->chunks.push_back(std::make_shared<RowT[]>(r.chunk_rows()));
    dir = std::move(next);
  }
  const Directory& target = dir ? *dir : cur;
  // The disorder only grows: an evicted row may have been the one that set it, and shrinking
  // it would need a scan. A larger disorder costs a wider scan, never a missed row.
  r.newest_time_ms_ = std::max(r.newest_time_ms_.value_or(row.time_ms), row.time_ms);
  const int64_t disorder = std::max(r.disorder_ms_, *r.newest_time_ms_ - row.time_ms);
  row.eid = eid;
  row.time_index_ms = *r.newest_time_ms_;
  target.chunks[row_chunk - target.first_chunk][static_cast<uint64_t>(eid - 1) & r.chunk_mask_] =
      row;

  std::lock_guard lock(r.mutex_);
  if (evict) {
    r.DropFromPidIndex(evicted_pid, r.first_eid_);
    ++r.evicted_;
  }
  r.by_pid_[row.pid].eids.push_back(eid);
  if (dir) r.dir_.swap(dir);
  r.first_eid_ = first;
  r.end_eid_ = eid + 1;
  r.disorder_ms_ = disorder;
  r.strings_ = r.pool_.size();
  r.string_bytes_ = r.pool_.bytes();
  r.end_eid_hint_.store(eid + 1, std::memory_order_release);
  return eid;
}

template <class RowT>
void RowRing<RowT>::Writer::StartAt(int64_t eid) {
  RowRing& r = ring_;
  auto dir = std::make_shared<Directory>();
  dir->first_chunk = static_cast<uint64_t>(eid - 1) >> r.chunk_shift_;
  std::shared_ptr<const Directory> next = std::move(dir);
  std::lock_guard lock(r.mutex_);
  r.dir_.swap(next);
  r.first_eid_ = r.end_eid_ = eid;
  r.end_eid_hint_.store(eid, std::memory_order_release);
}

// REQUIRES: mutex_ held; eid is pid's oldest row.
template <class RowT>
void RowRing<RowT>::DropFromPidIndex(int32_t pid, int64_t eid) {
  auto it = by_pid_.find(pid);
  if (it == by_pid_.end()) return;
  PidEids& list = it->second;
  while (list.head < list.eids.size() && list.eids[list.head] <= eid) ++list.head;
  if (list.head == list.eids.size()) {
    by_pid_.erase(it);
  } else if (list.head > 64 && list.head * 2 > list.eids.size()) {
    list.eids.erase(list.eids.begin(), list.eids.begin() + static_cast<ptrdiff_t>(list.head));
    list.head = 0;
  }
}

template <class RowT>
RowRing<RowT>::Reader::Reader(const RowRing& ring)
    : ring_(ring), chunk_shift_(ring.chunk_shift_), chunk_mask_(ring.chunk_mask_) {
  std::lock_guard lock(ring.mutex_);
  dir_ = ring.dir_;
  first_eid_ = ring.first_eid_;
  end_eid_ = ring.end_eid_;
  disorder_ms_ = ring.disorder_ms_;
}

template <class RowT>
std::vector<int64_t> RowRing<RowT>::Reader::EidsOfPid(int32_t pid) const {
  std::vector<int64_t> out;
  int64_t indexed_from;  // the index still lists the snapshot's eids from here on
  {
    std::lock_guard lock(ring_.mutex_);
    indexed_from = std::max(first_eid_, ring_.first_eid_);
    if (auto it = ring_.by_pid_.find(pid); it != ring_.by_pid_.end()) {
      const std::vector<int64_t>& eids = it->second.eids;
      const auto from = std::lower_bound(eids.begin() + static_cast<ptrdiff_t>(it->second.head),
                                         eids.end(), indexed_from);
      out.assign(from, std::lower_bound(from, eids.end(), end_eid_));
    }
  }
  // Rows evicted since the snapshot are gone from the index but not from the snapshot's
  // chunks: scan them (usually none, or the few evicted since the cursor's xFilter began).
  std::vector<int64_t> evicted;
  for (int64_t eid = first_eid_; eid < std::min(indexed_from, end_eid_); ++eid) {
    if (Row(eid).pid == pid) evicted.push_back(eid);
  }
  out.insert(out.begin(), evicted.begin(), evicted.end());
  return out;
}

template <class RowT>
int64_t RowRing<RowT>::Reader::FirstEidFromTime(int64_t t_ms) const {
  // The first row whose time_index_ms >= t_ms: every row before it is older than t_ms.
  int64_t lo = first_eid_, hi = end_eid_;
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (Row(mid).time_index_ms < t_ms) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

template <class RowT>
int64_t RowRing<RowT>::Reader::EndEidBeforeTime(int64_t t_ms) const {
  // From the first row whose time_index_ms >= t_ms + disorder, every row is at least t_ms.
  const int64_t bound = t_ms > INT64_MAX - disorder_ms_ ? INT64_MAX : t_ms + disorder_ms_;
  if (bound == INT64_MAX) return end_eid_;
  return FirstEidFromTime(bound);
}

template <class RowT>
typename RowRing<RowT>::Usage RowRing<RowT>::usage() const {
  std::lock_guard lock(mutex_);
  return Usage{static_cast<size_t>(end_eid_ - first_eid_), evicted_, strings_, string_bytes_};
}

}  // namespace procaudit::audit
