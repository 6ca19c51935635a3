#include "audit/serial_clock.h"

#include <algorithm>

namespace procaudit::audit {

uint64_t SerialClock::Unwrap(uint32_t serial, int64_t time_ms) {
  if (!started_) {
    started_ = true;
    // Start one epoch up, so that a late event from before a rollover still fits below.
    newest_ = uint64_t{1} << 32 | serial;
    newest_time_ms_ = time_ms;
    return newest_;
  }
  const int64_t diff = static_cast<int32_t>(serial - static_cast<uint32_t>(newest_));
  uint64_t unwrapped;
  if (diff < -kRebootDrop && time_ms > newest_time_ms_) {
    unwrapped = ((newest_ >> 32) + 1) << 32 | serial;  // a reboot restarted the counter
  } else {
    unwrapped = static_cast<uint64_t>(static_cast<int64_t>(newest_) + diff);
  }
  if (unwrapped > newest_) {
    newest_ = unwrapped;
    newest_time_ms_ = std::max(newest_time_ms_, time_ms);
  }
  return unwrapped;
}

void SerialClock::Count(uint64_t u) {
  // Rollover keeps the epoch of the boot (a wrapped serial continues the same run), so group
  // by closeness: a new run starts when the serial jumps by more than a reboot drop.
  for (Epoch& e : epochs_) {
    if (u + kRebootDrop >= e.first && u <= e.last + kRebootDrop) {
      e.first = std::min(e.first, u);
      e.last = std::max(e.last, u);
      ++e.count;
      return;
    }
  }
  epochs_.push_back(Epoch{u, u, 1});
}

uint64_t SerialClock::gaps() const {
  uint64_t gaps = 0;
  for (const Epoch& e : epochs_) {
    const uint64_t span = e.last - e.first + 1;
    if (span > e.count) gaps += span - e.count;
  }
  return gaps;
}

}  // namespace procaudit::audit
