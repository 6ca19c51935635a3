/* raw_fork: the fork (57) and vfork (58) syscalls themselves, which glibc's fork() never uses.
 *
 * Why: process_events lists fork and vfork births; without this the recorded log would only
 * hold clone/clone3 births from C programs (dash happens to vfork, but that is dash's choice).
 * The fork child exits 4; the vfork child exits 5 (it may only call _exit or exec).
 *
 * Prints: fork_pid=N vfork_pid=M. Exits 0 when both children exited as expected.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int exited_with(pid_t pid, int code) {
  int status;
  return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
         WEXITSTATUS(status) == code;
}

int main(void) {
  fflush(stdout);
  pid_t f = (pid_t)syscall(SYS_fork);
  if (f == 0) _exit(4);
  int ok = exited_with(f, 4);
  pid_t v = vfork(); /* glibc's vfork is the vfork syscall */
  if (v == 0) _exit(5);
  ok = ok && exited_with(v, 5);
  printf("fork_pid=%d vfork_pid=%d\n", (int)f, (int)v);
  return ok ? 0 : 1;
}
