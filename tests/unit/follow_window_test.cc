// src/sql/follow_window.h: accounting files followed by record number across rounds, as
// --follow and the daemon's event queries read them: grown, truncated, truncated and grown
// again. Temporary files of 64-byte slots; no SQLite.
#include "sql/follow_window.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace procaudit {
namespace {

class FollowWindowFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/follow_window_test.XXXXXX";
    const int fd = mkstemp(tmpl);
    ASSERT_GE(fd, 0);
    close(fd);
    path_ = tmpl;
  }
  void TearDown() override { unlink(path_.c_str()); }

  // The file now holds `records` whole slots (and `extra` bytes of a partial one).
  void Resize(int64_t records, int extra = 0) {
    ASSERT_EQ(truncate(path_.c_str(), records * 64 + extra), 0);
  }
  // One round as a table runs it: begin, then clip what the file holds.
  EidRange Round(int64_t records_now) {
    window_.BeginRound();
    return window_.ClipFile(path_, {0, records_now});
  }

  std::string path_;
  FollowWindow window_;
};

TEST_F(FollowWindowFiles, EachRoundShowsTheRecordsAppendedSinceThePrevious) {
  Resize(5);
  EXPECT_EQ(Round(5).lo, 0);
  EXPECT_FALSE(window_.HasNewRows());
  Resize(8, 13);  // a record being written: its slot is not whole yet
  EXPECT_TRUE(window_.HasNewRows());
  const EidRange r = Round(8);
  EXPECT_EQ((std::pair{r.lo, r.hi}), (std::pair<int64_t, int64_t>{5, 8}));
}

TEST_F(FollowWindowFiles, RecordsAppendedAfterATruncationAreShownFromTheFirst) {
  Resize(20);
  Round(20);
  Resize(0);
  EXPECT_TRUE(window_.HasNewRows()) << "a truncation starts a round";
  EidRange r = Round(0);
  EXPECT_EQ(r.hi - r.lo, 0);
  Resize(3);
  EXPECT_TRUE(window_.HasNewRows()) << "3 records, fewer than the 20 seen before the truncation";
  r = Round(3);
  EXPECT_EQ((std::pair{r.lo, r.hi}), (std::pair<int64_t, int64_t>{0, 3}));
  Resize(5);
  r = Round(5);
  EXPECT_EQ((std::pair{r.lo, r.hi}), (std::pair<int64_t, int64_t>{3, 5}));
}

TEST_F(FollowWindowFiles, AFileTruncatedAndGrownBetweenTwoRoundsShowsAllItHoldsNow) {
  Resize(20);
  Round(20);
  Resize(0);
  Resize(4);  // no round in between
  const EidRange r = Round(4);
  EXPECT_EQ((std::pair{r.lo, r.hi}), (std::pair<int64_t, int64_t>{0, 4}));
}

TEST_F(FollowWindowFiles, ADaemonResumingAtAMarkPastTheEndOfATruncatedFileReadsItWhole) {
  Resize(6);
  window_.ResumeAt(nullptr, {{path_, 50}});  // stored before the daemon stopped; rotated since
  const EidRange r = Round(6);
  EXPECT_EQ((std::pair{r.lo, r.hi}), (std::pair<int64_t, int64_t>{0, 6}));
  EXPECT_EQ(window_.Seen(nullptr), (FollowWindow::Marks{{path_, 6}}));
}

TEST_F(FollowWindowFiles, AFileThatWentAwayKeepsItsCount) {
  Resize(7);
  Round(7);
  unlink(path_.c_str());
  EXPECT_FALSE(window_.HasNewRows());
  const EidRange r = Round(0);
  EXPECT_EQ(r.hi - r.lo, 0);
}

}  // namespace
}  // namespace procaudit
