// fault_inject: an LD_PRELOAD library that makes the system calls of a procaudit process fail the
// way the kernel can make them fail, on cue, for tests/e2e/test_faults.py. Only the test's own
// child gets it (LD_PRELOAD and PROCAUDIT_FAULT in that child's environment); production code
// has no test hooks.
//
// PROCAUDIT_FAULT holds faults separated by commas:
//
//   netlink_recv_enobufs=N        the Nth recvmmsg on an audit netlink socket (the event reader's
//                                 batch receive) that gets records throws them away and fails
//                                 with ENOBUFS: what a socket whose buffer overflowed gives
//   netlink_set_pid_eperm         registering an audit pid (AUDIT_SET, AUDIT_STATUS_PID, pid != 0)
//                                 is refused with EPERM in the kernel's acknowledgement, as the
//                                 kernel refuses a caller without CAP_AUDIT_CONTROL. The kernel
//                                 gets an AUDIT_GET in its place, so nothing changes there
//   sigterm_at_netlink_request=N  SIGTERM to the process (kill, not raise: the shell's signal
//                                 thread takes it) just before its Nth audit netlink request
//   sigterm_at_acct_call=N        the same, just before its Nth acct(2) call
//   netlink_delay_ms=N            every audit netlink request waits N ms first: a slow kernel,
//                                 which widens the windows between the stages of a start
//   acct_delay_ms=N               every acct(2) call waits N ms first (after its SIGTERM, if any):
//                                 a slow disk under the accounting file
//   proc_vanish=PID[@NAME]        process PID exits, as procaudit sees it, at its first access to
//                                 NAME under /proc/PID ("stat", "fd", "net/tcp"; without @NAME,
//                                 the directory itself): from then on every open, readlink and
//                                 stat under /proc/PID fails with ENOENT, as for a process reaped
//                                 after readdir listed it
//
// PROCAUDIT_FAULT_TRACE=FILE appends one line per audit netlink request and per acct(2) call, so a
// test learns how many there are and what each one does:
//   netlink N GET | SET enabled=1 | SET pid=123 | ADD_RULE | DEL_RULE | LIST_RULES | type=T
//   acct N on | off
// with " SIGTERM" at the end of the line before which the signal was sent.
//
// Requests are counted per process from 1, over every thread. A child forked by procaudit (its
// accounting probe) inherits the counts and the environment; it makes no such calls.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/netlink.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

// --- the faults, read once from the environment ----------------------------------------------

static long g_recv_enobufs_at;  // 0: off
static int g_set_pid_eperm;
static long g_sigterm_at_request;  // 0: off
static long g_sigterm_at_acct;     // 0: off
static long g_request_delay_ms;    // 0: off
static long g_acct_delay_ms;       // 0: off
static long g_vanish_pid;          // 0: off
static char g_vanish_name[256];    // "" : the directory itself
static const char* g_trace;        // PROCAUDIT_FAULT_TRACE, or NULL

static long g_requests, g_receives, g_acct_calls;  // counters, atomically incremented
static int g_vanished;                             // set once proc_vanish fired

// The sequence number (on its socket) of the request the kernel's acknowledgement must refuse.
static int g_eperm_fd = -1;
static unsigned g_eperm_seq;

static long NumberAfter(const char* item, const char* name) {
  const size_t n = strlen(name);
  if (strncmp(item, name, n) != 0 || item[n] != '=') return 0;
  return strtol(item + n + 1, NULL, 10);
}

__attribute__((constructor)) static void ReadFaults(void) {
  g_trace = getenv("PROCAUDIT_FAULT_TRACE");
  const char* spec = getenv("PROCAUDIT_FAULT");
  if (spec == NULL) return;
  char copy[1024];
  snprintf(copy, sizeof copy, "%s", spec);
  char* save = NULL;
  for (char* item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
    long v;
    if ((v = NumberAfter(item, "netlink_recv_enobufs")) > 0) g_recv_enobufs_at = v;
    if (strcmp(item, "netlink_set_pid_eperm") == 0) g_set_pid_eperm = 1;
    if ((v = NumberAfter(item, "sigterm_at_netlink_request")) > 0) g_sigterm_at_request = v;
    if ((v = NumberAfter(item, "sigterm_at_acct_call")) > 0) g_sigterm_at_acct = v;
    if ((v = NumberAfter(item, "netlink_delay_ms")) > 0) g_request_delay_ms = v;
    if ((v = NumberAfter(item, "acct_delay_ms")) > 0) g_acct_delay_ms = v;
    if (strncmp(item, "proc_vanish=", 12) == 0) {
      g_vanish_pid = strtol(item + 12, NULL, 10);
      const char* at = strchr(item, '@');
      if (at) snprintf(g_vanish_name, sizeof g_vanish_name, "%s", at + 1);
    }
  }
}

