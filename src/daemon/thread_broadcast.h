// A system call made by every thread of the process, not only the caller.
//
// Linux keeps capabilities, the capability bounding set and no_new_privs per thread: capset(2)
// or prctl(2) in one thread leaves the others as they were. glibc makes setuid() process-wide
// by signalling every thread; libcap's libpsx does the same for other calls, but it only knows
// threads started through a wrapped pthread_create, and std::thread (inside libstdc++) calls the
// unwrapped one. So this finds the threads in /proc/self/task and has each make the call in a
// signal handler, pass after pass, until a pass finds none it has not done: a thread started
// meanwhile by one not yet done is found by the next pass, one started by a thread already done
// inherits the change.
//
// (libcap's own answer, cap_set_syscall(), is ignored by libcap 2.66 unless libpsx is linked,
// and libpsx again sees only wrapped pthread_create calls; so src/daemon/privileges.cc makes
// the changing calls itself, through this, and uses libcap to read and name capabilities.)
//
// The signal is BroadcastSignal(), a real-time signal: its handler stays installed once set (a
// late delivery then does nothing). A blocking call another thread is in may return EINTR
// (poll, epoll_wait); procaudit's loops retry those.
// REQUIRES: no thread blocks BroadcastSignal(). Calls are serialized; not from a signal handler.
#pragma once

namespace procaudit::daemon {

// SIGRTMIN + 6: glibc keeps the first real-time signals for itself, procaudit uses none.
int BroadcastSignal();

// Like syscall(2): the call's result in the calling thread, or -1 with errno set when it failed
// there (nothing else is tried then) or in another thread (ETIMEDOUT when a thread did not
// answer within ten seconds). The other threads make the call only once it worked in the
// caller, as libpsx does. Pointer arguments must stay valid until it returns.
long AllThreadsSyscall(long nr, long a1 = 0, long a2 = 0, long a3 = 0, long a4 = 0, long a5 = 0);

}  // namespace procaudit::daemon
