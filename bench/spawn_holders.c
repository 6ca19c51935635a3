// spawn_holders: a population of idle processes holding descriptors, for the
// whole-process benchmarks (bench/compare.py).
//
//   spawn_holders [--procs N] [--fds M] [--pids-file PATH]
//
// Starts N children (default 2000). Each holds exactly M descriptors (default 20,
// at least 3) in /proc/<pid>/fd, a mix of what a real system has:
//   0-2   /dev/null (char device)
//   a directory (the temp dir), a file of its own in the temp dir
//   a pipe (both ends), a unix socketpair (both ends)
//   TCP on 127.0.0.1: the group's listening socket (one per 50 children), a
//     client socket connected to it and the accepted server end
//   the rest: shared regular files in the temp dir, opened read, write+append or
//     read/write, some with a non-zero offset
// then pauses. The parent prints "tmpdir PATH", then "ready N" once every child
// holds its descriptors (the child pids go to --pids-file when given), and waits
// for EOF on stdin or SIGTERM/SIGINT/SIGHUP. Then it sends SIGKILL to each pid it
// forked (by pid, never by name), reaps them and removes the temp dir.
//
// Children set PR_SET_PDEATHSIG(SIGKILL), so none outlives the parent even if the
// parent is killed with SIGKILL.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

enum { kChildrenPerListener = 50, kSharedFiles = 16 };

static pid_t *g_pids;
static int g_npids;
static char g_tmpdir[256];
static volatile sig_atomic_t g_stop;

static void OnSignal(int sig) {
  (void)sig;
  g_stop = 1;
}

static void RemoveTmpDir(void) {
  if (g_tmpdir[0] == '\0') return;
  char path[512];
  for (int i = 0; i < kSharedFiles; ++i) {
    snprintf(path, sizeof path, "%s/shared-%02d.dat", g_tmpdir, i);
    unlink(path);
  }
  for (int i = 0; i < g_npids; ++i) {
    snprintf(path, sizeof path, "%s/own-%d.dat", g_tmpdir, i);
    unlink(path);
  }
  if (rmdir(g_tmpdir) != 0 && errno != ENOENT) {
    fprintf(stderr, "spawn_holders: rmdir %s: %s\n", g_tmpdir, strerror(errno));
  }
  g_tmpdir[0] = '\0';
}

// Kills exactly the children this process forked, by pid, and reaps them.
static void KillChildren(void) {
  for (int i = 0; i < g_npids; ++i) {
    if (g_pids[i] > 0) kill(g_pids[i], SIGKILL);
  }
  for (int i = 0; i < g_npids; ++i) {
    if (g_pids[i] <= 0) continue;
    while (waitpid(g_pids[i], NULL, 0) < 0 && errno == EINTR) {
    }
    g_pids[i] = 0;
  }
}

static void Die(const char *fmt, ...) {
  const int err = errno;
  va_list ap;
  va_start(ap, fmt);
  fputs("spawn_holders: ", stderr);
  vfprintf(stderr, fmt, ap);
  if (err) fprintf(stderr, ": %s", strerror(err));
  fputc('\n', stderr);
  va_end(ap);
  KillChildren();
  RemoveTmpDir();
  exit(1);
}

// In a child: report failure and die; the parent sees the missing readiness byte.
static void ChildFail(const char *what) {
  char buf[160];
  int n = snprintf(buf, sizeof buf, "spawn_holders: child %d: %s: %s\n", (int)getpid(), what,
                   strerror(errno));
  if (write(2, buf, (size_t)n) < 0) {
  }
  _exit(1);
}

