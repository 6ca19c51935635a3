#include "audit/event_ring.h"

#include <algorithm>
#include <bit>

namespace procaudit::audit {
namespace {

size_t ChunkRows(size_t capacity, size_t chunk_rows) {
  return std::min(std::bit_ceil(std::max<size_t>(chunk_rows, 1)), std::bit_ceil(capacity));
}

}  // namespace

EventRing::EventRing(size_t capacity, size_t chunk_rows)
    : capacity_(std::max<size_t>(capacity, 1)),
      chunk_shift_(std::countr_zero(ChunkRows(capacity_, chunk_rows))),
      chunk_mask_(ChunkRows(capacity_, chunk_rows) - 1),
      dir_(std::make_shared<const Directory>()) {}

// Everything but the publish step runs without the lock: the new row goes to the slot at
// end_eid_, which no reader reads, and a new directory is built aside.
int64_t EventRing::Writer::Append(ProcessEventRow row) {
  EventRing& r = ring_;
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
    if (new_chunk) next->chunks.push_back(std::make_shared<ProcessEventRow[]>(r.chunk_rows()));
    dir = std::move(next);
  }
  const Directory& target = dir ? *dir : cur;
  row.eid = eid;
  target.chunks[row_chunk - target.first_chunk][static_cast<uint64_t>(eid - 1) & r.chunk_mask_] =
      row;
  // The evicted row may have been the one out of time order; re-checking would cost a scan,
  // so the flag stays off until the ring is rebuilt. Time constraints then scan.
  const bool sorted = r.time_sorted_ && (!r.last_time_ms_ || row.time_ms >= *r.last_time_ms_);
  r.last_time_ms_ = row.time_ms;

  std::lock_guard lock(r.mutex_);
  if (evict) {
    r.DropFromPidIndex(evicted_pid, r.first_eid_);
    ++r.evicted_;
  }
  r.by_pid_[row.pid].eids.push_back(eid);
  if (dir) r.dir_.swap(dir);
  r.first_eid_ = first;
  r.end_eid_ = eid + 1;
  r.time_sorted_ = sorted;
  r.strings_ = r.pool_.size();
  r.string_bytes_ = r.pool_.bytes();
  r.end_eid_hint_.store(eid + 1, std::memory_order_release);
  return eid;
}

// REQUIRES: mutex_ held; eid is pid's oldest row.
void EventRing::DropFromPidIndex(int32_t pid, int64_t eid) {
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

EventRing::Reader::Reader(const EventRing& ring)
    : ring_(ring), chunk_shift_(ring.chunk_shift_), chunk_mask_(ring.chunk_mask_) {
  std::lock_guard lock(ring.mutex_);
  dir_ = ring.dir_;
  first_eid_ = ring.first_eid_;
  end_eid_ = ring.end_eid_;
  time_sorted_ = ring.time_sorted_;
}

std::vector<int64_t> EventRing::Reader::EidsOfPid(int32_t pid) const {
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

std::optional<int64_t> EventRing::Reader::LowerBoundTime(int64_t t_ms) const {
  if (!time_sorted_) return std::nullopt;
  int64_t lo = first_eid_, hi = end_eid_;
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (Row(mid).time_ms < t_ms) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

EventRing::Usage EventRing::usage() const {
  std::lock_guard lock(mutex_);
  return Usage{static_cast<size_t>(end_eid_ - first_eid_), evicted_, strings_, string_bytes_};
}

}  // namespace procaudit::audit
