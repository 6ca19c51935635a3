/* memfd_exec: exec of a file that never had a name: fexecve of a memfd holding /usr/bin/true.
 *
 * Why: the kernel's exe= is then "/memfd:procaudit-true (deleted)" (d_path of an unlinked
 * shmem file), the EXECVE record has only the argv we chose, and no PATH item names a file
 * anyone could open. Fileless execution is what an auditor hunts for.
 *
 * The memfd is MFD_CLOEXEC (glibc's fexecve is execveat(fd, "", AT_EMPTY_PATH), which works
 * on a close-on-exec descriptor for an ELF binary) and MFD_EXEC where the kernel knows it
 * (6.3+, otherwise it warns once about memfds without MFD_EXEC/MFD_NOEXEC_SEAL).
 * Prints: child_pid=N. Exits 0 when the child exited 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

extern char **environ;

int main(void) {
  int fd = memfd_create("procaudit-true", MFD_CLOEXEC | MFD_EXEC);
  if (fd < 0 && errno == EINVAL) fd = memfd_create("procaudit-true", MFD_CLOEXEC);
  int in = open("/usr/bin/true", O_RDONLY | O_CLOEXEC);
  if (fd < 0 || in < 0) {
    perror("memfd_exec: open");
    return 1;
  }
  char buf[65536];
  ssize_t n;
  while ((n = read(in, buf, sizeof buf)) > 0)
    if (write(fd, buf, (size_t)n) != n) return 1;
  close(in);
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    char *argv[] = {"true-from-memfd", NULL};
    fexecve(fd, argv, environ);
    perror("fexecve");
    _exit(127);
  }
  int status;
  if (child < 0 || waitpid(child, &status, 0) != child) return 1;
  printf("child_pid=%d\n", (int)child);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
