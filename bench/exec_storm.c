/* exec_storm: fork + exec a program N times, one at a time, waiting for each.
 *
 *   exec_storm [--count 20000] [--pause-us 0] [--exe /bin/true]
 *
 * Each round is one fork (glibc: the clone syscall), one execve of --exe in the child with
 * argv {basename, NULL}, the child's exit_group and the parent's wait4. --pause-us sleeps
 * between rounds, to slow the storm when the kernel audit backlog overflows. At the end it
 * prints one line to stdout:
 *
 *   storm pid P count N ok K failed F seconds S
 *
 * (F: children that did not exit 0, e.g. the exec failed). Exit status 0 when F == 0.
 * bench/record_storm.py runs it under a private auditd to record a large real audit log.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void usage(void) {
  fprintf(stderr, "usage: exec_storm [--count N] [--pause-us US] [--exe PATH]\n");
  exit(2);
}

int main(int argc, char **argv) {
  long count = 20000, pause_us = 0;
  const char *exe = "/bin/true";
  for (int i = 1; i < argc; ++i) {
    if (i + 1 >= argc) usage();
    if (strcmp(argv[i], "--count") == 0) {
      count = strtol(argv[++i], NULL, 10);
    } else if (strcmp(argv[i], "--pause-us") == 0) {
      pause_us = strtol(argv[++i], NULL, 10);
    } else if (strcmp(argv[i], "--exe") == 0) {
      exe = argv[++i];
    } else {
      usage();
    }
  }
  if (count <= 0 || pause_us < 0) usage();
  const char *base = strrchr(exe, '/');
  base = base ? base + 1 : exe;
  char *child_argv[] = {(char *)base, NULL};

  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  long ok = 0, failed = 0;
  for (long n = 0; n < count; ++n) {
    pid_t pid = fork();
    if (pid < 0) {
      perror("exec_storm: fork");
      return 1;
    }
    if (pid == 0) {
      execv(exe, child_argv);
      _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
      if (errno != EINTR) {
        perror("exec_storm: waitpid");
        return 1;
      }
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) ++ok;
    else ++failed;
    if (pause_us > 0) usleep((useconds_t)pause_us);
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  printf("storm pid %ld count %ld ok %ld failed %ld seconds %.3f\n", (long)getpid(), count, ok,
         failed, secs);
  return failed == 0 ? 0 : 1;
}
