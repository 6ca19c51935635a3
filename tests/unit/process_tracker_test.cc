// src/audit/process_tracker.h: lineage and identity from events in the orders the kernel
// really produces them (see the workload log and laurel's traces for the real cases).
#include "audit/process_tracker.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace procaudit::audit {
namespace {

class TrackerTest : public ::testing::Test {
 protected:
  SyscallEvent Event(uint32_t serial, ProcessSyscall s, int32_t pid, int32_t ppid) {
    SyscallEvent ev;
    ev.serial = serial;
    ev.time_ms = 1'000'000 + serial;
    ev.syscall = s;
    ev.arch = "x86_64";
    ev.pid = pid;
    ev.ppid = ppid;
    ev.has_result = s != ProcessSyscall::kExit && s != ProcessSyscall::kExitGroup;
    ev.success = ev.has_result;
    return ev;
  }
  SyscallEvent Exec(uint32_t serial, int32_t pid, int32_t ppid, std::string exe,
                    std::vector<std::string> argv) {
    SyscallEvent ev = Event(serial, ProcessSyscall::kExecve, pid, ppid);
    ev.exe = std::move(exe);
    ev.argv = std::move(argv);
    ev.cwd = "/work";
    return ev;
  }
  SyscallEvent Fork(uint32_t serial, int32_t pid, int32_t ppid, int64_t ret,
                    ProcessSyscall s = ProcessSyscall::kClone, uint64_t flags = 0x1200011) {
    SyscallEvent ev = Event(serial, s, pid, ppid);
    ev.exit = ret;
    ev.a0 = flags;
    return ev;
  }
  SyscallEvent ExitGroup(uint32_t serial, int32_t pid, int32_t ppid, uint64_t status) {
    SyscallEvent ev = Event(serial, ProcessSyscall::kExitGroup, pid, ppid);
    ev.a0 = status;
    return ev;
  }

  struct Row {
    int32_t pid, parent, ns_pid;
    std::string syscall, path, cmdline, parent_path;
  };
  std::vector<Row> Rows() {
    tracker_.Flush();
    EventRing::Reader r(ring_);
    std::vector<Row> out;
    for (int64_t eid = r.first_eid(); eid < r.end_eid(); ++eid) {
      const ProcessEventRow& e = r.Row(eid);
      auto text = [&](StrId id) { return std::string(r.Text(id).value_or("NULL")); };
      out.push_back(Row{e.pid, e.parent, e.ns_pid.load(),
                        ProcessSyscallName(e.syscall), text(e.path), text(e.cmdline),
                        text(e.parent_path)});
    }
    return out;
  }

  EventRing ring_{1000};
  PipelineStats stats_;
  ProcessTracker tracker_{ring_, stats_};
};

TEST_F(TrackerTest, ChildExecLoggedBeforeParentCloneGetsParentAndBirthShowsParentImage) {
  tracker_.Submit(Exec(10, 100, 1, "/usr/bin/bash", {"bash"}));
  // The kernel numbers the child's exec (11) before the parent's clone returns (12).
  tracker_.Submit(Exec(11, 200, 100, "/usr/bin/ls", {"ls", "-l"}));
  tracker_.Submit(Fork(12, 100, 1, 200));
  const auto rows = Rows();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1].syscall, "execve");
  EXPECT_EQ(rows[1].parent, 100);
  EXPECT_EQ(rows[1].parent_path, "/usr/bin/bash");
  EXPECT_EQ(rows[2].syscall, "clone");
  EXPECT_EQ(rows[2].pid, 200);
  EXPECT_EQ(rows[2].parent, 100);
  EXPECT_EQ(rows[2].path, "/usr/bin/bash");  // the image the child started with
  EXPECT_EQ(rows[2].cmdline, "bash");
}

TEST_F(TrackerTest, EventsSubmittedOutOfOrderAreReleasedInSerialOrder) {
  tracker_.Submit(Exec(21, 300, 100, "/usr/bin/cat", {"cat"}));
  tracker_.Submit(Exec(20, 100, 1, "/usr/bin/bash", {"bash"}));
  const auto rows = Rows();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].pid, 100);
  EXPECT_EQ(rows[1].parent_path, "/usr/bin/bash");
}

TEST_F(TrackerTest, ThreadClonesAreNotBirths) {
  tracker_.Submit(Exec(1, 100, 1, "/usr/bin/app", {"app"}));
  tracker_.Submit(Fork(2, 100, 1, 101, ProcessSyscall::kClone, 0x3d0f00));  // CLONE_THREAD
  tracker_.Submit(Fork(3, 100, 1, 102, ProcessSyscall::kClone3, 0x7ffc0000));  // pthread_create
  const auto rows = Rows();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].syscall, "execve");
}

TEST_F(TrackerTest, Clone3WhoseChildShowsUpIsABirth) {
  tracker_.Submit(Exec(1, 100, 1, "/usr/bin/python3", {"python3"}));
  tracker_.Submit(Fork(2, 100, 1, 105, ProcessSyscall::kClone3, 0x7ffc0000));  // posix_spawn
  tracker_.Submit(Exec(3, 105, 100, "/usr/bin/true", {"true"}));
  const auto rows = Rows();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1].syscall, "clone3");
  EXPECT_EQ(rows[1].pid, 105);
}

