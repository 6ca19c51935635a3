// ForEachChunk: the chunks cover the range once, in order, and errors come back.
#include "util/parallel.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <stdexcept>

namespace procaudit {
namespace {

TEST(ForEachChunkTest, ChunksAreContiguousAndCoverTheRangeOnce) {
  for (size_t n : {0u, 1u, 7u, 1000u}) {
    for (size_t chunks : {1u, 2u, 3u, 4u, 16u}) {
      std::vector<int> hits(n, 0);
      std::mutex mu;
      std::vector<std::pair<size_t, size_t>> ranges(std::max<size_t>(1, std::min(chunks, n)));
      ForEachChunk(n, chunks, [&](size_t c, size_t begin, size_t end) {
        std::lock_guard lock(mu);
        ranges.at(c) = {begin, end};
        for (size_t i = begin; i < end; ++i) ++hits[i];
      });
      for (int h : hits) EXPECT_EQ(h, 1) << "n=" << n << " chunks=" << chunks;
      for (size_t c = 1; c < ranges.size(); ++c) EXPECT_EQ(ranges[c - 1].second, ranges[c].first);
    }
  }
}

TEST(ForEachChunkTest, RunsChunksOnSeveralThreads) {
  std::atomic<int> running{0}, peak{0};
  ForEachChunk(4, 4, [&](size_t, size_t, size_t) {
    const int now = ++running;
    int p = peak.load();
    while (now > p && !peak.compare_exchange_weak(p, now)) {
    }
    // Long enough for the other threads to start.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    --running;
  });
  EXPECT_GT(peak.load(), 1);
}

TEST(ForEachChunkTest, AnExceptionInAnyChunkReachesTheCaller) {
  EXPECT_THROW(ForEachChunk(100, 4,
                            [](size_t c, size_t, size_t) {
                              if (c == 2) throw std::runtime_error("chunk 2 failed");
                            }),
               std::runtime_error);
}

TEST(ScanThreadsTest, SmallScansStayOnOneThread) {
  EXPECT_EQ(ScanThreads(0), 1u);
  EXPECT_EQ(ScanThreads(100), 1u);
  EXPECT_LE(ScanThreads(100000), 4u);
  EXPECT_GE(ScanThreads(100000), 1u);
}

}  // namespace
}  // namespace procaudit
