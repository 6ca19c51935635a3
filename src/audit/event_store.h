// What the event tables read: EventStores, each two rings (process events, file events) filled
// by one pipeline, and the EventSources of a connection that own them.
//
//   session store   the source of the whole session (`procaudit --audit-log FILES`, or the
//                   auditd plugin stream on stdin); what process_events reads without argument
//   live store      when the session names no source and live capture is allowed (`live` set):
//                   the process-wide netlink capture (src/netlink/), started on first use
//   replay stores   process_events('FILES'): replayed once, cached by the files' identity
//                   (path, inode, size, mtime), so joins and repeated queries do not re-read
//
// Thread rules: EventSources is safe to call from any thread (SQLite may run statements of
// different connections at once). A store's ring takes its own snapshots (event_ring.h): a
// query never makes the store's writer wait.
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "audit/event_ring.h"
#include "audit/event_source.h"
#include "audit/file_event_row.h"
#include "audit/pipeline.h"
#include "audit/pipeline_stats.h"

namespace procaudit::audit {

class EventStore {
 public:
  // Replays files to the end. Throws std::runtime_error (naming the path) when one cannot be
  // opened or read.
  static std::shared_ptr<EventStore> Replay(
      const std::vector<std::string>& paths, size_t capacity,
      const std::function<void(uint64_t, uint64_t)>& progress);
  // Fills a new store's rings before its source starts: the rows a durable store kept from
  // earlier runs (src/store/), which the new rows then follow. Runs on the calling thread, as
  // the rings' writer; throws std::runtime_error with one line.
  using HistoryLoader = std::function<void(EventRing& processes, FileRing& files)>;

  // Starts following a live source; the ring fills while queries run.
  static std::shared_ptr<EventStore> Follow(std::unique_ptr<EventSource> source,
                                            std::string description, size_t capacity,
                                            const HistoryLoader& history = {});
  // A store of history only, no source yet (reading a durable store's file); Attach one later.
  static std::shared_ptr<EventStore> FromHistory(std::string description, size_t capacity,
                                                 const HistoryLoader& history);
  // Starts following source after the history: the live capture loads history before it
  // touches the kernel, so no record waits in the socket meanwhile.
  // REQUIRES: no source attached yet.
  void Attach(std::unique_ptr<EventSource> source);

  // capacity: rows of each ring.
  EventStore(std::string description, size_t capacity)
      : description_(std::move(description)), ring_(capacity), file_ring_(capacity) {}

  const std::string& description() const { return description_; }
  const EventRing& ring() const { return ring_; }
  const FileRing& file_ring() const { return file_ring_; }
  const PipelineStats& stats() const { return stats_; }
  uint64_t serial_gaps() const;
  bool live() const { return pipeline_ && !pipeline_->done(); }
  // For a live store: stops its source and threads; the rows stay readable.
  void StopSource() {
    if (pipeline_) pipeline_->Stop();
  }
  // For a live store: waits until its source ends. Returns "" or the error that ended it.
  std::string WaitForEnd() { return pipeline_ ? pipeline_->Wait() : std::string(); }
  // One line for the user when records were skipped or rows evicted, else "".
  std::string Warning() const;

 private:
  std::string description_;
  EventRing ring_;
  FileRing file_ring_;
  PipelineStats stats_;
  uint64_t final_gaps_ = 0;
  std::unique_ptr<Pipeline> pipeline_;  // live stores only
};

class EventSources {
 public:
  static constexpr size_t kDefaultCapacity = 10'000'000;

  // Called with one line when a replay skipped records. Default: stderr.
  std::function<void(const std::string&)> warn;
  // Called while a replay runs, about ten times a second. Default: none.
  std::function<void(uint64_t done, uint64_t total)> progress;
  size_t capacity = kDefaultCapacity;
  // Set when live capture is allowed: starts (or joins) it. Throws std::runtime_error with one
  // line when it cannot start. The shell and the extension set it; tests leave it empty.
  std::function<std::shared_ptr<EventStore>()> live;

  void SetSession(std::shared_ptr<EventStore> store);
  // The session's store; else the live capture when `live` is set, started now if need be
  // (throws std::runtime_error with one line when it cannot start); else null.
  std::shared_ptr<EventStore> Session();
  // The session's store, without starting anything; null when none.
  std::shared_ptr<EventStore> CurrentSession() const;
  // The store for a process_events('SPEC') argument, replayed now or from the cache.
  std::shared_ptr<EventStore> ForArgument(const std::string& spec);
  // Every store this connection knows, for audit_status.
  std::vector<std::shared_ptr<EventStore>> All() const;

 private:
  static constexpr size_t kCachedReplays = 4;
  struct Cached {
    std::string identity;
    std::shared_ptr<EventStore> store;
  };
  mutable std::mutex mutex_;
  std::shared_ptr<EventStore> session_;
  std::list<Cached> replays_;  // most recently used first
};

}  // namespace procaudit::audit