static void* Real(const char* name) {
  void* fn = dlsym(RTLD_NEXT, name);
  if (fn == NULL) {
    fprintf(stderr, "fault_inject: no %s in the C library\n", name);
    abort();
  }
  return fn;
}
// The C library's function, looked up once per call site.
#define REAL(name)                                             \
  ({                                                           \
    static __typeof__(&name) real_;                            \
    if (real_ == NULL) real_ = (__typeof__(&name))Real(#name); \
    real_;                                                     \
  })

static void Trace(const char* fmt, ...) {
  if (g_trace == NULL) return;
  char line[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if (n >= (int)sizeof line) n = (int)sizeof line - 1;
  // One write of a whole line to an O_APPEND file: lines from threads never interleave.
  const int fd = REAL(open)(g_trace, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return;
  if (write(fd, line, (size_t)n) != n) {
    // A trace line lost makes the test fail on its count; nothing better to do here.
  }
  close(fd);
}

// --- audit netlink -----------------------------------------------------------------------------

static int IsAuditNetlink(int fd) {
  int domain = 0, protocol = 0;
  socklen_t len = sizeof domain;
  if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0 || domain != AF_NETLINK) return 0;
  len = sizeof protocol;
  return getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &len) == 0 && protocol == NETLINK_AUDIT;
}

// What a request does, for the trace: "GET", "SET pid=123", "ADD_RULE", ...
static void Describe(const struct nlmsghdr* nlh, size_t len, char* out, size_t size) {
  switch (nlh->nlmsg_type) {
    case AUDIT_GET: snprintf(out, size, "GET"); return;
    case AUDIT_LIST_RULES: snprintf(out, size, "LIST_RULES"); return;
    case AUDIT_ADD_RULE: snprintf(out, size, "ADD_RULE"); return;
    case AUDIT_DEL_RULE: snprintf(out, size, "DEL_RULE"); return;
    case AUDIT_SET: break;
    default: snprintf(out, size, "type=%u", nlh->nlmsg_type); return;
  }
  const struct audit_status* s = NLMSG_DATA(nlh);
  if (len < NLMSG_LENGTH(offsetof(struct audit_status, rate_limit))) {
    snprintf(out, size, "SET");
  } else if (s->mask == AUDIT_STATUS_ENABLED) {
    snprintf(out, size, "SET enabled=%u", s->enabled);
  } else if (s->mask == AUDIT_STATUS_PID) {
    snprintf(out, size, "SET pid=%u", s->pid);
  } else if (s->mask == AUDIT_STATUS_BACKLOG_LIMIT) {
    snprintf(out, size, "SET backlog_limit=%u", s->backlog_limit);
  } else if (s->mask == AUDIT_STATUS_BACKLOG_WAIT_TIME) {
    snprintf(out, size, "SET backlog_wait_time=%u", s->backlog_wait_time);
  } else {
    snprintf(out, size, "SET mask=%#x", s->mask);
  }
}

// Counts one request and sends SIGTERM before it when asked. When it is the audit pid
// registration to refuse, *swap gets a copy turned into an AUDIT_GET (the caller frees it).
static void BeforeRequest(int fd, const void* buf, size_t len, unsigned char** swap) {
  *swap = NULL;
  if (len < NLMSG_HDRLEN || !IsAuditNetlink(fd)) return;
  const struct nlmsghdr* nlh = buf;
  const long n = __atomic_add_fetch(&g_requests, 1, __ATOMIC_SEQ_CST);
  char what[64];
  Describe(nlh, len, what, sizeof what);
  const int sigterm = n == g_sigterm_at_request;
  Trace("netlink %ld %s%s\n", n, what, sigterm ? " SIGTERM" : "");
  if (sigterm) kill(getpid(), SIGTERM);
  if (g_request_delay_ms) usleep((useconds_t)(g_request_delay_ms * 1000));
  if (!g_set_pid_eperm || nlh->nlmsg_type != AUDIT_SET ||
      len < NLMSG_LENGTH(offsetof(struct audit_status, rate_limit))) {
    return;
  }
  const struct audit_status* s = NLMSG_DATA(nlh);
  if (!(s->mask & AUDIT_STATUS_PID) || s->pid == 0) return;
  *swap = malloc(len);
  if (*swap == NULL) return;
  memcpy(*swap, buf, len);
  ((struct nlmsghdr*)*swap)->nlmsg_type = AUDIT_GET;  // the kernel answers, changing nothing
  __atomic_store_n(&g_eperm_seq, nlh->nlmsg_seq, __ATOMIC_SEQ_CST);
  __atomic_store_n(&g_eperm_fd, fd, __ATOMIC_SEQ_CST);
}

// Rewrites the acknowledgement of the swapped request into a refusal.
static void AfterReceive(int fd, void* buf, ssize_t n) {
  if (n <= 0 || __atomic_load_n(&g_eperm_fd, __ATOMIC_SEQ_CST) != fd) return;
  const unsigned seq = __atomic_load_n(&g_eperm_seq, __ATOMIC_SEQ_CST);
  int len = (int)n;
  for (struct nlmsghdr* nlh = buf; NLMSG_OK(nlh, len); nlh = NLMSG_NEXT(nlh, len)) {
    if (nlh->nlmsg_seq != seq) continue;
    if (nlh->nlmsg_type == NLMSG_ERROR) {
      ((struct nlmsgerr*)NLMSG_DATA(nlh))->error = -EPERM;
      __atomic_store_n(&g_eperm_fd, -1, __ATOMIC_SEQ_CST);
    } else {
      nlh->nlmsg_type = NLMSG_NOOP;  // the AUDIT_GET's reply: nobody asked for it
    }
  }
}

ssize_t sendto(int fd, const void* buf, size_t len, int flags, const struct sockaddr* to,
               socklen_t tolen) {
  unsigned char* swap;
  BeforeRequest(fd, buf, len, &swap);
  const ssize_t n = REAL(sendto)(fd, swap ? swap : buf, len, flags, to, tolen);
  const int err = errno;
  free(swap);
  errno = err;
  return n;
}

ssize_t sendmsg(int fd, const struct msghdr* msg, int flags) {
  if (msg->msg_iovlen >= 1) {
    unsigned char* swap;
    BeforeRequest(fd, msg->msg_iov[0].iov_base, msg->msg_iov[0].iov_len, &swap);
    if (swap) {
      struct msghdr copy = *msg;
      struct iovec iov[16];
      const size_t count = msg->msg_iovlen < 16 ? msg->msg_iovlen : 16;
      memcpy(iov, msg->msg_iov, count * sizeof iov[0]);
      iov[0].iov_base = swap;
      copy.msg_iov = iov;
      copy.msg_iovlen = count;
      const ssize_t n = REAL(sendmsg)(fd, &copy, flags);
      const int err = errno;
      free(swap);
      errno = err;
      return n;
    }
  }
  return REAL(sendmsg)(fd, msg, flags);
}

ssize_t recv(int fd, void* buf, size_t len, int flags) {
  const ssize_t n = REAL(recv)(fd, buf, len, flags);
  AfterReceive(fd, buf, n);
  return n;
}

ssize_t recvfrom(int fd, void* buf, size_t len, int flags, struct sockaddr* from,
                 socklen_t* fromlen) {
  const ssize_t n = REAL(recvfrom)(fd, buf, len, flags, from, fromlen);
  AfterReceive(fd, buf, n);
  return n;
}

ssize_t recvmsg(int fd, struct msghdr* msg, int flags) {
  const ssize_t n = REAL(recvmsg)(fd, msg, flags);
  if (msg->msg_iovlen >= 1 && n > 0 && (size_t)n <= msg->msg_iov[0].iov_len) {
    AfterReceive(fd, msg->msg_iov[0].iov_base, n);
  }
  return n;
}

int recvmmsg(int fd, struct mmsghdr* msgs, unsigned int vlen, int flags, struct timespec* timeout) {
  const int n = REAL(recvmmsg)(fd, msgs, vlen, flags, timeout);
  if (g_recv_enobufs_at == 0 || !IsAuditNetlink(fd)) return n;
  // Only receives that got records count: an empty poll wake-up is not a receive of records.
  if (n <= 0) return n;
  if (__atomic_add_fetch(&g_receives, 1, __ATOMIC_SEQ_CST) != g_recv_enobufs_at) return n;
  errno = ENOBUFS;  // the batch just taken is lost, as records are when a socket overflows
  return -1;
}

// --- acct(2) -----------------------------------------------------------------------------------

int acct(const char* path) {
  const long n = __atomic_add_fetch(&g_acct_calls, 1, __ATOMIC_SEQ_CST);
  const int sigterm = n == g_sigterm_at_acct;
  Trace("acct %ld %s%s\n", n, path ? "on" : "off", sigterm ? " SIGTERM" : "");
  if (sigterm) kill(getpid(), SIGTERM);
  if (g_acct_delay_ms) usleep((useconds_t)(g_acct_delay_ms * 1000));
  return REAL(acct)(path);
}

// --- /proc/PID vanishing -----------------------------------------------------------------------

// Whether dirfd/name lies under /proc/PID, and then whether the process has vanished (now).
static int Vanished(int dirfd, const char* name) {
  if (g_vanish_pid == 0 || name == NULL) return 0;
  char path[4096];
  if (name[0] == '/') {
    snprintf(path, sizeof path, "%s", name);
  } else {
    char link[64];
    if (dirfd == AT_FDCWD) {
      snprintf(link, sizeof link, "/proc/self/cwd");
    } else {
      snprintf(link, sizeof link, "/proc/self/fd/%d", dirfd);
    }
    const ssize_t n = REAL(readlink)(link, path, sizeof path - 1);
    if (n <= 0) return 0;
    path[n] = '\0';
    const size_t used = (size_t)n;
    snprintf(path + used, sizeof path - used, "/%s", name);
  }
  char prefix[32];
  const int plen = snprintf(prefix, sizeof prefix, "/proc/%ld", g_vanish_pid);
  if (strncmp(path, prefix, (size_t)plen) != 0 || (path[plen] != '/' && path[plen] != '\0')) {
    return 0;
  }
  if (__atomic_load_n(&g_vanished, __ATOMIC_SEQ_CST)) return 1;
  const char* below = path[plen] == '/' ? path + plen + 1 : path + plen;
  while (*below == '.' && below[1] == '/') below += 2;  // "/proc/PID/./stat"
  if (strcmp(below, ".") == 0) below = "";
  const size_t nlen = strlen(g_vanish_name);
  const int hit = nlen == 0 ? 1
                            : strncmp(below, g_vanish_name, nlen) == 0 &&
                                  (below[nlen] == '\0' || below[nlen] == '/');
  if (hit) __atomic_store_n(&g_vanished, 1, __ATOMIC_SEQ_CST);
  return hit;
}

static int Gone(void) {
  errno = ENOENT;
  return -1;
}

static mode_t ModeArg(int flags, va_list ap) {
  return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? va_arg(ap, mode_t) : 0;
}

int open(const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  const mode_t mode = ModeArg(flags, ap);
  va_end(ap);
  if (Vanished(AT_FDCWD, path)) return Gone();
  return REAL(open)(path, flags, mode);
}

int open64(const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  const mode_t mode = ModeArg(flags, ap);
  va_end(ap);
  if (Vanished(AT_FDCWD, path)) return Gone();
  return REAL(open64)(path, flags, mode);
}

int openat(int dirfd, const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  const mode_t mode = ModeArg(flags, ap);
  va_end(ap);
  if (Vanished(dirfd, path)) return Gone();
  return REAL(openat)(dirfd, path, flags, mode);
}

int openat64(int dirfd, const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  const mode_t mode = ModeArg(flags, ap);
  va_end(ap);
  if (Vanished(dirfd, path)) return Gone();
  return REAL(openat64)(dirfd, path, flags, mode);
}

ssize_t readlinkat(int dirfd, const char* path, char* buf, size_t size) {
  if (Vanished(dirfd, path)) return Gone();
  return REAL(readlinkat)(dirfd, path, buf, size);
}

ssize_t readlink(const char* path, char* buf, size_t size) {
  if (Vanished(AT_FDCWD, path)) return Gone();
  return REAL(readlink)(path, buf, size);
}

int fstatat(int dirfd, const char* path, struct stat* st, int flags) {
  if (Vanished(dirfd, path)) return Gone();
  return REAL(fstatat)(dirfd, path, st, flags);
}

int stat(const char* path, struct stat* st) {
  if (Vanished(AT_FDCWD, path)) return Gone();
  return REAL(stat)(path, st);
}
