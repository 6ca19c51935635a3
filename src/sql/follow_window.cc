#include "sql/follow_window.h"

#include <algorithm>

namespace procaudit {

int64_t EndEid(const audit::EventRing& ring) { return ring.end_eid(); }  // an atomic read

// The ends are read without the window's lock held: Clip takes that lock inside a ring's
// reader lock, so taking them in the other order here could deadlock behind a waiting writer.
std::vector<std::pair<const audit::EventStore*, int64_t>> FollowWindow::Ends() const {
  std::vector<std::shared_ptr<const audit::EventStore>> stores;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [key, entry] : stores_) stores.push_back(entry.store);
  }
  std::vector<std::pair<const audit::EventStore*, int64_t>> ends;
  for (const auto& store : stores) ends.emplace_back(store.get(), EndEid(store->ring()));
  return ends;
}

void FollowWindow::BeginRound() {
  const auto ends = Ends();
  std::lock_guard lock(mutex_);
  for (const auto& [store, end] : ends) {
    EidRange& w = stores_.at(store).window;
    w.lo = w.hi;
    w.hi = end;
  }
}

bool FollowWindow::HasNewRows() const {
  const auto ends = Ends();
  std::lock_guard lock(mutex_);
  return std::any_of(ends.begin(), ends.end(),
                     [&](const auto& e) { return e.second > stores_.at(e.first).window.hi; });
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
