// The daemon's store thread: every second, the live rings' new process and file events go to
// the durable store (event_db.h) in one transaction; every minute, retention. A failing write (a
// full disk) is retried each second, and reported by the store, once (EventDb::SetWriteLog):
// the ring keeps the events meanwhile, and holds them for queries whatever happens to the
// store. Stop() writes the last batch.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "audit/event_store.h"
#include "store/event_db.h"

namespace procaudit::store {

class StoreWriter {
 public:
  StoreWriter(std::shared_ptr<EventDb> db, std::shared_ptr<const audit::EventStore> events,
              Retention retention);
  ~StoreWriter() { Stop(); }
  StoreWriter(const StoreWriter&) = delete;
  StoreWriter& operator=(const StoreWriter&) = delete;

  // Writes what is left and stops the thread. Idempotent.
  void Stop();
  // Writes what the ring holds now, on the calling thread. Returns false when the write failed.
  bool Flush();

  struct Stats {
    uint64_t rows_written = 0;
    uint64_t batches = 0;
    uint64_t failed_batches = 0;
  };
  Stats stats() const {
    return {rows_written_.load(), batches_.load(), failed_batches_.load()};
  }

 private:
  void Run(std::stop_token stop);

  std::shared_ptr<EventDb> db_;
  std::shared_ptr<const audit::EventStore> events_;
  Retention retention_;
  std::atomic<uint64_t> rows_written_{0}, batches_{0}, failed_batches_{0};
  std::jthread thread_;
};

}  // namespace procaudit::store
