// The shell's signals, taken by one thread.
//
// SIGINT, SIGTERM and SIGHUP are blocked in every thread (threads inherit the mask of the
// thread that starts them, so main blocks them first) and a signal thread takes them with
// sigwait. What a signal does then runs in an ordinary thread, which matters because stopping
// the live capture (putting back the kernel's audit state) is not async-signal-safe:
//
//   while a handler is set (ScopedSignalHandler) and returns true:  nothing more (--follow
//                                                                    stops its loop)
//   otherwise: netlink::StopLiveCaptureForExit() and acct::StopLiveAcctForExit() (neither can
//              start again afterwards), the terminal put back if one was saved, then the
//              process exits with status 128 + signo
//
// main chooses which of them the thread takes; the others stay blocked:
//   - an interactive shell keeps SIGINT out: Shell::RunInteractive unblocks it in the main
//     thread and handles it there, because libedit must see it to discard the line being
//     typed, and the running statement is interrupted from the handler (sqlite3_interrupt is
//     async-signal-safe);
//   - --audit-stdin keeps SIGHUP out: auditd sends it to its plugins to make them reload their
//     configuration, and procaudit has none to reload.
// A signal ignored when procaudit started (nohup, a background job) stays ignored.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <initializer_list>
#include <mutex>

namespace procaudit {

// Blocks SIGINT, SIGTERM and SIGHUP. REQUIRES: called in main before any other thread starts.
void BlockShellSignals();

// Starts the signal thread for signals (of SIGINT, SIGTERM, SIGHUP), less those ignored when
// the process started. REQUIRES: BlockShellSignals() was called; called once.
void StartSignalThread(std::initializer_list<int> signals);

// While alive, the signal thread calls handler(signo) first; it is called with a lock held
// that the destructor takes too, so it must be short and must not create another handler.
class ScopedSignalHandler {
 public:
  explicit ScopedSignalHandler(std::function<bool(int signo)> handler);
  ~ScopedSignalHandler();
  ScopedSignalHandler(const ScopedSignalHandler&) = delete;
  ScopedSignalHandler& operator=(const ScopedSignalHandler&) = delete;
};

// A request to stop that a signal handler makes and a loop waits for.
class StopRequest {
 public:
  void Request();
  bool requested() const;
  // Sleeps for d or until a request; returns requested().
  bool WaitFor(std::chrono::milliseconds d);

 private:
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool requested_ = false;  // guarded by mutex_
};

// Saves the terminal state of fd now, to be put back when a signal ends the process (libedit
// keeps the terminal raw while it reads a line). ForgetTerminal drops it.
void SaveTerminal(int fd);
void ForgetTerminal();

// A std::terminate handler that stops the live capture and live accounting, then calls the
// previous handler.
void InstallTerminateHandler();

}  // namespace procaudit
