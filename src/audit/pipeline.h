// An event pipeline: source -> reader thread -> ChunkQueue -> assembler thread -> tracker -> ring.
//
// Thread roles:
//   reader thread     EventSource::Run: reads and queues, nothing else, so a slow consumer
//                     never makes the kernel (or auditd's plugin pipe) wait.
//   assembler thread  Assembler: screens lines, feeds libauparse, batches completed events.
//   worker thread     EventWorker (owned by the Assembler): decodes events, runs the
//                     ProcessTracker and the FileTracker, which order them and write the rings.
//   owner's thread    constructs, waits (Wait), stops (destructor). Queries read the ring
//                     concurrently through EventRing::Reader snapshots, which the worker
//                     never waits for.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "audit/event_ring.h"
#include "audit/event_source.h"
#include "audit/file_event_row.h"
#include "audit/file_tracker.h"
#include "audit/pipeline_stats.h"
#include "audit/process_tracker.h"

namespace procaudit::audit {

class Pipeline {
 public:
  // Starts both threads. The rings and stats must outlive the pipeline.
  Pipeline(std::unique_ptr<EventSource> source, EventRing& ring, FileRing& file_ring,
           PipelineStats& stats, ProcessTracker::Options tracker_options = {});
  // Stops the threads (a live source ends at its next read) and joins them.
  ~Pipeline();
  // The same, before destruction: a live store stops its source but keeps its ring readable.
  // Call from one thread only (the owner's).
  void Stop();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Waits until the source ended and every event is in the ring. progress, if set, is called
  // about ten times a second with (bytes read, total bytes) while waiting.
  // Returns "" or the error that ended the input early.
  std::string Wait(const std::function<void(uint64_t, uint64_t)>& progress = nullptr);
  bool done() const;

  uint64_t serial_gaps() const;
  const std::vector<std::string>& names() const { return source_->names(); }

 private:
  void AssemblerMain(std::stop_token stop);

  std::unique_ptr<EventSource> source_;
  PipelineStats& stats_;
  ProcessTracker tracker_;
  FileTracker file_tracker_;
  ChunkQueue queue_;
  std::string read_error_;
  std::string assemble_error_;
  std::atomic<bool> assembled_{false};
  std::jthread assembler_;
  std::jthread reader_;
};

}  // namespace procaudit::audit