// Moves descriptors so the child's set is exactly 0..count-1 plus the listener
// and the readiness pipe, which it closes when done.
static void ChildMain(int index, int fds, int listener, in_port_t port, int ready_w,
                      pid_t parent) {
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) ChildFail("prctl");
  if (getppid() != parent) _exit(1);  // the parent died before prctl
  // Nothing but the listener and the readiness pipe from the parent (stdio is
  // replaced below): close whatever else the parent inherited.
  {
    int keep_lo = listener < ready_w ? listener : ready_w;
    int keep_hi = listener < ready_w ? ready_w : listener;
    if (keep_lo < 0) keep_lo = keep_hi;
    if (keep_lo > 3) close_range(3, (unsigned)keep_lo - 1, 0);
    if (keep_hi > keep_lo + 1) close_range((unsigned)keep_lo + 1, (unsigned)keep_hi - 1, 0);
    close_range((unsigned)keep_hi + 1, ~0U, 0);
  }
  signal(SIGTERM, SIG_DFL);
  signal(SIGINT, SIG_DFL);
  signal(SIGHUP, SIG_DFL);

  // stdio: /dev/null, so the child holds none of the parent's pipes.
  int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd < 0) ChildFail("open /dev/null");
  for (int fd = 0; fd < 3; ++fd) {
    if (dup2(null_fd, fd) < 0) ChildFail("dup2");
  }
  if (null_fd > 2) close(null_fd);
  int have = 3;  // 0, 1, 2

  char path[512];
#define BUDGET(n) (have + (n) <= fds)
  if (BUDGET(1)) {
    if (open(g_tmpdir, O_RDONLY | O_DIRECTORY) < 0) ChildFail("open dir");
    ++have;
  }
  if (BUDGET(1)) {
    snprintf(path, sizeof path, "%s/own-%d.dat", g_tmpdir, index);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) ChildFail("open own file");
    if (write(fd, "procaudit bench\n", 16) != 16) ChildFail("write own file");
    ++have;
  }
  if (BUDGET(2)) {
    int p[2];
    if (pipe(p) != 0) ChildFail("pipe");
    have += 2;
  }
  if (BUDGET(2)) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) ChildFail("socketpair");
    have += 2;
  }
  // The listener is inherited; it counts when kept.
  if (BUDGET(1)) {
    ++have;
  } else {
    close(listener);
    listener = -1;
  }
  if (listener >= 0 && BUDGET(2)) {
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (c < 0) ChildFail("socket");
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = port};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(c, (struct sockaddr *)&addr, sizeof addr) != 0) ChildFail("connect");
    // Any pending connection of the group: the accepted end may be another child's peer.
    if (accept(listener, NULL, NULL) < 0) ChildFail("accept");
    have += 2;
  }
  for (int i = 0; BUDGET(1); ++i) {
    static const int kModes[] = {O_RDONLY, O_WRONLY | O_APPEND, O_RDWR, O_RDONLY | O_CLOEXEC};
    snprintf(path, sizeof path, "%s/shared-%02d.dat", g_tmpdir, i % kSharedFiles);
    int fd = open(path, kModes[i % 4]);
    if (fd < 0) ChildFail("open shared file");
    if (i % 3 == 0) lseek(fd, (off_t)(index % 4096), SEEK_SET);
    ++have;
  }
#undef BUDGET
  const char byte = 'r';
  if (write(ready_w, &byte, 1) != 1) ChildFail("ready");
  close(ready_w);
  for (;;) pause();
}

static void Usage(void) {
  fprintf(stderr, "usage: spawn_holders [--procs N] [--fds M] [--pids-file PATH]\n");
  exit(2);
}

