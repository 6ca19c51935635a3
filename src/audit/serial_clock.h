// Puts audit serials on one increasing line. The kernel's serial is 32 bits and wraps, and it
// restarts at boot; a log (or a rotated set) can span both. Unwrapped serials order events
// exactly, which timestamps (millisecond resolution) cannot.
#pragma once

#include <cstdint>
#include <vector>

namespace procaudit::audit {

class SerialClock {
 public:
  // The unwrapped serial of an event. Events may come a little out of order; a serial close
  // below the newest one is a late event, not a wrap. A serial far below the newest one with
  // a later timestamp is a reboot: a new epoch.
  uint64_t Unwrap(uint32_t serial, int64_t time_ms);

  // Serials never seen between the lowest and highest of each epoch: events the kernel or
  // auditd lost. REQUIRES: each event was passed to Count once.
  void Count(uint64_t unwrapped);
  uint64_t gaps() const;

 private:
  static constexpr int64_t kRebootDrop = 1 << 20;  // serials; larger drops are not reordering
  bool started_ = false;
  uint64_t newest_ = 0;
  int64_t newest_time_ms_ = 0;
  struct Epoch {
    uint64_t first = 0, last = 0, count = 0;
  };
  std::vector<Epoch> epochs_;
};

}  // namespace procaudit::audit
