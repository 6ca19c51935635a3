// proc_floor: the least work that lists every open descriptor from /proc, the
// floor bench/compare.py holds `SELECT ... FROM open_files` against.
//
//   proc_floor            for each /proc/<pid>: open fd/, readdir, readlinkat each
//                         entry; print "pid fd target" per descriptor
//   proc_floor --fdinfo   also open fdinfo/ once per process and, per descriptor,
//                         openat + read + close fdinfo/<fd> (one read: the file is
//                         well under a page); print "pid fd target pos flags"
//
// Output goes to stdout through one stdio buffer, so it is comparable to
// `procaudit --list` writing rows. No sorting, no parsing beyond what printing needs.
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int IsNumber(const char *s) {
  if (*s < '0' || *s > '9') return 0;
  for (; *s; ++s) {
    if (*s < '0' || *s > '9') return 0;
  }
  return 1;
}

// The value after "key:\t" in fdinfo text, up to the newline.
static const char *Field(const char *text, const char *key, int *len) {
  const char *p = strstr(text, key);
  if (p == NULL) {
    *len = 0;
    return "";
  }
  p += strlen(key);
  while (*p == ' ' || *p == '\t') ++p;
  const char *end = strchr(p, '\n');
  *len = end ? (int)(end - p) : (int)strlen(p);
  return p;
}

int main(int argc, char **argv) {
  int fdinfo = 0;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--fdinfo") == 0) {
      fdinfo = 1;
    } else {
      fprintf(stderr, "usage: proc_floor [--fdinfo]\n");
      return 2;
    }
  }
  static char outbuf[1 << 16];
  setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);

  DIR *proc = opendir("/proc");
  if (proc == NULL) {
    perror("proc_floor: /proc");
    return 1;
  }
  char path[300], target[4096], info[4096];
  const struct dirent *pe;
  while ((pe = readdir(proc)) != NULL) {
    if (!IsNumber(pe->d_name)) continue;
    snprintf(path, sizeof path, "/proc/%s/fd", pe->d_name);
    DIR *fds = opendir(path);
    if (fds == NULL) continue;  // exited, or a kernel thread we may not read
    const int fd_dir = dirfd(fds);
    int info_dir = -1;
    if (fdinfo) {
      snprintf(path, sizeof path, "/proc/%s/fdinfo", pe->d_name);
      info_dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
    const struct dirent *fe;
    while ((fe = readdir(fds)) != NULL) {
      if (fe->d_name[0] < '0' || fe->d_name[0] > '9') continue;
      const ssize_t n = readlinkat(fd_dir, fe->d_name, target, sizeof target - 1);
      if (n < 0) continue;  // closed since readdir
      target[n] = '\0';
      if (info_dir < 0) {
        printf("%s %s %s\n", pe->d_name, fe->d_name, target);
        continue;
      }
      const int f = openat(info_dir, fe->d_name, O_RDONLY | O_CLOEXEC);
      ssize_t m = f < 0 ? -1 : read(f, info, sizeof info - 1);
      if (f >= 0) close(f);
      info[m < 0 ? 0 : m] = '\0';
      int pos_len, flags_len;
      const char *pos = Field(info, "pos:", &pos_len);
      const char *flags = Field(info, "flags:", &flags_len);
      printf("%s %s %s %.*s %.*s\n", pe->d_name, fe->d_name, target, pos_len, pos, flags_len,
             flags);
    }
    if (info_dir >= 0) close(info_dir);
    closedir(fds);
  }
  closedir(proc);
  return fflush(stdout) == 0 ? 0 : 1;
}
