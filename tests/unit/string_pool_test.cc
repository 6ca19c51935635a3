// src/util/string_pool.h: ids and views that stay put while the pool grows, and Get from
// other threads while the writer interns.
#include "util/string_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

namespace procaudit {
namespace {

std::string Value(uint32_t i) { return "value-" + std::to_string(i); }

TEST(StringPoolTest, EmptyStringIsAValueNotNull) {
  StringPool pool;
  const StringPool::Id id = pool.Intern("");
  EXPECT_NE(id, StringPool::kNull);
  EXPECT_EQ(pool.Get(id), "");
  EXPECT_EQ(pool.Intern(""), id);
  EXPECT_EQ(pool.size(), 1u);
}

TEST(StringPoolTest, IdsAndViewsStayStableAcrossManyViewBlocks) {
  // 300,000 ids fill the first view blocks (1024, 1024, 2048, ...) up to 2^19.
  constexpr uint32_t kCount = 300'000;
  StringPool pool;
  std::vector<std::string_view> early;
  for (uint32_t i = 1; i <= kCount; ++i) {
    ASSERT_EQ(pool.Intern(Value(i)), i);
    if (i <= 2048) early.push_back(pool.Get(i));
  }
  EXPECT_EQ(pool.size(), kCount);
  for (uint32_t i = 1; i <= kCount; ++i) ASSERT_EQ(pool.Get(i), Value(i)) << i;
  // Interning again finds the same ids, and views taken early still point at the same bytes.
  for (uint32_t i : {1u, 1023u, 1024u, 1025u, 2047u, 2048u, 4096u, kCount}) {
    EXPECT_EQ(pool.Intern(Value(i)), i);
  }
  for (uint32_t i = 1; i <= 2048; ++i) {
    ASSERT_EQ(early[i - 1].data(), pool.Get(i).data()) << i;
    ASSERT_EQ(early[i - 1], Value(i));
  }
}

TEST(StringPoolTest, LongStringsGetTheirOwnBlock) {
  StringPool pool;
  const std::string big(1 << 20, 'x');
  const StringPool::Id small = pool.Intern("small");
  const StringPool::Id id = pool.Intern(big);
  EXPECT_EQ(pool.Get(id), big);
  EXPECT_EQ(pool.Get(small), "small");
  EXPECT_GE(pool.bytes(), big.size());
}

// Readers Get every id the writer has published (through an atomic count, as the ring
// publishes ids through its lock) while the writer keeps interning into new view blocks.
TEST(StringPoolTest, GetOfPublishedIdsWhileInterning) {
  constexpr uint32_t kCount = 200'000;
  StringPool pool;
  std::atomic<uint32_t> published{0};
  std::atomic<bool> failed{false};
  auto writer = std::async(std::launch::async, [&] {
    for (uint32_t i = 1; i <= kCount; ++i) {
      if (pool.Intern(Value(i)) != i) failed = true;
      published.store(i, std::memory_order_release);
    }
  });
  std::vector<std::future<uint64_t>> readers;
  for (int r = 0; r < 3; ++r) {
    readers.push_back(std::async(std::launch::async, [&, r] {
      uint64_t checked = 0;
      uint32_t seen = 0;
      while (seen < kCount) {
        seen = published.load(std::memory_order_acquire);
        // The newest ids, and a stride over the older ones.
        for (uint32_t id = seen; id >= 1 && id + 64 > seen; --id, ++checked) {
          if (pool.Get(id) != Value(id)) failed = true;
        }
        for (uint32_t id = 1 + static_cast<uint32_t>(r); id <= seen; id += 997, ++checked) {
          if (pool.Get(id) != Value(id)) failed = true;
        }
      }
      return checked;
    }));
  }
  // A hang guard, not a timing assertion.
  ASSERT_EQ(writer.wait_for(std::chrono::seconds(60)), std::future_status::ready);
  for (auto& r : readers) {
    ASSERT_EQ(r.wait_for(std::chrono::seconds(60)), std::future_status::ready);
    EXPECT_GT(r.get(), 0u);
  }
  EXPECT_FALSE(failed);
}

}  // namespace
}  // namespace procaudit
