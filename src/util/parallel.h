// Splitting a scan over a few threads.
//
// Reading /proc is almost all kernel time spent on independent processes, so a
// scan of thousands of them finishes sooner on more cores. Work is split into
// contiguous chunks so results keep their order when concatenated by chunk.
#pragma once

#include <algorithm>
#include <cstddef>
#include <exception>
#include <thread>
#include <vector>

namespace procaudit {

// How many threads a scan of n items uses: 1 for small scans (a thread costs more
// than it saves), else up to the cores available, at most 4.
inline size_t ScanThreads(size_t n, size_t min_items_per_thread = 128) {
  const size_t cores = std::max(1u, std::thread::hardware_concurrency());
  return std::clamp<size_t>(n / min_items_per_thread, 1, std::min<size_t>(cores, 4));
}

// Calls fn(chunk, begin, end) for `chunks` contiguous ranges covering [0, n), each
// on its own thread (chunk 0 on the caller's). Returns when all are done; an
// exception thrown by any call is rethrown here.
// REQUIRES: fn is safe to run concurrently for different chunks.
template <class Fn>
void ForEachChunk(size_t n, size_t chunks, Fn fn) {
  chunks = std::max<size_t>(1, std::min(chunks, n));
  if (chunks == 1) {
    fn(size_t{0}, size_t{0}, n);
    return;
  }
  std::vector<std::exception_ptr> errors(chunks);
  auto run = [&](size_t c) {
    try {
      fn(c, n * c / chunks, n * (c + 1) / chunks);
    } catch (...) {
      errors[c] = std::current_exception();
    }
  };
  {
    std::vector<std::jthread> threads;
    threads.reserve(chunks - 1);
    for (size_t c = 1; c < chunks; ++c) threads.emplace_back(run, c);
    run(0);
  }  // jthreads join here
  for (auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

}  // namespace procaudit
