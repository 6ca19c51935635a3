// The file tracker: turns decoded file events, which arrive in no reliable order, into
// file_events rows, in the kernel's serial order.
//
// Order matters for one thing: a name relative to a directory descriptor (openat(fd, "x")) is
// resolved through the same process's earlier audited open of that descriptor, so the open must
// be applied first. Events are held in a window sorted by unwrapped serial, like the process
// tracker's, and released in order. The tracker keeps, per process, what each descriptor it saw
// opened refers to (file_paths.h says how that is used); a process's table is dropped when the
// process execs (close-on-exec descriptors go), ends, or shows another executable (a reused pid
// in a log without process events).
//
// Thread rules: single-threaded; the event worker thread owns it (see event_worker.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>

#include "audit/file_event.h"
#include "audit/file_event_row.h"
#include "audit/file_paths.h"
#include "audit/last_interned.h"
#include "audit/pipeline_stats.h"
#include "audit/serial_clock.h"

namespace procaudit::audit {

class FileTracker {
 public:
  struct Options {
    int64_t window_ms = 2000;   // event time an event is held back for reordering
    size_t max_held = 1 << 16;  // and at most this many events
  };
  FileTracker(FileRing& ring, PipelineStats& stats, Options options);
  FileTracker(FileRing& ring, PipelineStats& stats) : FileTracker(ring, stats, Options{}) {}

  // Takes one event, in any order.
  void Submit(FileEvent&& ev);
  // The process pid exec'd or ended at this serial: its descriptors are no longer known.
  void ProcessChanged(int32_t pid, uint32_t serial, int64_t time_ms);
  // Releases every held event: end of the input.
  void Flush();
  // Live sources: releases events held longer than the window in wall-clock time.
  void Age(std::chrono::steady_clock::time_point now);

 private:
  static constexpr size_t kMaxFdsPerProcess = 4096;
  static constexpr size_t kMaxProcesses = 1 << 16;
  struct Held {
    uint64_t key;  // unwrapped serial
    bool process_changed = false;
    FileEvent ev;  // process_changed: only pid, serial and time_ms are set
    std::chrono::steady_clock::time_point arrived;
  };
  struct Descriptors {
    std::string exe;
    std::unordered_map<int32_t, FdTarget> by_fd;
  };

  void Hold(uint64_t key, Held&& held);
  void ReleaseReady();
  void ReleaseFront();
  void Apply(const FileEvent& ev);
  void Remember(const FileEvent& ev, const ResolvedFile& r);
  FileEventRow MakeRow(const FileEvent& ev, const ResolvedFile& r, FileRing::Writer& w);

  FileRing& ring_;
  PipelineStats& stats_;
  const Options options_;
  SerialClock serials_;  // for unwrapping only: the process tracker counts gaps
  std::deque<Held> held_;  // sorted by key
  int64_t newest_held_time_ms_ = 0;
  std::unordered_map<int32_t, int> held_pids_;  // held file events per pid
  std::unordered_map<int32_t, Descriptors> fds_;

  // Fields that repeat from one event to the next.
  struct {
    LastInterned arch, tty, comm, exe, key, cwd, dev;
  } recent_;
};

}  // namespace procaudit::audit
