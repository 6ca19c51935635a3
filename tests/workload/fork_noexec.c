/* fork_noexec: a child that never execs and exits with status 3.
 *
 * Why: a birth without an exec. The child's rows have the parent's image (path, argv, cwd are
 * inherited), and its only record of its own is exit_group(3). glibc's fork() is the clone
 * syscall (56 on x86_64) with flags SIGCHLD, not the fork syscall (57): see raw_fork.c.
 *
 * Prints: child_pid=N child_status=3. Exits 0 when the child exited 3.
 */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) _exit(3);
  int status = 0;
  if (child < 0 || waitpid(child, &status, 0) != child) return 1;
  printf("child_pid=%d child_status=%d\n", (int)child, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  return WIFEXITED(status) && WEXITSTATUS(status) == 3 ? 0 : 1;
}
