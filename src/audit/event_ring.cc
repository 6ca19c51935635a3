#include "audit/event_ring.h"

#include <algorithm>

namespace procaudit::audit {

EventRing::EventRing(size_t capacity) : capacity_(std::max<size_t>(capacity, 1)) {}

int64_t EventRing::Writer::Append(ProcessEventRow row) {
  EventRing& r = ring_;
  if (r.rows_.size() >= r.capacity_) r.EvictOldest();
  row.eid = next_eid();
  if (!r.rows_.empty() && row.time_ms < r.rows_.back().time_ms) r.time_sorted_ = false;
  r.by_pid_[row.pid].eids.push_back(row.eid);
  r.rows_.push_back(row);
  return row.eid;
}

void EventRing::EvictOldest() {
  const ProcessEventRow& old = rows_.front();
  if (auto it = by_pid_.find(old.pid); it != by_pid_.end()) {
    PidEids& list = it->second;
    while (list.head < list.eids.size() && list.eids[list.head] <= old.eid) ++list.head;
    if (list.head == list.eids.size()) {
      by_pid_.erase(it);
    } else if (list.head > 64 && list.head * 2 > list.eids.size()) {
      list.eids.erase(list.eids.begin(), list.eids.begin() + static_cast<ptrdiff_t>(list.head));
      list.head = 0;
    }
  }
  rows_.pop_front();
  ++first_eid_;
  ++evicted_;
  // The evicted row may have been the one out of time order; re-checking would cost a scan,
  // so the flag stays off until the ring is rebuilt. Time constraints then scan.
}

std::vector<int64_t> EventRing::Reader::EidsOfPid(int32_t pid) const {
  auto it = ring_.by_pid_.find(pid);
  if (it == ring_.by_pid_.end()) return {};
  std::vector<int64_t> out;
  for (size_t i = it->second.head; i < it->second.eids.size(); ++i) {
    if (it->second.eids[i] >= ring_.first_eid_) out.push_back(it->second.eids[i]);
  }
  return out;
}

std::optional<int64_t> EventRing::Reader::LowerBoundTime(int64_t t_ms) const {
  if (!ring_.time_sorted_) return std::nullopt;
  auto it = std::partition_point(ring_.rows_.begin(), ring_.rows_.end(),
                                 [t_ms](const ProcessEventRow& r) { return r.time_ms < t_ms; });
  return ring_.first_eid_ + (it - ring_.rows_.begin());
}

EventRing::Usage EventRing::usage() const {
  std::shared_lock lock(mutex_);
  return Usage{rows_.size(), evicted_, pool_.size(), pool_.bytes()};
}

}  // namespace procaudit::audit
