/* deleted_exe: an executable unlinked while its process runs; the process exits afterwards.
 *
 * Why: the exe= of every later record of that process (here its exit_group) is the d_path of a
 * deleted file, "/path/deleted-cat (deleted)" -- with a space, so the raw log hex-encodes it.
 * The exec itself still names the file as it was.
 *
 * Usage: deleted_exe DIR. Copies /usr/bin/cat to DIR/deleted-cat and runs it in a child with
 * stdin on a pipe. Once the exec has happened (a close-on-exec pipe reads EOF), the parent
 * unlinks the file, then closes the pipe: cat reads EOF and exits 0. The order is fixed, no
 * sleeps. Prints: child_pid=N exe=DIR/deleted-cat. Exits 0 on success.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int copy_file(const char *from, const char *to) {
  int in = open(from, O_RDONLY | O_CLOEXEC);
  int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
  if (in < 0 || out < 0) return -1;
  char buf[65536];
  ssize_t n;
  while ((n = read(in, buf, sizeof buf)) > 0)
    if (write(out, buf, (size_t)n) != n) return -1;
  close(in);
  return close(out) == 0 && n == 0 ? 0 : -1; /* closed before exec: no ETXTBSY */
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: deleted_exe DIR\n");
    return 2;
  }
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/deleted-cat", argv[1]);
  if (copy_file("/usr/bin/cat", path) != 0) {
    perror("copy /usr/bin/cat");
    return 1;
  }
  int in_pipe[2], exec_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(exec_pipe, O_CLOEXEC) != 0) return 1;
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    int null = open("/dev/null", O_WRONLY);
    dup2(in_pipe[0], 0); /* dup2 clears close-on-exec on 0 and 1 */
    dup2(null, 1);
    char *args[] = {"deleted-cat", NULL};
    execv(path, args);
    int err = errno;
    (void)!write(exec_pipe[1], &err, sizeof err);
    _exit(127);
  }
  close(exec_pipe[1]);
  close(in_pipe[0]);
  int err = 0;
  if (child < 0 || read(exec_pipe[0], &err, sizeof err) != 0) {
    fprintf(stderr, "deleted_exe: exec failed: %s\n", strerror(err));
    return 1;
  }
  if (unlink(path) != 0) { /* cat runs now, blocked on its stdin */
    perror("unlink");
    return 1;
  }
  close(in_pipe[1]); /* cat reads EOF and exits */
  int status;
  if (waitpid(child, &status, 0) != child) return 1;
  printf("child_pid=%d exe=%s\n", (int)child, path);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
