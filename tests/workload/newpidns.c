/* newpidns: births inside a new pid namespace, where clone's return value is not a host pid.
 *
 * Why: a clone/fork SYSCALL record's exit= is the child's pid in the caller's pid namespace,
 * while pid= and ppid= are host pids. Here the namespace's init (host pid H, pid 1 inside)
 * forks a child whose exit= is 2 (its namespace pid), whose host pid is something else; that
 * child execs /bin/true. Linking parent and child by exit= alone would go wrong.
 *
 * unshare(CLONE_NEWPID) (needs CAP_SYS_ADMIN), fork -> init of the new namespace; init forks
 * the grandchild, which execs /bin/true; init waits for it and exits 0. /proc stays the host's,
 * so readlink("/proc/self") gives each process its host pid for the manifest.
 * Prints: ns_init_pid=H ns_child_pid=C ns_child_nspid=2. Exits 0 on success, 77 when unshare
 * is not permitted.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static long host_pid(void) {
  char buf[32];
  ssize_t n = readlink("/proc/self", buf, sizeof buf - 1);
  if (n <= 0) return -1;
  buf[n] = 0;
  return strtol(buf, NULL, 10);
}

static int exited_ok(pid_t pid) {
  int status;
  return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
         WEXITSTATUS(status) == 0;
}

int main(void) {
  if (unshare(CLONE_NEWPID) != 0) {
    fprintf(stderr, "newpidns: unshare(CLONE_NEWPID): %s\n", strerror(errno));
    printf("skipped=unshare_%s\n", errno == EPERM ? "EPERM" : "failed");
    return 77;
  }
  int report[2]; /* the namespace init tells us its child's host and namespace pids */
  if (pipe(report) != 0) return 1;
  fflush(stdout);
  pid_t init = fork(); /* pid 1 of the new namespace */
  if (init == 0) {
    close(report[0]);
    pid_t child = fork(); /* returns 2: a namespace pid */
    if (child == 0) {
      long ids[2] = {host_pid(), (long)getpid()};
      (void)!write(report[1], ids, sizeof ids);
      char *argv[] = {"true", "newpidns", NULL};
      execve("/bin/true", argv, environ);
      _exit(127);
    }
    close(report[1]);
    _exit(exited_ok(child) ? 0 : 1);
  }
  close(report[1]);
  long ids[2] = {-1, -1};
  ssize_t got = read(report[0], ids, sizeof ids);
  int ok = exited_ok(init) && got == (ssize_t)sizeof ids;
  printf("ns_init_pid=%d ns_child_pid=%ld ns_child_nspid=%ld\n", (int)init, ids[0], ids[1]);
  return ok ? 0 : 1;
}
