// src/daemon/thread_broadcast.h: a system call made by every thread, std::thread's included,
// with prctl(PR_SET_NAME), a per-thread attribute any user may set and /proc shows.
#include "daemon/thread_broadcast.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <latch>
#include <string>
#include <thread>
#include <vector>

namespace procaudit::daemon {
namespace {

std::vector<std::string> ThreadNames() {
  std::vector<std::string> names;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream in(task.path() / "comm");
    std::string name;
    std::getline(in, name);
    names.push_back(name);
  }
  return names;
}

long SetEveryName(const char* name) {
  return AllThreadsSyscall(SYS_prctl, PR_SET_NAME, reinterpret_cast<long>(name));
}

TEST(AllThreadsSyscall, ReachesEveryThreadIncludingStdThreads) {
  std::atomic<bool> stop{false};
  std::latch started(3);
  std::vector<std::jthread> threads;
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&] {
      started.count_down();
      while (!stop) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    });
  }
  started.wait();
  ASSERT_EQ(SetEveryName("bcast-all"), 0) << std::strerror(errno);
  EXPECT_EQ(ThreadNames(), std::vector<std::string>(4, "bcast-all"));
  stop = true;
}

TEST(AllThreadsSyscall, AThreadBlockedInPollIsReachedAndRetries) {
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  std::latch started(1);
  std::jthread waiter([&] {
    started.count_down();
    pollfd p{pipe_fds[0], POLLIN, 0};
    int rc;
    do {
      rc = poll(&p, 1, -1);
    } while (rc < 0 && errno == EINTR);  // as procaudit's loops do
  });
  started.wait();
  ASSERT_EQ(SetEveryName("bcast-poll"), 0) << std::strerror(errno);
  EXPECT_EQ(ThreadNames(), std::vector<std::string>(2, "bcast-poll"));
  ASSERT_EQ(write(pipe_fds[1], "x", 1), 1);
  waiter.join();
  close(pipe_fds[0]);
  close(pipe_fds[1]);
}

TEST(AllThreadsSyscall, AFailureInTheCallerIsReportedAndNothingElseIsTried) {
  std::atomic<bool> stop{false};
  std::jthread other([&] {
    while (!stop) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  });
  ASSERT_EQ(SetEveryName("bcast-before"), 0);
  // PR_SET_NAME with a bad address: EFAULT in this thread.
  EXPECT_EQ(AllThreadsSyscall(SYS_prctl, PR_SET_NAME, 1), -1);
  EXPECT_EQ(errno, EFAULT);
  EXPECT_EQ(ThreadNames(), std::vector<std::string>(2, "bcast-before"));
  stop = true;
}

TEST(AllThreadsSyscall, AThreadThatEndedIsNoFailure) {
  for (int round = 0; round < 20; ++round) {
    std::jthread quick([] {});
    ASSERT_EQ(SetEveryName("bcast-race"), 0) << std::strerror(errno);
  }
}

}  // namespace
}  // namespace procaudit::daemon
