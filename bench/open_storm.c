/* open_storm: open and close one file N times, once released.
 *
 *   open_storm [--count 200000] FILE
 *
 * It reads one byte from stdin first (a pipe held by bench/file_storm.py), so that the process
 * exists, and audit rules naming its pid can be loaded, before it makes any call they match.
 * Then --count rounds of open(FILE, O_RDONLY) (glibc: the openat syscall) and close, and exit.
 * End of input without a byte is not a release: it exits 3 without opening anything. At the end
 * it prints one line to stdout:
 *
 *   open_storm pid P count N ok K failed F
 *
 * (F: opens that failed; the first failure is described on stderr). Exit status 0 when F == 0.
 * No timing: the benchmark measures the capturing process, not this one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(void) {
  fprintf(stderr, "usage: open_storm [--count N] FILE\n");
  exit(2);
}

int main(int argc, char **argv) {
  long count = 200000;
  const char *file = NULL;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--count") == 0 && i + 1 < argc) {
      count = strtol(argv[++i], NULL, 10);
    } else if (argv[i][0] != '-' && file == NULL) {
      file = argv[i];
    } else {
      usage();
    }
  }
  if (count <= 0 || file == NULL) usage();

  char go;
  ssize_t n;
  while ((n = read(STDIN_FILENO, &go, 1)) < 0 && errno == EINTR) {
  }
  if (n != 1) {
    fprintf(stderr, "open_storm: not released (end of input)\n");
    return 3;
  }

  long ok = 0, failed = 0;
  for (long i = 0; i < count; ++i) {
    int fd = open(file, O_RDONLY);
    if (fd < 0) {
      if (failed++ == 0) fprintf(stderr, "open_storm: open %s: %s\n", file, strerror(errno));
      continue;
    }
    close(fd);
    ++ok;
  }
  printf("open_storm pid %ld count %ld ok %ld failed %ld\n", (long)getpid(), count, ok, failed);
  return failed == 0 ? 0 : 1;
}
