/* execveat_exec: the two execs whose path argument is not the executable's path.
 *
 * Why: process_events must report the absolute path the kernel ran. For execveat(dirfd,
 * "true") the pathname is relative to a directory descriptor, and for fexecve(fd) (glibc:
 * execveat(fd, "", AT_EMPTY_PATH)) there is no pathname at all, so neither the EXECVE record
 * nor the PATH item names the file; only exe= (and the descriptor) does.
 *
 * Child 1: execveat(open("/usr/bin", O_PATH|O_DIRECTORY), "true", {"true", "execveat"}).
 * Child 2: fexecve(open("/usr/bin/env", O_RDONLY|O_CLOEXEC), {"env", "-i", "/usr/bin/true"}),
 *          so env then execve()s /usr/bin/true with an empty environment.
 * Prints: execveat_pid=N fexecve_pid=M. Exits 0 when both children exited 0.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int wait_ok(pid_t pid) {
  int status;
  if (waitpid(pid, &status, 0) != pid) return 0;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int main(void) {
  int dirfd = open("/usr/bin", O_PATH | O_DIRECTORY | O_CLOEXEC);
  int envfd = open("/usr/bin/env", O_RDONLY | O_CLOEXEC);
  if (dirfd < 0 || envfd < 0) {
    perror("open");
    return 1;
  }
  fflush(stdout);

  pid_t a = fork();
  if (a == 0) {
    char *argv[] = {"true", "execveat", NULL};
    syscall(SYS_execveat, dirfd, "true", argv, environ, 0);
    perror("execveat");
    _exit(127);
  }
  int ok = a > 0 && wait_ok(a);

  pid_t b = fork();
  if (b == 0) {
    char *argv[] = {"env", "-i", "/usr/bin/true", NULL};
    fexecve(envfd, argv, environ);
    perror("fexecve");
    _exit(127);
  }
  ok = ok && b > 0 && wait_ok(b);

  printf("execveat_pid=%d fexecve_pid=%d\n", (int)a, (int)b);
  return ok ? 0 : 1;
}
