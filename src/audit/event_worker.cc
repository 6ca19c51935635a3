#include "audit/event_worker.h"

#include <stdexcept>

#include "audit/event_builder.h"

namespace procaudit::audit {
namespace {

// auditd's own DAEMON_* records (types 1200-1299) carry auditd's serial, not the kernel's:
// counting them would make the whole log look like a gap.
bool IsDaemonRecord(int type) { return type >= 1200 && type <= 1299; }

// After these the process's descriptors are not the ones its audited opens made: an exec
// closes the close-on-exec ones, an end all of them.
bool EndsDescriptors(const SyscallEvent& ev) {
  if (IsExec(ev.syscall)) return ev.success;
  return ev.syscall == ProcessSyscall::kExitGroup || ev.syscall == ProcessSyscall::kAnomAbend;
}

}  // namespace

EventWorker::EventWorker(ProcessTracker& tracker, PipelineStats& stats, FileTracker* files)
    : tracker_(tracker), files_(files), stats_(stats), current_(std::make_unique<Batch>()),
      thread_([this] { Main(); }) {}

EventWorker::~EventWorker() {
  try {
    Finish();
  } catch (const std::exception&) {
    // Nobody to tell: the owner did not call Finish.
  }
}

void EventWorker::Add(std::span<const std::string_view> records, uint32_t serial,
                      int64_t time_ms, int first_type) {
  Batch& b = *current_;
  for (std::string_view r : records) {
    b.text.append(r);
    b.lens.push_back(static_cast<uint32_t>(r.size()));
  }
  b.events.push_back({static_cast<uint32_t>(records.size()), serial, time_ms, first_type});
  if (b.events.size() >= kBatchEvents) Send(Batch::Then::kNothing);
}

void EventWorker::Age(std::chrono::steady_clock::time_point now) { Send(Batch::Then::kAge, now); }

void EventWorker::Finish() {
  if (finished_) return;
  finished_ = true;
  Send(Batch::Then::kFlush);
  thread_.join();
  if (!error_.empty()) throw std::runtime_error(error_);
}

void EventWorker::Send(Batch::Then then, std::chrono::steady_clock::time_point now) {
  current_->then = then;
  current_->now = now;
  space_.acquire();  // the worker frees a slot per batch; it never waits on us
  queue_.push(current_.release());
  items_.release();
  current_ = std::make_unique<Batch>();
}

void EventWorker::Main() {
  while (true) {
    items_.acquire();
    Batch* raw = nullptr;
    queue_.pop(raw);
    space_.release();
    const std::unique_ptr<Batch> batch(raw);
    try {
      if (error_.empty()) Process(*batch);
    } catch (const std::exception& e) {
      error_ = e.what();  // keep draining, so the assembler never blocks
    }
    if (batch->then == Batch::Then::kFlush) return;
  }
}

void EventWorker::Process(const Batch& batch) {
  size_t offset = 0;
  size_t record = 0;
  for (const Batch::Event& e : batch.events) {
    records_.clear();
    for (uint32_t i = 0; i < e.records; ++i, ++record) {
      records_.emplace_back(batch.text.data() + offset, batch.lens[record]);
      offset += batch.lens[record];
    }
    switch (BuildAuditEvent(records_, &event_, &file_event_, &build_error_)) {
      case BuildResult::kProcessEvent:
        if (!build_error_.empty()) {
          stats_.BadRecord("event " + std::to_string(event_.serial), build_error_);
        }
        if (files_ && EndsDescriptors(event_)) {
          files_->ProcessChanged(event_.pid, event_.serial, event_.time_ms);
        }
        tracker_.Submit(std::move(event_));
        break;
      case BuildResult::kFileEvent:
        tracker_.CountOther(e.serial, e.time_ms);  // its serial counts for gaps all the same
        if (files_) files_->Submit(std::move(file_event_));
        break;
      case BuildResult::kMalformed:
        stats_.BadRecord("event " + std::to_string(e.serial), build_error_);
        break;
      case BuildResult::kOtherEvent:
        if (!IsDaemonRecord(e.first_type)) tracker_.CountOther(e.serial, e.time_ms);
        break;
    }
  }
  if (batch.then == Batch::Then::kAge) {
    tracker_.Age(batch.now);
    if (files_) files_->Age(batch.now);
  }
  if (batch.then == Batch::Then::kFlush) {
    tracker_.Flush();
    if (files_) files_->Flush();
  }
  stats_.serial_gaps.store(tracker_.serial_gaps(), std::memory_order_relaxed);
}

}  // namespace procaudit::audit
