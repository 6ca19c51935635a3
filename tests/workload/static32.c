/* static32: a 32-bit static process (built -m32 -static): arch=i386 records.
 *
 * Why: 32-bit and 64-bit processes share a host, and their syscall numbers differ: in i386
 * records (arch=40000003) execve is 11, clone 120, exit_group 252 -- 252 is not exit_group on
 * x86_64. Static, so no 32-bit loader or libc is needed at run time.
 *
 * Forks (glibc: the i386 clone syscall), the child execve()s /bin/true (a 64-bit image,
 * started from a 32-bit syscall), the parent exits 5 via exit_group.
 * Prints: child_pid=N. Exits 5 (1 if the child failed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(void) {
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    char *argv[] = {"true", "static32", NULL};
    execve("/bin/true", argv, environ);
    perror("execve");
    _exit(127);
  }
  int status;
  if (child < 0 || waitpid(child, &status, 0) != child) return 1;
  printf("child_pid=%d\n", (int)child);
  fflush(stdout);
  exit(WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 5 : 1);
}
