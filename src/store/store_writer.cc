#include "store/store_writer.h"

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace procaudit::store {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

StoreWriter::StoreWriter(std::shared_ptr<EventDb> db,
                         std::shared_ptr<const audit::EventStore> events, Retention retention)
    : db_(std::move(db)), events_(std::move(events)), retention_(retention) {
  thread_ = std::jthread([this](std::stop_token stop) { Run(stop); });
}

void StoreWriter::Stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  thread_.join();
  Flush();
}

bool StoreWriter::Flush() {
  const int64_t rows = db_->Append(audit::EventRing::Reader(events_->ring()),
                                   audit::FileRing::Reader(events_->file_ring()));
  if (rows < 0) {  // the store reports it
    ++failed_batches_;
    return false;
  }
  rows_written_ += static_cast<uint64_t>(rows);
  ++batches_;
  return true;
}

void StoreWriter::Run(std::stop_token stop) {
  std::mutex mutex;
  std::condition_variable_any wake;
  auto last_retention = std::chrono::steady_clock::time_point{};
  while (!stop.stop_requested()) {
    {
      std::unique_lock lock(mutex);
      wake.wait_for(lock, stop, std::chrono::seconds(1), [] { return false; });
    }
    if (stop.stop_requested()) break;
    Flush();
    const auto now = std::chrono::steady_clock::now();
    if (now - last_retention >= std::chrono::minutes(1)) {
      last_retention = now;
      db_->ApplyRetention(retention_, NowMs());  // a failure is the store's to report
    }
  }
}

}  // namespace procaudit::store
