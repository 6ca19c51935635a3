#include "daemon/thread_broadcast.h"

#include <dirent.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <set>
#include <thread>

namespace procaudit::daemon {
namespace {

// How long one thread may take to answer: a thread in uninterruptible sleep (a slow /proc read)
// answers when it wakes.
constexpr auto kAnswerTimeout = std::chrono::seconds(10);

// The request the handler carries out. Written before target is stored, read after it is
// loaded (both sequentially consistent), by one thread at a time.
std::atomic<long> g_nr{0};
std::atomic<long> g_args[6];
std::atomic<pid_t> g_target{0};
std::atomic<pid_t> g_answered{0};
std::atomic<int> g_error{0};

pid_t Tid() { return static_cast<pid_t>(::syscall(SYS_gettid)); }

void OnBroadcast(int) {
  const int saved = errno;
  const pid_t self = Tid();
  if (g_target.load() == self) {
    const long rc = ::syscall(g_nr.load(), g_args[0].load(), g_args[1].load(), g_args[2].load(),
                              g_args[3].load(), g_args[4].load(), g_args[5].load());
    g_error.store(rc == -1 ? errno : 0);
    g_answered.store(self);
  }
  errno = saved;
}

void InstallHandler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa {};
    sa.sa_handler = OnBroadcast;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(BroadcastSignal(), &sa, nullptr);
  });
}

std::set<pid_t> Threads() {
  std::set<pid_t> tids;
  if (DIR* dir = opendir("/proc/self/task")) {
    while (const dirent* e = readdir(dir)) {
      if (const long tid = std::strtol(e->d_name, nullptr, 10); tid > 0) {
        tids.insert(static_cast<pid_t>(tid));
      }
    }
    closedir(dir);
  }
  return tids;
}

bool ThreadGone(pid_t tid) {
  return access(("/proc/self/task/" + std::to_string(tid)).c_str(), F_OK) != 0;
}

// Has tid make the call. Returns 0 or an errno value.
int MakeThreadCall(pid_t tid) {
  g_answered.store(0);
  g_target.store(tid);
  if (tgkill(getpid(), tid, BroadcastSignal()) != 0) {
    g_target.store(0);
    return errno == ESRCH ? 0 : errno;  // ESRCH: it ended, and with it what it held
  }
  const auto deadline = std::chrono::steady_clock::now() + kAnswerTimeout;
  int error = 0;
  while (g_answered.load() != tid) {
    if (ThreadGone(tid)) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      error = ETIMEDOUT;
      break;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  if (g_answered.load() == tid) error = g_error.load();
  g_target.store(0);
  return error;
}

long AllThreads(long nr, const long (&args)[6]) {
  static std::mutex serial;
  std::lock_guard lock(serial);
  InstallHandler();
  const long rc = ::syscall(nr, args[0], args[1], args[2], args[3], args[4], args[5]);
  if (rc == -1) return -1;
  g_nr.store(nr);
  for (int i = 0; i < 6; ++i) g_args[i].store(args[i]);
  std::set<pid_t> done{Tid()};
  while (true) {
    bool found = false;
    for (pid_t tid : Threads()) {
      if (!done.insert(tid).second) continue;
      found = true;
      if (const int error = MakeThreadCall(tid); error != 0) {
        errno = error;
        return -1;
      }
    }
    if (!found) return rc;
  }
}

}  // namespace

int BroadcastSignal() { return SIGRTMIN + 6; }

long AllThreadsSyscall(long nr, long a1, long a2, long a3, long a4, long a5) {
  const long args[6] = {a1, a2, a3, a4, a5, 0};
  return AllThreads(nr, args);
}

}  // namespace procaudit::daemon
