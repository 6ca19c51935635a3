#include "netlink/capture_state.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace procaudit::netlink {
namespace {

CaptureState Sample() {
  CaptureState s;
  s.pid = 1234;
  s.start_time = 987654;
  s.mode = "unicast";
  s.took_pid = true;
  s.enabled = ChangedSetting{0, 1};
  s.backlog_limit = ChangedSetting{64, 8192};
  return s;
}

TEST(CaptureState, SerializesAndParsesBack) {
  const CaptureState s = Sample();
  const std::optional<CaptureState> back = ParseState(SerializeState(s));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->pid, 1234);
  EXPECT_EQ(back->start_time, 987654u);
  EXPECT_EQ(back->mode, "unicast");
  EXPECT_TRUE(back->took_pid);
  ASSERT_TRUE(back->enabled);
  EXPECT_EQ(back->enabled->before, 0u);
  EXPECT_EQ(back->enabled->set, 1u);
  ASSERT_TRUE(back->backlog_limit);
  EXPECT_EQ(back->backlog_limit->before, 64u);
  EXPECT_FALSE(back->backlog_wait_time);
  EXPECT_TRUE(back->watches.empty());
}

TEST(CaptureState, WatchesAreOneLineEachAndComeBackInOrder) {
  CaptureState s = Sample();
  s.watches = {"pid=8175", "exe=/usr/bin/curl", "dir=/etc/my dir=x", "all"};
  const std::string text = SerializeState(s);
  EXPECT_NE(text.find("\nwatch=dir=/etc/my dir=x\n"), std::string::npos) << text;
  const std::optional<CaptureState> back = ParseState(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->watches, s.watches);
}

TEST(CaptureState, RejectsPartialOrMalformedStates) {
  EXPECT_FALSE(ParseState(""));
  EXPECT_FALSE(ParseState("pid=12\n"));                       // no start time
  EXPECT_FALSE(ParseState("pid=x\nstart_time=1\n"));
  EXPECT_FALSE(ParseState("pid=0\nstart_time=1\n"));
  EXPECT_FALSE(ParseState("pid=12\nstart_time=1\nenabled_before=0\n"));  // half a setting
  EXPECT_FALSE(ParseState("pid=12\nstart_time=1\nbacklog_limit_set=99999999999\nbacklog_limit_before=1\n"));
  EXPECT_FALSE(ParseState("pid=12\nstart_time=1\ngarbage\n"));
  EXPECT_TRUE(ParseState("pid=12\nstart_time=1\nfuture_key=7\n"));  // newer writers add keys
}

TEST(CaptureState, OwnerAliveComparesStartTimeSoReusedPidsAreDead) {
  CaptureState me;
  me.pid = getpid();
  me.start_time = ProcessStartTime(me.pid);
  ASSERT_NE(me.start_time, 0u);
  EXPECT_TRUE(StateOwnerAlive(me));
  me.start_time += 1;  // the same pid, another process
  EXPECT_FALSE(StateOwnerAlive(me));
  CaptureState gone;
  gone.pid = 0x3ffffff0;  // above pid_max
  gone.start_time = 1;
  EXPECT_FALSE(StateOwnerAlive(gone));
}

TEST(CaptureState, AZombieIsGoneUnlessItsThreadsRun) {
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) _exit(0);
  // Not reaped yet: a zombie, as a killed run is until its parent (or pid 1) waits.
  for (int i = 0; i < 1000 && ProcessStartTime(child) != 0; ++i) usleep(1000);
  EXPECT_EQ(ProcessStartTime(child), 0u);
  waitpid(child, nullptr, 0);

  // The same texts from a fake /proc: "Z" with one thread is gone; a leader that exited while
  // two threads run (ps shows Zl) is alive.
  const std::filesystem::path root =
      std::filesystem::temp_directory_path() / ("procaudit-zombie-test-" + std::to_string(getpid()));
  const auto stat = [&](int pid, const std::string& state, int threads) {
    std::filesystem::create_directories(root / std::to_string(pid));
    std::ofstream(root / std::to_string(pid) / "stat")
        << pid << " (a b) c) " << state << " 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 " << threads
        << " 0 4242 1000 2000\n";
  };
  stat(10, "S", 1);
  stat(11, "Z", 1);
  stat(12, "Z", 3);
  stat(13, "X", 1);
  EXPECT_EQ(ProcessStartTime(10, root.string()), 4242u);
  EXPECT_EQ(ProcessStartTime(11, root.string()), 0u);
  EXPECT_EQ(ProcessStartTime(12, root.string()), 4242u);
  EXPECT_EQ(ProcessStartTime(13, root.string()), 0u);
  std::filesystem::remove_all(root);
}

TEST(StateDir, WritesReadsAndRemovesFilesSkippingMalformedOnes) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("procaudit-state-test-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  StateDir states(dir.string());
  EXPECT_TRUE(states.ReadAll().empty());  // a missing directory holds nothing
  states.Write(Sample());
  std::ofstream(dir / "live.99.state") << "not a state";
  std::ofstream(dir / "unrelated.txt") << "pid=5\nstart_time=1\n";
  const auto entries = states.ReadAll();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].state.pid, 1234);
  EXPECT_EQ(std::filesystem::status(dir).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_all);
  states.Remove(1234);
  EXPECT_TRUE(states.ReadAll().empty());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace procaudit::netlink
