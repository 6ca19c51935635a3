// The event worker: decodes assembled events (BuildAuditEvent) and runs the process tracker
// (and the file tracker, when there is one) on a thread of its own, so that libauparse's grouping (assembler thread) and everything
// after it work on two cores at once.
//
// The assembler hands over events in batches of copied record texts (libauparse's buffers do
// not outlive its callback), through a Boost.Lockfree spsc queue; a batch may end with a
// request to age the tracker (live sources) or to flush it (end of input).
//
// Thread rules: Add, Age and Finish are for the assembler thread only; the tracker, and the
// ring writes it makes, belong to the worker thread until Finish returns.
#pragma once

#include <boost/lockfree/spsc_queue.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <semaphore>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "audit/file_tracker.h"
#include "audit/pipeline_stats.h"
#include "audit/process_tracker.h"

namespace procaudit::audit {

class EventWorker {
 public:
  // files: where file events go; null to drop them.
  EventWorker(ProcessTracker& tracker, PipelineStats& stats, FileTracker* files = nullptr);
  // Finishes if Finish was not called (errors are then dropped).
  ~EventWorker();
  EventWorker(const EventWorker&) = delete;
  EventWorker& operator=(const EventWorker&) = delete;

  // One completed event: its record lines, and the stamp libauparse gave it. first_type is
  // the numeric type of its first record.
  void Add(std::span<const std::string_view> records, uint32_t serial, int64_t time_ms,
           int first_type);
  // Hands over what is batched and asks the tracker to release what has waited long enough.
  void Age(std::chrono::steady_clock::time_point now);
  // Hands over the rest, flushes the tracker and waits for the worker. Throws
  // std::runtime_error with the worker's error, if it had one. Idempotent.
  void Finish();

 private:
  static constexpr size_t kBatchEvents = 256;
  static constexpr size_t kQueue = 64;
  struct Batch {
    enum class Then { kNothing, kAge, kFlush };
    struct Event {
      uint32_t records;
      uint32_t serial;
      int64_t time_ms;
      int first_type;
    };
    std::string text;            // the records of every event, back to back
    std::vector<uint32_t> lens;  // each record's length
    std::vector<Event> events;
    Then then = Then::kNothing;
    std::chrono::steady_clock::time_point now;
  };

  void Send(Batch::Then then, std::chrono::steady_clock::time_point now = {});
  void Main();
  void Process(const Batch& batch);

  ProcessTracker& tracker_;
  FileTracker* files_;
  PipelineStats& stats_;
  std::unique_ptr<Batch> current_;
  boost::lockfree::spsc_queue<Batch*, boost::lockfree::capacity<kQueue>> queue_;
  std::counting_semaphore<kQueue> items_{0};
  std::counting_semaphore<kQueue> space_{kQueue};
  std::string error_;  // written by the worker, read after join
  bool finished_ = false;
  // Worker-thread scratch.
  std::vector<std::string_view> records_;
  SyscallEvent event_;
  FileEvent file_event_;
  std::string build_error_;
  std::thread thread_;  // last: started once everything above exists
};

}  // namespace procaudit::audit
