#include "sql/follow_window.h"

#include <algorithm>

namespace procaudit {

int64_t EndEid(const audit::EventRing& ring) {
  // Takes the ring's shared lock for a moment. Becomes ring.end_eid() (an atomic read) when the
  // ring has it.
  return audit::EventRing::Reader(ring).end_eid();
}

void FollowWindow::BeginRound() {
  std::lock_guard lock(mutex_);
  for (auto& [key, entry] : stores_) {
    entry.window.lo = entry.window.hi;
    entry.window.hi = EndEid(entry.store->ring());
  }
}

bool FollowWindow::HasNewRows() const {
  std::lock_guard lock(mutex_);
  return std::any_of(stores_.begin(), stores_.end(), [](const auto& kv) {
    return EndEid(kv.second.store->ring()) > kv.second.window.hi;
  });
}

EidRange FollowWindow::Clip(const std::shared_ptr<const audit::EventStore>& store, EidRange ring) {
  std::lock_guard lock(mutex_);
  auto [it, added] = stores_.try_emplace(store.get(), Entry{store, {INT64_MIN, ring.hi}});
  const EidRange w = it->second.window;
  const int64_t lo = std::max(ring.lo, w.lo);
  return EidRange{lo, std::max(lo, std::min(ring.hi, w.hi))};
}

EidRange VisibleEids(const TableContext& ctx, const std::shared_ptr<const audit::EventStore>& store,
                     EidRange ring) {
  return ctx.follow ? ctx.follow->Clip(store, ring) : ring;
}

}  // namespace procaudit
