#include "shell/signals.h"

#include <signal.h>
#include <termios.h>

#include <cstdlib>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>

#include "acct/live_acct.h"
#include "netlink/live_capture.h"

namespace procaudit {
namespace {

constexpr int kShellSignals[] = {SIGINT, SIGTERM, SIGHUP};

std::mutex g_mutex;
std::function<bool(int)> g_handler;  // guarded by g_mutex
int g_terminal_fd = -1;              // guarded by g_mutex
std::optional<termios> g_terminal;   // guarded by g_mutex
sigset_t g_ignored_at_start;         // written once, before the signal thread starts

// Each on its own: one failing must not keep the other from being put back. The process ends
// next, so neither may start again afterwards (the ForExit variants keep their locks): the main
// thread may be between starting live accounting and starting the capture.
void StopLiveSourcesQuietly() noexcept {
  try {
    netlink::StopLiveCaptureForExit();
  } catch (...) {
    // Nothing is left to tell it to: the process is ending.
  }
  try {
    acct::StopLiveAcctForExit();
  } catch (...) {
  }
}

[[noreturn]] void ExitOnSignal(int signo) {
  StopLiveSourcesQuietly();
  {
    std::lock_guard lock(g_mutex);
    if (g_terminal) tcsetattr(g_terminal_fd, TCSANOW, &*g_terminal);
  }
  // Not exit(): other threads still run, and static destructors must not race them.
  std::_Exit(128 + signo);
}

void SignalThreadMain(sigset_t set) {
  while (true) {
    int signo = 0;
    if (sigwait(&set, &signo) != 0) continue;
    {
      std::lock_guard lock(g_mutex);
      if (g_handler && g_handler(signo)) continue;
    }
    ExitOnSignal(signo);
  }
}

}  // namespace

void BlockShellSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigemptyset(&g_ignored_at_start);
  for (int signo : kShellSignals) {
    sigaddset(&set, signo);
    struct sigaction current {};
    // Linux queues a blocked signal even when ignored, and sigwait would take it.
    if (sigaction(signo, nullptr, &current) == 0 && current.sa_handler == SIG_IGN) {
      sigaddset(&g_ignored_at_start, signo);
    }
  }
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void StartSignalThread(std::initializer_list<int> signals) {
  sigset_t set;
  sigemptyset(&set);
  for (int signo : signals) {
    if (!sigismember(&g_ignored_at_start, signo)) sigaddset(&set, signo);
  }
  std::thread(SignalThreadMain, set).detach();  // lives as long as the process
}

void StopRequest::Request() {
  {
    std::lock_guard lock(mutex_);
    requested_ = true;
  }
  cv_.notify_all();
}

bool StopRequest::requested() const {
  std::lock_guard lock(mutex_);
  return requested_;
}

bool StopRequest::WaitFor(std::chrono::milliseconds d) {
  std::unique_lock lock(mutex_);
  cv_.wait_for(lock, d, [this] { return requested_; });
  return requested_;
}

ScopedSignalHandler::ScopedSignalHandler(std::function<bool(int)> handler) {
  std::lock_guard lock(g_mutex);
  g_handler = std::move(handler);
}

ScopedSignalHandler::~ScopedSignalHandler() {
  std::lock_guard lock(g_mutex);
  g_handler = nullptr;
}

void SaveTerminal(int fd) {
  termios t{};
  if (tcgetattr(fd, &t) != 0) return;
  std::lock_guard lock(g_mutex);
  g_terminal_fd = fd;
  g_terminal = t;
}

void ForgetTerminal() {
  std::lock_guard lock(g_mutex);
  g_terminal.reset();
}

void InstallTerminateHandler() {
  static std::terminate_handler previous = nullptr;
  previous = std::set_terminate([] {
    StopLiveSourcesQuietly();
    if (previous != nullptr) previous();
    std::abort();
  });
}

}  // namespace procaudit
