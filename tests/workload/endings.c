/* endings: every way a child ends that an exit record can tell: exit codes and signal deaths.
 *
 * Why: process_lifecycle joins an audit log with the accounting file of the same run; each of
 * these children must come out with the right exit code or signal, and the right parent.
 * Children, one at a time (each waited for before the next starts, so records come in order):
 *   exit0, exit1, exit42, exit255  exec this program ("endings exit N"), which exits N
 *   sigkill, sigint, sigterm       exec this program ("endings wait FD"), which says it is ready
 *                                  on FD and pauses; the parent then kill()s it with the signal
 *   sigsegv                        exec this program ("endings segv"): a real null dereference,
 *                                  with RLIMIT_CORE 0 and not dumpable, so no core anywhere
 *                                  (core_pattern may be a pipe, which ignores RLIMIT_CORE)
 *   noexec_sigkill                 a forked child that never execs, killed by SIGKILL when ready
 * Signal dispositions are reset first: a shell's background job starts with SIGINT ignored.
 *
 * Prints, per child: NAME_pid=N NAME_status=S, S the wait status waitpid(2) gave, in decimal
 * (exit N is N<<8, a signal is its number; no core bit). Exits 0 when every status is the one
 * expected, 1 otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

struct child {
  const char *name;
  const char *mode; /* "exit", "wait", "segv" or "noexec" */
  int arg;          /* exit code, or the signal the parent sends */
  int expected;     /* the wait status */
};

static const struct child kChildren[] = {
    {"exit0", "exit", 0, 0},
    {"exit1", "exit", 1, 1 << 8},
    {"exit42", "exit", 42, 42 << 8},
    {"exit255", "exit", 255, 255 << 8},
    {"sigkill", "wait", SIGKILL, SIGKILL},
    {"sigsegv", "segv", 0, SIGSEGV},
    {"sigint", "wait", SIGINT, SIGINT},
    {"sigterm", "wait", SIGTERM, SIGTERM},
    {"noexec_sigkill", "noexec", SIGKILL, SIGKILL},
};

static void no_core(void) {
  const struct rlimit zero = {0, 0};
  setrlimit(RLIMIT_CORE, &zero);
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

/* Tells the parent this process is ready to be killed, then waits for the signal. */
static _Noreturn void ready_and_wait(int fd) {
  if (write(fd, "r", 1) != 1) _exit(120);
  close(fd);
  for (;;) pause();
}

/* The exec'd child's side: "endings exit N", "endings wait FD", "endings segv". */
static int run_child_mode(int argc, char **argv) {
  if (strcmp(argv[1], "exit") == 0 && argc == 3) _exit(atoi(argv[2]));
  if (strcmp(argv[1], "wait") == 0 && argc == 3) ready_and_wait(atoi(argv[2]));
  if (strcmp(argv[1], "segv") == 0 && argc == 2) {
    no_core();
    /* Both volatile: the compiler can neither turn the store into a trap nor drop it. */
    volatile int *volatile null = NULL;
    *null = 1;
    _exit(121);
  }
  fprintf(stderr, "endings: bad child arguments\n");
  return 2;
}

static int wait_for(pid_t pid) {
  int status;
  while (waitpid(pid, &status, 0) != pid) {
    if (errno != EINTR) return -1;
  }
  return status;
}

/* Starts one child; returns its pid after it is past exec (or ready, for noexec), or -1. */
static pid_t start(const struct child *c, const char *self) {
  int ready[2];
  const int waits = strcmp(c->mode, "wait") == 0 || strcmp(c->mode, "noexec") == 0;
  if (waits && pipe(ready) != 0) return -1;
  fflush(stdout);
  const pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    char arg[16];
    if (strcmp(c->mode, "noexec") == 0) {
      close(ready[0]);
      ready_and_wait(ready[1]);
    }
    if (waits) {
      close(ready[0]);
      snprintf(arg, sizeof arg, "%d", ready[1]);
    } else {
      snprintf(arg, sizeof arg, "%d", c->arg);
    }
    if (strcmp(c->mode, "segv") == 0) {
      execl(self, self, "segv", (char *)NULL);
    } else {
      execl(self, self, c->mode, arg, (char *)NULL);
    }
    _exit(127);
  }
  if (waits) {
    close(ready[1]);
    char byte;
    ssize_t n;
    while ((n = read(ready[0], &byte, 1)) < 0 && errno == EINTR) {
    }
    close(ready[0]);
    if (n != 1) return pid; /* it died before it was ready: its status will say so */
    kill(pid, c->arg);
  }
  return pid;
}

int main(int argc, char **argv) {
  if (argc > 1) return run_child_mode(argc, argv);
  /* Default dispositions and no blocked signal, whatever this was started with; no core. */
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  for (int s = 1; s < NSIG; s++) signal(s, SIG_DFL); /* SIGKILL/SIGSTOP and 32-33 just fail */
  const struct rlimit zero = {0, 0};
  setrlimit(RLIMIT_CORE, &zero);

  /* exec this program again: by its path as started, else through /proc. */
  const char *self = strchr(argv[0], '/') ? argv[0] : "/proc/self/exe";
  int ok = 1;
  const int n = (int)(sizeof kChildren / sizeof kChildren[0]);
  for (int i = 0; i < n; i++) {
    const struct child *c = &kChildren[i];
    const pid_t pid = start(c, self);
    const int status = pid > 0 ? wait_for(pid) : -1;
    printf("%s%s_pid=%d %s_status=%d", i ? " " : "", c->name, (int)pid, c->name, status);
    if (status != c->expected) {
      fprintf(stderr, "endings: %s: wait status %d, expected %d\n", c->name, status, c->expected);
      ok = 0;
    }
  }
  printf("\n");
  return ok ? 0 : 1;
}