int main(int argc, char **argv) {
  int procs = 2000, fds = 20;
  const char *pids_file = NULL;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--procs") == 0 && i + 1 < argc) {
      procs = atoi(argv[++i]);
    } else if (strcmp(argv[i], "--fds") == 0 && i + 1 < argc) {
      fds = atoi(argv[++i]);
    } else if (strcmp(argv[i], "--pids-file") == 0 && i + 1 < argc) {
      pids_file = argv[++i];
    } else {
      Usage();
    }
  }
  if (procs < 1 || fds < 3) Usage();

  // Each child needs fds descriptors plus the two it closes; raise the soft limit
  // to the hard one when that is short.
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)fds + 16) {
    if (rl.rlim_max < (rlim_t)fds + 16) {
      errno = 0;
      Die("RLIMIT_NOFILE hard limit %lu is below %d", (unsigned long)rl.rlim_max, fds + 16);
    }
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) Die("setrlimit");
  }

  g_pids = calloc((size_t)procs, sizeof *g_pids);
  if (g_pids == NULL) Die("calloc");

  struct sigaction sa = {.sa_handler = OnSignal};
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  // Signals are only delivered inside ppoll below (and abort the spawn loop).
  sigset_t block, orig;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGHUP);
  sigprocmask(SIG_BLOCK, &block, &orig);

  const char *base = getenv("TMPDIR");
  snprintf(g_tmpdir, sizeof g_tmpdir, "%s/spawn_holders.XXXXXX", base && *base ? base : "/tmp");
  if (mkdtemp(g_tmpdir) == NULL) {
    g_tmpdir[0] = '\0';
    Die("mkdtemp");
  }
  char path[512];
  for (int i = 0; i < kSharedFiles; ++i) {
    snprintf(path, sizeof path, "%s/shared-%02d.dat", g_tmpdir, i);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) Die("create %s", path);
    char block_data[8192];
    memset(block_data, 'x', sizeof block_data);
    if (write(fd, block_data, sizeof block_data) != (ssize_t)sizeof block_data) Die("write");
    close(fd);
  }
  printf("tmpdir %s\n", g_tmpdir);
  fflush(stdout);

  int ready[2];
  if (pipe2(ready, O_CLOEXEC) != 0) Die("pipe");
  const pid_t self = getpid();
  int listener = -1;
  in_port_t port = 0;
  for (int i = 0; i < procs; ++i) {
    if (i % kChildrenPerListener == 0) {
      if (listener >= 0) close(listener);
      listener = socket(AF_INET, SOCK_STREAM, 0);
      if (listener < 0) Die("socket");
      struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      socklen_t len = sizeof addr;
      if (bind(listener, (struct sockaddr *)&addr, sizeof addr) != 0) Die("bind");
      if (listen(listener, 2 * kChildrenPerListener) != 0) Die("listen");
      if (getsockname(listener, (struct sockaddr *)&addr, &len) != 0) Die("getsockname");
      port = addr.sin_port;
    }
    const pid_t pid = fork();
    if (pid < 0) Die("fork (child %d)", i);
    if (pid == 0) {
      sigprocmask(SIG_SETMASK, &orig, NULL);
      close(ready[0]);
      // The write end is O_CLOEXEC in the parent; here, a plain descriptor the
      // child closes itself. Other parent descriptors (stdio) are replaced.
      ChildMain(i, fds, listener, port, ready[1], self);
      _exit(0);
    }
    g_pids[g_npids++] = pid;
  }
  if (listener >= 0) close(listener);
  close(ready[1]);

  // One byte per child; EOF early means a child failed.
  int got = 0;
  char buf[4096];
  while (got < procs) {
    struct pollfd rp = {.fd = ready[0], .events = POLLIN};
    if (poll(&rp, 1, 120 * 1000) == 0) {
      errno = 0;
      Die("timed out: only %d of %d children became ready", got, procs);
    }
    const ssize_t n = read(ready[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      errno = 0;
      Die("only %d of %d children became ready", got, procs);
    }
    got += (int)n;
  }
  close(ready[0]);

  if (pids_file != NULL) {
    FILE *f = fopen(pids_file, "w");
    if (f == NULL) Die("open %s", pids_file);
    for (int i = 0; i < g_npids; ++i) fprintf(f, "%d\n", (int)g_pids[i]);
    fclose(f);
  }
  printf("ready %d\n", got);
  fflush(stdout);

  // Wait for EOF on stdin or a termination signal.
  sigset_t wait_mask = orig;
  sigdelset(&wait_mask, SIGTERM);
  sigdelset(&wait_mask, SIGINT);
  sigdelset(&wait_mask, SIGHUP);
  while (!g_stop) {
    struct pollfd pfd = {.fd = 0, .events = POLLIN};
    const int r = ppoll(&pfd, 1, NULL, &wait_mask);
    if (r < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (pfd.revents & (POLLHUP | POLLERR | POLLNVAL)) break;
    if (pfd.revents & POLLIN) {
      const ssize_t n = read(0, buf, sizeof buf);
      if (n <= 0) break;  // EOF (or stdin gone)
    }
  }
  KillChildren();
  RemoveTmpDir();
  printf("stopped\n");
  return 0;
}
