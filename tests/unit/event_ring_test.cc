// src/audit/event_ring.h: eids, eviction and chunks at their boundaries, snapshots that stay
// put while the writer appends and evicts, and a writer that never waits for a reader.
//
// Every row's contents follow from its eid (Expected), so any reader can check any row.
#include "audit/event_ring.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <vector>

namespace procaudit::audit {
namespace {

using Writer = EventRing::Writer;
using Reader = EventRing::Reader;

constexpr auto kHangGuard = std::chrono::seconds(60);  // not a timing assertion

int32_t PidOf(int64_t eid) { return static_cast<int32_t>(eid % 1000); }
std::string PathOf(int64_t eid) { return "p" + std::to_string(eid % 97); }
int64_t TimeOf(int64_t eid) { return 1'000'000 + eid * 10; }

int64_t AppendExpected(Writer& w) {
  const int64_t eid = w.next_eid();
  ProcessEventRow row;
  row.pid = PidOf(eid);
  row.time_ms = TimeOf(eid);
  row.serial = static_cast<uint32_t>(eid);
  row.path = w.Intern(PathOf(eid));
  return w.Append(row);
}

void AppendRows(EventRing& ring, int64_t n) {
  for (int64_t i = 0; i < n; ++i) ring.Write([](Writer& w) { AppendExpected(w); });
}

// The first problem with the row at eid, or "".
std::string CheckRow(const Reader& r, int64_t eid) {
  const ProcessEventRow& row = r.Row(eid);
  const std::optional<std::string_view> path = r.Text(row.path);
  if (row.eid != eid || row.pid != PidOf(eid) || row.time_ms != TimeOf(eid) ||
      row.serial != static_cast<uint32_t>(eid) || !path || *path != PathOf(eid)) {
    return "row " + std::to_string(eid) + " holds eid " + std::to_string(row.eid) + " pid " +
           std::to_string(row.pid) + " path " + std::string(path.value_or("NULL"));
  }
  return "";
}

// The first problem with any row of the snapshot, or "".
std::string CheckRows(const Reader& r) {
  for (int64_t eid = r.first_eid(); eid < r.end_eid(); ++eid) {
    if (std::string problem = CheckRow(r, eid); !problem.empty()) return problem;
  }
  return "";
}

std::vector<int64_t> ScanPid(const Reader& r, int32_t pid) {
  std::vector<int64_t> out;
  for (int64_t eid = r.first_eid(); eid < r.end_eid(); ++eid) {
    if (r.Row(eid).pid == pid) out.push_back(eid);
  }
  return out;
}

TEST(EventRingTest, EmptyRingHasNoRows) {
  EventRing ring(10);
  Reader r(ring);
  EXPECT_EQ(r.first_eid(), 1);
  EXPECT_EQ(r.end_eid(), 1);
  EXPECT_EQ(ring.end_eid(), 1);
  EXPECT_TRUE(r.EidsOfPid(1).empty());
  EXPECT_EQ(r.FirstEidFromTime(0), 1);
  EXPECT_EQ(r.EndEidBeforeTime(0), 1);
  EXPECT_EQ(ring.usage().rows, 0u);
}

TEST(EventRingTest, ChunkRowsArePowersOfTwoCappedByCapacity) {
  EXPECT_EQ(EventRing(10'000'000).chunk_rows(), EventRing::kChunkRows);
  EXPECT_EQ(EventRing(1).chunk_rows(), 1u);
  EXPECT_EQ(EventRing(0).capacity(), 1u);
  EXPECT_EQ(EventRing(1000).chunk_rows(), 1024u);
  EXPECT_EQ(EventRing(6, 4).chunk_rows(), 4u);
  EXPECT_EQ(EventRing(6, 3).chunk_rows(), 4u);
  EXPECT_EQ(EventRing(3, 64).chunk_rows(), 4u);
}

struct Shape {
  size_t capacity;
  size_t chunk_rows;
};
void PrintTo(const Shape& s, std::ostream* os) {
  *os << "capacity " << s.capacity << ", chunks of " << s.chunk_rows;
}

class EventRingShapeTest : public ::testing::TestWithParam<Shape> {};

// After each append: eids 1.., the newest `capacity` rows visible, the rest counted evicted,
// every visible row intact, through several chunks and evictions across chunk boundaries.
TEST_P(EventRingShapeTest, AppendEvictsExactlyPastCapacity) {
  const Shape shape = GetParam();
  EventRing ring(shape.capacity, shape.chunk_rows);
  const auto capacity = static_cast<int64_t>(ring.capacity());
  const auto chunk = static_cast<int64_t>(ring.chunk_rows());
  const int64_t total = 3 * std::max(capacity, chunk) + 5;
  for (int64_t n = 1; n <= total; ++n) {
    int64_t eid = 0;
    ring.Write([&](Writer& w) {
      ASSERT_EQ(w.next_eid(), n);
      eid = AppendExpected(w);
      ASSERT_EQ(w.next_eid(), n + 1);
    });
    ASSERT_EQ(eid, n);
    ASSERT_EQ(ring.end_eid(), n + 1);
    const Reader r(ring);
    ASSERT_EQ(r.end_eid(), n + 1);
    ASSERT_EQ(r.first_eid(), std::max<int64_t>(1, n - capacity + 1)) << "after " << n;
    const EventRing::Usage u = ring.usage();
    ASSERT_EQ(static_cast<int64_t>(u.rows), std::min(n, capacity));
    ASSERT_EQ(static_cast<int64_t>(u.evicted), n - static_cast<int64_t>(u.rows));
    // All rows when that is cheap; else the ends, and all at chunk boundaries.
    const bool boundary = n % chunk <= 1 || n % chunk == chunk - 1 || n == total;
    if (capacity <= 64 || boundary) {
      ASSERT_EQ(CheckRows(r), "") << "after " << n;
    } else {
      ASSERT_EQ(CheckRow(r, r.first_eid()), "");
      ASSERT_EQ(CheckRow(r, r.end_eid() - 1), "");
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, EventRingShapeTest,
    ::testing::Values(Shape{1, 1}, Shape{1, 4}, Shape{4, 4}, Shape{6, 4}, Shape{9, 4}, Shape{3, 1},
                      Shape{EventRing::kChunkRows, EventRing::kChunkRows},
                      Shape{EventRing::kChunkRows + 904, EventRing::kChunkRows},
                      Shape{1000, EventRing::kChunkRows}),
    [](const ::testing::TestParamInfo<Shape>& p) {
      return "Capacity" + std::to_string(p.param.capacity) + "Chunk" +
             std::to_string(p.param.chunk_rows);
    });

TEST(EventRingTest, SnapshotKeepsItsRowsAndStringsThroughAppendsAndEvictions) {
  EventRing ring(10, 4);
  AppendRows(ring, 12);  // eids 3..12 visible
  const Reader snap(ring);
  ASSERT_EQ(snap.first_eid(), 3);
  ASSERT_EQ(snap.end_eid(), 13);
  // Evict every row of the snapshot many times over, interning new strings on the way.
  for (int i = 0; i < 200; ++i) {
    ring.Write([i](Writer& w) {
      ProcessEventRow row;
      row.pid = 5000 + i;
      row.time_ms = TimeOf(w.next_eid());
      row.path = w.Intern("new-" + std::to_string(i));
      w.Append(row);
    });
  }
  EXPECT_EQ(snap.first_eid(), 3);
  EXPECT_EQ(snap.end_eid(), 13);
  EXPECT_EQ(CheckRows(snap), "");
  const Reader now(ring);
  EXPECT_EQ(now.first_eid(), 203);
  EXPECT_EQ(now.end_eid(), 213);
  EXPECT_EQ(now.Text(now.Row(212).path), "new-199");
  EXPECT_EQ(ring.usage().evicted, 202u);
}

TEST(EventRingTest, SnapshotDoesNotSeeLaterRows) {
  EventRing ring(100, 4);
  AppendRows(ring, 5);
  const Reader snap(ring);
  AppendRows(ring, 20);
  EXPECT_EQ(snap.end_eid(), 6);
  EXPECT_EQ(ring.end_eid(), 26);
  EXPECT_EQ(Reader(ring).end_eid(), 26);
}

TEST(EventRingTest, EidsOfPidKeepsTheSnapshotsRowsEvictedSince) {
  EventRing ring(2500, 16);
  AppendRows(ring, 2500);  // pid 7: eids 7, 1007, 2007
  const Reader snap(ring);
  EXPECT_EQ(snap.EidsOfPid(7), (std::vector<int64_t>{7, 1007, 2007}));
  AppendRows(ring, 1200);  // evicts 1..1200; adds pid 7 at 3007
  EXPECT_EQ(snap.EidsOfPid(7), (std::vector<int64_t>{7, 1007, 2007}));
  EXPECT_EQ(snap.EidsOfPid(999), (std::vector<int64_t>{999, 1999}));
  EXPECT_TRUE(snap.EidsOfPid(-1).empty());
  const Reader now(ring);
  EXPECT_EQ(now.EidsOfPid(7), (std::vector<int64_t>{2007, 3007}));
  for (int32_t pid : {0, 1, 7, 200, 701, 999}) {
    EXPECT_EQ(snap.EidsOfPid(pid), ScanPid(snap, pid)) << pid;
    EXPECT_EQ(now.EidsOfPid(pid), ScanPid(now, pid)) << pid;
  }
}

TEST(EventRingTest, TimeIndexSearchesTheSnapshot) {
  EventRing ring(50, 8);
  AppendRows(ring, 60);  // eids 11..60, time 1,000,000 + 10 * eid
  const Reader snap(ring);
  EXPECT_EQ(snap.FirstEidFromTime(0), 11);
  EXPECT_EQ(snap.FirstEidFromTime(TimeOf(11)), 11);
  EXPECT_EQ(snap.FirstEidFromTime(TimeOf(30) - 1), 30);
  EXPECT_EQ(snap.FirstEidFromTime(TimeOf(30)), 30);
  EXPECT_EQ(snap.FirstEidFromTime(TimeOf(30) + 1), 31);
  EXPECT_EQ(snap.FirstEidFromTime(TimeOf(60) + 1), 61);
  // In time order, the end of "time < t" is where "time >= t" begins.
  EXPECT_EQ(snap.EndEidBeforeTime(TimeOf(30)), 30);
  EXPECT_EQ(snap.EndEidBeforeTime(TimeOf(30) + 1), 31);
  EXPECT_EQ(snap.EndEidBeforeTime(0), 11);
}

// A row stamped before rows already in the ring (a syscall that blocked) widens the search by
// its lag, for later snapshots; no row in range is ever left out.
TEST(EventRingTest, TimeIndexToleratesRowsOutOfTimeOrder) {
  EventRing ring(100, 8);
  AppendRows(ring, 20);  // eids 1..20, time TimeOf(eid)
  const Reader before(ring);
  ring.Write([](Writer& w) {
    ProcessEventRow row;
    row.time_ms = TimeOf(5) + 1;  // eid 21, started back between eids 5 and 6
    w.Append(row);
  });
  AppendRows(ring, 10);  // eids 22..31, time TimeOf(eid)
  const Reader r(ring);
  for (int64_t t = TimeOf(0); t <= TimeOf(32); t += 3) {
    const int64_t from = r.FirstEidFromTime(t), end = r.EndEidBeforeTime(t);
    for (int64_t eid = r.first_eid(); eid < r.end_eid(); ++eid) {
      if (r.Row(eid).time_ms >= t) EXPECT_GE(eid, from) << "t=" << t;
      else EXPECT_LT(eid, end) << "t=" << t;
    }
  }
  EXPECT_EQ(r.FirstEidFromTime(TimeOf(5) + 1), 6);  // eid 21 comes later, found from 6 on
  // Rows before TimeOf(10) may lie up to the lag (149 ms) past it: up to eid 24.
  EXPECT_EQ(r.EndEidBeforeTime(TimeOf(10)), 25);
  EXPECT_EQ(before.EndEidBeforeTime(TimeOf(10)), 10);  // the older snapshot had no lag
}

// The one field that may change after a row is published; existing snapshots see it.
TEST(EventRingTest, ForEachRowOfPidFillsInNsPidAfterPublication) {
  EventRing ring(100, 4);
  AppendRows(ring, 10);  // pid = eid
  ring.Write([](Writer& w) {
    ProcessEventRow row;
    row.pid = 3;
    w.Append(row);  // eid 11
  });
  const Reader snap(ring);
  ring.Write(
      [](Writer& w) { w.ForEachRowOfPid(3, 4, [](ProcessEventRow& r) { r.ns_pid.store(2); }); });
  EXPECT_EQ(snap.Row(3).ns_pid.load(), 0);  // before since_eid
  EXPECT_EQ(snap.Row(11).ns_pid.load(), 2);
  EXPECT_EQ(snap.Row(4).ns_pid.load(), 0);  // another pid
}

TEST(EventRingTest, UsageCountsPublishedStrings) {
  EventRing ring(1000);
  AppendRows(ring, 200);  // paths p0..p96
  const EventRing::Usage u = ring.usage();
  EXPECT_EQ(u.rows, 200u);
  EXPECT_EQ(u.strings, 97u);
  EXPECT_GT(u.string_bytes, 0u);
}

// The old ring held a shared lock for a Reader's lifetime, and the writer waited for it.
TEST(EventRingTest, WriterProgressesWhileAReaderIsHeld) {
  EventRing ring(10'000, 256);
  AppendRows(ring, 500);
  const Reader held(ring);
  auto writer = std::async(std::launch::async, [&] { AppendRows(ring, 100'000); });
  ASSERT_EQ(writer.wait_for(kHangGuard), std::future_status::ready);
  writer.get();
  EXPECT_EQ(held.first_eid(), 1);
  EXPECT_EQ(held.end_eid(), 501);
  EXPECT_EQ(CheckRows(held), "");
  const Reader now(ring);
  EXPECT_EQ(now.end_eid(), 100'501);
  EXPECT_EQ(now.first_eid(), 90'501);
  EXPECT_EQ(CheckRows(now), "");
}

// One writer appends and evicts; readers snapshot over and over and check every row, the pid
// index and the time index of what they hold.
TEST(EventRingTest, ConcurrentSnapshotsWhileAppendingAndEvicting) {
  constexpr int64_t kRows = 300'000;
  constexpr size_t kCapacity = 5000;
  EventRing ring(kCapacity, 256);
  std::atomic<bool> done{false};
  auto writer = std::async(std::launch::async, [&] {
    AppendRows(ring, kRows);
    done = true;
  });
  std::vector<std::future<std::string>> readers;
  for (int seed = 0; seed < 3; ++seed) {
    readers.push_back(std::async(std::launch::async, [&, seed]() -> std::string {
      int64_t last_first = 1, last_end = 1;
      for (int round = 0; !done || round == 0; ++round) {
        const int64_t polled = ring.end_eid();
        const Reader r(ring);
        if (r.first_eid() < last_first || r.end_eid() < last_end || r.end_eid() < polled) {
          return "snapshot went back: [" + std::to_string(r.first_eid()) + ", " +
                 std::to_string(r.end_eid()) + ")";
        }
        if (r.end_eid() - r.first_eid() > static_cast<int64_t>(kCapacity)) return "over capacity";
        last_first = r.first_eid();
        last_end = r.end_eid();
        if (std::string problem = CheckRows(r); !problem.empty()) return problem;
        const auto pid = static_cast<int32_t>((round * 7 + seed * 331) % 1000);
        if (r.EidsOfPid(pid) != ScanPid(r, pid)) return "EidsOfPid(" + std::to_string(pid) + ")";
        if (r.end_eid() > r.first_eid()) {
          const int64_t mid = r.first_eid() + (r.end_eid() - r.first_eid()) / 2;
          if (r.FirstEidFromTime(TimeOf(mid)) != mid) return "FirstEidFromTime";
        }
      }
      return "";
    }));
  }
  ASSERT_EQ(writer.wait_for(kHangGuard), std::future_status::ready);
  for (auto& r : readers) {
    ASSERT_EQ(r.wait_for(kHangGuard), std::future_status::ready);
    EXPECT_EQ(r.get(), "");
  }
  const Reader end(ring);
  EXPECT_EQ(end.end_eid(), kRows + 1);
  EXPECT_EQ(CheckRows(end), "");
}

}  // namespace
}  // namespace procaudit::audit
