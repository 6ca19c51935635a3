#include "audit/pipeline.h"

#include "audit/assembler.h"

namespace procaudit::audit {

Pipeline::Pipeline(std::unique_ptr<EventSource> source, EventRing& ring, FileRing& file_ring,
                   PipelineStats& stats, ProcessTracker::Options tracker_options)
    : source_(std::move(source)), stats_(stats), tracker_(ring, stats, tracker_options),
      file_tracker_(file_ring, stats) {
  assembler_ = std::jthread([this](std::stop_token stop) { AssemblerMain(stop); });
  reader_ = std::jthread([this](std::stop_token stop) {
    read_error_ = source_->Run(queue_, stats_, stop);
  });
}

Pipeline::~Pipeline() { Stop(); }

void Pipeline::Stop() {
  reader_.request_stop();
  assembler_.request_stop();
  if (reader_.joinable()) reader_.join();
  if (assembler_.joinable()) assembler_.join();
}

void Pipeline::AssemblerMain(std::stop_token stop) {
  try {
    Assembler assembler(tracker_, stats_, source_->names(), &file_tracker_);
    const bool live = source_->live();
    constexpr auto kAgeEvery = std::chrono::milliseconds(250);
    auto aged = std::chrono::steady_clock::now();
    while (!stop.stop_requested()) {
      std::unique_ptr<Chunk> chunk = queue_.Pop(kAgeEvery);
      if (chunk) {
        assembler.Consume(*chunk);
        if (chunk->end_of_input) break;
      }
      // A live stream ages held events by the clock also while records keep coming: on a busy
      // host the queue is never empty for long, and a rarer kind of event (a file event among
      // process events) would otherwise wait for the next event of its own kind.
      const auto now = std::chrono::steady_clock::now();
      if (live && (!chunk || now - aged >= kAgeEvery)) {
        assembler.Age(now);
        aged = now;
      }
    }
  } catch (const std::exception& e) {
    assemble_error_ = e.what();
  }
  assembled_.store(true, std::memory_order_release);
  assembled_.notify_all();
}

bool Pipeline::done() const { return assembled_.load(std::memory_order_acquire); }

std::string Pipeline::Wait(const std::function<void(uint64_t, uint64_t)>& progress) {
  const uint64_t total = source_->total_bytes();
  // With a progress callback, look ten times a second, but notice the end within 5 ms: small
  // replays must not pay for the bar.
  for (int tick = 0; !done(); ++tick) {
    if (!progress) {
      assembled_.wait(false, std::memory_order_acquire);
      continue;
    }
    if (tick % 20 == 0) progress(stats_.bytes_read.load(std::memory_order_relaxed), total);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // A failed assembler no longer drains the queue: the reader must not wait for it.
  if (!assemble_error_.empty()) reader_.request_stop();
  if (reader_.joinable()) reader_.join();
  if (progress) progress(stats_.bytes_read.load(std::memory_order_relaxed), total);
  return !assemble_error_.empty() ? assemble_error_ : read_error_;
}

uint64_t Pipeline::serial_gaps() const {
  return stats_.serial_gaps.load(std::memory_order_relaxed);
}

}  // namespace procaudit::audit
