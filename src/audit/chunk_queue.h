// The hand-off between the reader thread and the assembler thread: a wait-free single-producer
// single-consumer queue of byte chunks (Boost.Lockfree spsc_queue), with semaphores so that
// neither side spins.
//
// Thread rules: exactly one producer (the reader thread: TryPush, PushWait, Close) and one
// consumer (the assembler thread: Pop). A live source never waits: when the queue is full it
// counts the chunk as dropped and goes on reading, so the kernel's buffer keeps draining. A file
// source may wait, since a file loses nothing by being read later.
#pragma once

#include <boost/lockfree/spsc_queue.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <semaphore>
#include <string>

namespace procaudit::audit {

struct Chunk {
  std::string bytes;
  uint32_t source = 0;        // index of the input (file) the bytes come from
  bool end_of_source = false;  // the last chunk of that input: a partial line is complete
  bool end_of_input = false;   // nothing follows
};

class ChunkQueue {
 public:
  static constexpr size_t kCapacity = 64;

  // Queues without waiting; false (and chunk kept) when full. The caller counts the drop.
  [[nodiscard]] bool TryPush(std::unique_ptr<Chunk>& chunk) {
    if (!space_.try_acquire()) return false;
    Push(std::move(chunk));
    return true;
  }
  // Waits for room. Returns false, with chunk kept, when stop_waiting() says so.
  template <class StopFn>
  [[nodiscard]] bool PushWait(std::unique_ptr<Chunk>& chunk, StopFn stop_waiting) {
    while (!space_.try_acquire_for(std::chrono::milliseconds(100))) {
      if (stop_waiting()) return false;
    }
    Push(std::move(chunk));
    return true;
  }
  // The next chunk, or null after timeout.
  std::unique_ptr<Chunk> Pop(std::chrono::milliseconds timeout) {
    if (!items_.try_acquire_for(timeout)) return nullptr;
    Chunk* c = nullptr;
    queue_.pop(c);  // cannot fail: items_ counted it in
    space_.release();
    return std::unique_ptr<Chunk>(c);
  }
  ~ChunkQueue() {
    Chunk* c = nullptr;
    while (queue_.pop(c)) delete c;
  }

 private:
  void Push(std::unique_ptr<Chunk> chunk) {
    const bool pushed = queue_.push(chunk.get());  // cannot fail: space_ reserved a slot
    if (pushed) chunk.release();
    items_.release();
  }

  boost::lockfree::spsc_queue<Chunk*, boost::lockfree::capacity<kCapacity>> queue_;
  std::counting_semaphore<kCapacity> items_{0};
  std::counting_semaphore<kCapacity> space_{kCapacity};
};

}  // namespace procaudit::audit