TEST_F(TrackerTest, NamespacePidFromCloneIsMappedToTheHostPid) {
  tracker_.Submit(Exec(1, 500, 1, "/usr/bin/nsinit", {"nsinit"}));
  // Inside a pid namespace clone returns 2; the child's own records carry host pid 501.
  tracker_.Submit(Fork(2, 500, 1, 2));
  tracker_.Submit(Exec(3, 501, 500, "/usr/bin/true", {"true"}));
  tracker_.Submit(ExitGroup(4, 501, 500, 0));
  const auto rows = Rows();
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[1].pid, 501);
  EXPECT_EQ(rows[1].ns_pid, 2);
  EXPECT_EQ(rows[2].ns_pid, 2);
  EXPECT_EQ(rows[3].ns_pid, 2);
}

TEST_F(TrackerTest, ReusedPidIsANewProcess) {
  tracker_.Submit(Exec(1, 100, 1, "/usr/bin/bash", {"bash"}));
  tracker_.Submit(Exec(2, 700, 100, "/usr/bin/old", {"old"}));
  tracker_.Submit(ExitGroup(3, 700, 100, 0));
  tracker_.Submit(Exec(4, 800, 1, "/usr/bin/other", {"other"}));
  tracker_.Submit(Fork(5, 800, 1, 700));  // pid 700 again, another parent
  tracker_.Submit(ExitGroup(6, 700, 800, 1));
  const auto rows = Rows();
  ASSERT_EQ(rows.size(), 6u);
  EXPECT_EQ(rows[4].pid, 700);
  EXPECT_EQ(rows[4].parent, 800);
  EXPECT_EQ(rows[4].path, "/usr/bin/other");
  EXPECT_EQ(rows[5].path, "/usr/bin/other");  // not the old instance's image
  EXPECT_EQ(rows[5].parent, 800);
}

TEST_F(TrackerTest, ChildExitLoggedBeforeVforkIsTheSameProcess) {
  // The workload's raw vfork: the child's exit_group (serial 3) precedes the vfork (4).
  tracker_.Submit(Exec(1, 100, 1, "/usr/bin/raw_fork", {"raw_fork"}));
  SyscallEvent exit = ExitGroup(3, 101, 100, 5);
  exit.exe = "/usr/bin/raw_fork";
  tracker_.Submit(std::move(exit));
  tracker_.Submit(Fork(4, 100, 1, 101, ProcessSyscall::kVfork, 0));
  const auto rows = Rows();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1].syscall, "exit_group");
  EXPECT_EQ(rows[1].cmdline, "raw_fork");  // inherited: it runs its parent's image
  EXPECT_EQ(rows[2].syscall, "vfork");
  EXPECT_EQ(rows[2].pid, 101);
  EXPECT_EQ(rows[2].ns_pid, 0);
}

TEST_F(TrackerTest, ReparentedChildKeepsItsCreatorAsParent) {
  tracker_.Submit(Exec(1, 100, 1, "/usr/bin/bash", {"bash"}));
  tracker_.Submit(Fork(2, 100, 1, 200));
  tracker_.Submit(ExitGroup(3, 100, 1, 0));
  tracker_.Submit(Exec(4, 200, 1, "/usr/bin/daemon", {"daemon"}));  // orphaned: ppid 1
  const auto rows = Rows();
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[3].parent, 100);
}

// A core-dumping signal's ANOM_ABEND ends the instance: it gets the process's image and
// parent (the record names neither), and the pid's next event starts a new instance.
TEST_F(TrackerTest, AnomAbendEndsTheProcessWithItsImage) {
  tracker_.Submit(Exec(1, 100, 1, "/usr/bin/bash", {"bash"}));
  tracker_.Submit(Fork(2, 100, 1, 101));
  tracker_.Submit(Exec(3, 101, 100, "/tmp/segv", {"./segv", "now"}));
  SyscallEvent abend = Event(4, ProcessSyscall::kAnomAbend, 101, 0);
  abend.a0 = 11;
  abend.arch.clear();
  tracker_.Submit(std::move(abend));
  tracker_.Submit(Exec(5, 101, 100, "/usr/bin/true", {"true"}));  // pid 101 reused
  const auto rows = Rows();
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[3].syscall, "anom_abend");
  EXPECT_EQ(rows[3].pid, 101);
  EXPECT_EQ(rows[3].parent, 100);
  EXPECT_EQ(rows[3].path, "/tmp/segv");
  EXPECT_EQ(rows[3].cmdline, "./segv now");
  EXPECT_EQ(rows[3].parent_path, "/usr/bin/bash");
  EventRing::Reader r(ring_);
  const ProcessEventRow& e = r.Row(r.first_eid() + 3);
  EXPECT_TRUE(e.Has(ProcessEventRow::kHasSignal));
  EXPECT_EQ(e.signal, 11);
  EXPECT_EQ(e.ppid, 100);
  EXPECT_FALSE(e.Has(ProcessEventRow::kHasExitCode));
  EXPECT_EQ(rows[4].path, "/usr/bin/true");
}

}  // namespace
}  // namespace procaudit::audit
