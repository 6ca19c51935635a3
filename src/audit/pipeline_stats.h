// Counters of one event pipeline, read by audit_status and by the warnings the shell prints.
// Written by the reader, assembler and event worker threads, read by anyone: atomics, plus a mutex for the
// first bad line's text.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

namespace procaudit::audit {

struct PipelineStats {
  std::atomic<uint64_t> bytes_read{0};
  std::atomic<uint64_t> records{0};         // record lines fed to libauparse
  std::atomic<uint64_t> events{0};          // events libauparse completed
  std::atomic<uint64_t> process_events{0};  // rows the tracker produced
  std::atomic<uint64_t> file_events{0};     // rows the file tracker produced
  std::atomic<uint64_t> bad_records{0};     // lines skipped: not an audit record, or malformed
  std::atomic<uint64_t> unknown_types{0};   // well-formed records of types libaudit does not name
  std::atomic<uint64_t> serial_gaps{0};     // serials never seen between two seen ones
  std::atomic<uint64_t> queue_drops{0};     // chunks the reader could not queue (live sources)
  std::atomic<uint64_t> socket_overruns{0}; // netlink: the socket buffer overflowed (ENOBUFS)
  std::atomic<uint64_t> late_events{0};     // events older than the reorder window, still used

  // Counts a bad record and keeps the first one's description for the warning.
  void BadRecord(const std::string& where, const std::string& what) {
    bad_records.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(mutex_);
    if (first_bad_.empty()) first_bad_ = where + ": " + what;
  }
  std::string first_bad() const {
    std::lock_guard lock(mutex_);
    return first_bad_;
  }

 private:
  mutable std::mutex mutex_;
  std::string first_bad_;
};

}  // namespace procaudit::audit
