// src/audit/file_tracker.h: file events in any order to rows in serial order, and the
// per-process descriptor tables that directory-relative names resolve through.
#include "audit/file_tracker.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "audit/file_calls.h"

namespace procaudit::audit {
namespace {

constexpr uint32_t kX86_64 = 0xc000003e;

class FileTrackerTest : public ::testing::Test {
 protected:
  // openat(AT_FDCWD, name, O_RDONLY|O_DIRECTORY) returning fd: sub's inode 22.
  static FileEvent OpenDir(uint32_t serial, int32_t pid, const std::string& name, int fd) {
    FileEvent ev = Base(serial, pid, 257);
    ev.a0 = 0xffffff9c;
    ev.a2 = 0x10000;
    ev.exit = fd;
    ev.items.push_back(Item(0, name, PathItem::Type::kNormal, 22, 040755));
    return ev;
  }
  // openat(dirfd, name, O_WRONLY|O_CREAT) in the directory with inode 22.
  static FileEvent CreateAt(uint32_t serial, int32_t pid, int dirfd, const std::string& name) {
    FileEvent ev = Base(serial, pid, 257);
    ev.a0 = static_cast<uint64_t>(dirfd);
    ev.a2 = 0x41;
    ev.a3 = 0644;
    ev.exit = 9;
    ev.items.push_back(Item(0, "/cwd", PathItem::Type::kParent, 22, 040755));
    ev.items.push_back(Item(1, name, PathItem::Type::kCreate, 23, 0100644));
    return ev;
  }
  static FileEvent Base(uint32_t serial, int32_t pid, int nr) {
    FileEvent ev;
    ev.serial = serial;
    ev.time_ms = 1'000'000 + serial;
    ev.pid = pid;
    ev.ppid = 1;
    ev.arch = "x86_64";
    ev.exe = "/usr/bin/prog";
    ev.has_result = ev.success = true;
    ev.cwd = "/cwd";
    ev.call = ClassifyFileCall(kX86_64, nr);
    return ev;
  }
  static PathItem Item(int index, const std::string& name, PathItem::Type type, uint64_t inode,
                       uint32_t mode) {
    PathItem it;
    it.index = index;
    it.name = name;
    it.type = type;
    it.inode = inode;
    it.dev = "fe:00";
    it.mode = mode;
    return it;
  }

  struct Row {
    uint32_t serial;
    std::string path;  // "" for NULL
  };
  std::vector<Row> Rows() {
    tracker_.Flush();
    std::vector<Row> out;
    FileRing::Reader r(ring_);
    for (int64_t eid = r.first_eid(); eid < r.end_eid(); ++eid) {
      const FileEventRow& e = r.Row(eid);
      out.push_back({e.serial, std::string(r.Text(e.path).value_or(""))});
    }
    return out;
  }

  FileRing ring_{1000};
  PipelineStats stats_;
  FileTracker tracker_{ring_, stats_};
};

TEST_F(FileTrackerTest, DirectoryOpenArrivingAfterItsUseIsStillAppliedFirst) {
  tracker_.Submit(CreateAt(11, 100, 3, "at.txt"));
  tracker_.Submit(OpenDir(10, 100, "sub", 3));
  const auto rows = Rows();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].serial, 10u);
  EXPECT_EQ(rows[0].path, "/cwd/sub");
  EXPECT_EQ(rows[1].serial, 11u);
  EXPECT_EQ(rows[1].path, "/cwd/sub/at.txt");
  EXPECT_EQ(stats_.file_events.load(), 2u);
}

TEST_F(FileTrackerTest, DescriptorsAreThePidsOwn) {
  tracker_.Submit(OpenDir(10, 100, "sub", 3));
  tracker_.Submit(CreateAt(11, 200, 3, "at.txt"));  // another process's fd 3
  EXPECT_EQ(Rows()[1].path, "");
}

TEST_F(FileTrackerTest, ExecOrExitForgetsTheDescriptors) {
  tracker_.Submit(OpenDir(10, 100, "sub", 3));
  tracker_.ProcessChanged(100, 11, 1'000'011);  // execve or exit_group
  tracker_.Submit(CreateAt(12, 100, 3, "at.txt"));
  EXPECT_EQ(Rows()[1].path, "");
}

TEST_F(FileTrackerTest, ProcessChangeAfterTheUseDoesNotHideIt) {
  tracker_.Submit(OpenDir(10, 100, "sub", 3));
  tracker_.ProcessChanged(100, 12, 1'000'012);
  tracker_.Submit(CreateAt(11, 100, 3, "at.txt"));  // numbered before the exec, arrives after
  EXPECT_EQ(Rows()[1].path, "/cwd/sub/at.txt");
}

TEST_F(FileTrackerTest, AnotherExecutableUnderThePidIsAnotherProcess) {
  tracker_.Submit(OpenDir(10, 100, "sub", 3));
  FileEvent reused = CreateAt(11, 100, 3, "at.txt");
  reused.exe = "/usr/bin/other";
  tracker_.Submit(std::move(reused));
  EXPECT_EQ(Rows()[1].path, "");
}

TEST_F(FileTrackerTest, AFailedOrUnresolvedOpenDoesNotLeaveAStaleDescriptor) {
  tracker_.Submit(OpenDir(10, 100, "sub", 3));
  FileEvent unknown = OpenDir(11, 100, "x", 3);  // fd 3 again, opened relative to fd 7
  unknown.a0 = 7;
  tracker_.Submit(std::move(unknown));
  tracker_.Submit(CreateAt(12, 100, 3, "at.txt"));
  const auto rows = Rows();
  EXPECT_EQ(rows[1].path, "");
  EXPECT_EQ(rows[2].path, "");
}

TEST_F(FileTrackerTest, WindowReleasesInSerialOrderAsTimePasses) {
  FileTracker tracker(ring_, stats_, {.window_ms = 100, .max_held = 1000});
  tracker.Submit(OpenDir(2, 100, "b", 4));
  tracker.Submit(OpenDir(1, 100, "a", 3));
  EXPECT_EQ(FileRing::Reader(ring_).end_eid(), 1);  // both held
  FileEvent late = OpenDir(3, 100, "c", 5);
  late.time_ms += 500;  // moves the window past the first two
  tracker.Submit(std::move(late));
  FileRing::Reader r(ring_);
  ASSERT_EQ(r.end_eid() - r.first_eid(), 2);
  EXPECT_EQ(r.Row(1).serial, 1u);
  EXPECT_EQ(r.Row(2).serial, 2u);
}

}  // namespace
}  // namespace procaudit::audit
