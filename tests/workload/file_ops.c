/* file_ops: a fixed catalogue of file operations, and the file_events row each must give.
 *
 *   file_ops DIR      (as root; DIR absolute, existing, empty, searchable by uid 65534)
 *
 * Why: file_events turns the kernel's SYSCALL, CWD, PATH and OPENAT2 records into one row per
 * operation with an absolute path. The hard cases are in how the name was given: relative to
 * the CWD, absolute, relative to a directory descriptor this process opened earlier (the
 * kernel then logs the CWD as the parent's name, with the directory's own inode), with "./",
 * "//" and "..", with a space, a newline or a byte that is not UTF-8 (the kernel logs those in
 * hex); and in how it ended (ENOENT, EACCES, EEXIST, ENOTEMPTY).
 *
 * Every call is the raw system call (syscall(2)), so the syscall name does not depend on the
 * C library (glibc's open() is openat, its mknod() is mknodat). Calls this architecture does
 * not have (open, creat, rename, link, ... on arm64) are left out. Each result is checked:
 * an unexpected success or errno ends the run with status 1 and a message on stderr.
 *
 * Output, on stdout: a header line
 *   workload=file_ops version=1 pid=P dir=DIR exe=EXE
 * then one line per operation, in the order performed, with the file_events row expected for
 * it (see specs/file_events.toml):
 *   op=N pid=P syscall=S operation=O [path=ABS] [target=T] success=0|1 status=RET [error=E]
 *     [fd=FD] [flags=F] [mode=M] [new_uid=U] [new_gid=G] [name=NAME] uid=UID
 * Values are percent-encoded (every byte outside A-Z a-z 0-9 / . _ - as %XX), so they hold no
 * spaces; a key that is missing means the column is NULL, and the value * means the column is
 * not checked (where the spec leaves it open). pid is the caller: the parent, except for the
 * EACCES case, whose open runs in a forked child with uid and gid 65534. The dynamic loader's
 * opens (ld.so.cache, libc) come before the first operation and are not listed.
 *
 * Deterministic and quick: no sleeps, no threads; the child is waited for.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1
#endif

/* One expected row. Strings: NULL is a NULL column, "*" is not checked. */
struct expect {
  const char *syscall;
  const char *operation;
  const char *path;
  const char *target;
  const char *fd;
  const char *flags;
  const char *mode;
  const char *new_uid;
  const char *new_gid;
  const char *name;
  const char *uid; /* the caller's real uid; NULL: this process's */
  int error; /* the errno the call must fail with; 0: it must succeed */
};

static char dir[PATH_MAX];
static int op_count;

static _Noreturn void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("file_ops: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(1);
}

/* printf into a string that lives until exit (the program is short; nothing is freed). */
static const char *fmt(const char *format, ...) {
  va_list ap;
  char *out;
  va_start(ap, format);
  if (vasprintf(&out, format, ap) < 0) die("out of memory");
  va_end(ap);
  return out;
}

/* DIR/rel: the absolute path file_events must report for a name relative to DIR. */
static const char *in_dir(const char *rel) { return fmt("%s/%s", dir, rel); }

static const char *num(long n) { return fmt("%ld", n); }

static const char *error_name(int e) {
  switch (e) {
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case EEXIST: return "EEXIST";
    case ENOTEMPTY: return "ENOTEMPTY";
    default: return fmt("errno%d", e);
  }
}

static void put_value(const char *key, const char *value) {
  if (value == NULL) return;
  printf(" %s=", key);
  if (strcmp(value, "*") == 0) {
    fputs("*", stdout);
    return;
  }
  for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
    if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
        *p == '/' || *p == '.' || *p == '_' || *p == '-')
      putchar(*p);
    else
      printf("%%%02X", *p);
  }
}

/* Checks how the call ended against e, and prints e as the operation's line. ret and err are
 * what syscall(2) returned and errno; pid is the caller. Returns ret. */
static long report(pid_t pid, struct expect e, long ret, int err) {
  ++op_count;
  if (e.error == 0 && ret < 0)
    die("op %d (%s %s): failed with %s", op_count, e.syscall, e.name ? e.name : "", strerror(err));
  if (e.error != 0 && (ret != -1 || err != e.error))
    die("op %d (%s %s): returned %ld (%s), expected %s", op_count, e.syscall,
        e.name ? e.name : "", ret, ret < 0 ? strerror(err) : "success", error_name(e.error));
  printf("op=%d pid=%d", op_count, (int)pid);
  put_value("syscall", e.syscall);
  put_value("operation", e.operation);
  put_value("path", e.path);
  put_value("target", e.target);
  printf(" success=%d status=%ld", e.error == 0, e.error == 0 ? ret : -(long)e.error);
  if (e.error) put_value("error", error_name(e.error));
  put_value("fd", e.fd);
  put_value("flags", e.flags);
  put_value("mode", e.mode);
  put_value("new_uid", e.new_uid);
  put_value("new_gid", e.new_gid);
  put_value("name", e.name);
  put_value("uid", e.uid ? e.uid : num((long)getuid()));
  putchar('\n');
  return ret;
}

/* Runs a system call in this process and reports it: errno is read right after the call,
 * before e's strings are made. */
#define CALL(e, ...)                   \
  ({                                   \
    errno = 0;                         \
    long ret_ = syscall(__VA_ARGS__);  \
    int err_ = errno;                  \
    report(getpid(), (e), ret_, err_); \
  })

static void close_fd(long fd) {
  if (close((int)fd) != 0) die("close %ld: %s", fd, strerror(errno));
}

/* The EACCES case: a child with uid and gid 65534 (and no supplementary groups) opens a file
 * only root may read. The child exits with the errno it got (0: the open succeeded). */
static void open_as_nobody(const char *name) {
  fflush(stdout);
  pid_t child = fork();
  if (child < 0) die("fork: %s", strerror(errno));
  if (child == 0) {
    if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0) _exit(120);
    long fd = syscall(SYS_openat, AT_FDCWD, name, O_RDONLY);
    _exit(fd >= 0 ? 0 : errno);
  }
  int status;
  if (waitpid(child, &status, 0) != child || !WIFEXITED(status))
    die("the EACCES child did not exit normally");
  if (WEXITSTATUS(status) == 120) die("the EACCES child could not become uid 65534");
  int err = WEXITSTATUS(status);
  report(child,
         (struct expect){.syscall = "openat", .operation = "open_read", .path = in_dir(name),
                         .flags = "O_RDONLY", .name = name, .uid = "65534", .error = EACCES},
         err ? -1 : 3, err);
}

static void opens(long dfd) {
  long fd;
#ifdef SYS_open
  fd = CALL(((struct expect){.syscall = "open", .operation = "create", .path = in_dir("a.txt"),
                             .flags = "O_WRONLY|O_CREAT|O_EXCL", .mode = "0644", .name = "a.txt"}),
            SYS_open, "a.txt", O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (write((int)fd, "hello\n", 6) != 6) die("write: %s", strerror(errno));
  close_fd(fd);
  close_fd(CALL(((struct expect){.syscall = "open", .operation = "open_read",
                                 .path = in_dir("a.txt"), .flags = "O_RDONLY", .name = "a.txt"}),
                SYS_open, "a.txt", O_RDONLY));
  close_fd(CALL(((struct expect){.syscall = "open", .operation = "open_write",
                                 .path = in_dir("a.txt"), .flags = "O_WRONLY|O_APPEND",
                                 .name = in_dir("a.txt")}),
                SYS_open, in_dir("a.txt"), O_WRONLY | O_APPEND));
#else
  close_fd(CALL(((struct expect){.syscall = "openat", .operation = "create",
                                 .path = in_dir("a.txt"), .flags = "O_WRONLY|O_CREAT|O_EXCL",
                                 .mode = "0644", .name = "a.txt"}),
                SYS_openat, AT_FDCWD, "a.txt", O_WRONLY | O_CREAT | O_EXCL, 0644));
#endif
  close_fd(CALL(((struct expect){.syscall = "openat", .operation = "open_write",
                                 .path = in_dir("a.txt"), .flags = "O_RDWR", .name = "a.txt"}),
                SYS_openat, AT_FDCWD, "a.txt", O_RDWR));
  close_fd(CALL(((struct expect){.syscall = "openat", .operation = "create",
                                 .path = in_dir("b.txt"), .flags = "O_WRONLY|O_CREAT",
                                 .mode = "0600", .name = "b.txt"}),
                SYS_openat, AT_FDCWD, "b.txt", O_WRONLY | O_CREAT, 0600));
  /* O_CREAT on a file that exists: an open for writing, not a create. */
  close_fd(CALL(((struct expect){.syscall = "openat", .operation = "open_write",
                                 .path = in_dir("b.txt"), .flags = "O_WRONLY|O_CREAT|O_TRUNC",
                                 .mode = "0600", .name = "b.txt"}),
                SYS_openat, AT_FDCWD, "b.txt", O_WRONLY | O_CREAT | O_TRUNC, 0600));
  /* Relative to the directory descriptor of DIR/sub. */
  close_fd(CALL(((struct expect){.syscall = "openat", .operation = "create",
                                 .path = in_dir("sub/c.txt"), .fd = num(dfd),
                                 .flags = "O_WRONLY|O_CREAT|O_EXCL", .mode = "0640",
                                 .name = "c.txt"}),
                SYS_openat, dfd, "c.txt", O_WRONLY | O_CREAT | O_EXCL, 0640));
  close_fd(CALL(((struct expect){.syscall = "openat", .operation = "open_read",
                                 .path = in_dir("sub/c.txt"), .fd = num(dfd), .flags = "O_RDONLY",
                                 .name = "c.txt"}),
                SYS_openat, dfd, "c.txt", O_RDONLY));
  struct open_how beneath = {.flags = O_RDONLY, .resolve = RESOLVE_BENEATH};
  close_fd(CALL(((struct expect){.syscall = "openat2", .operation = "open_read",
                                 .path = in_dir("sub/c.txt"), .fd = num(dfd), .flags = "O_RDONLY",
                                 .name = "c.txt"}),
                SYS_openat2, dfd, "c.txt", &beneath, sizeof beneath));
  struct open_how create = {.flags = O_WRONLY | O_CREAT | O_EXCL, .mode = 0644};
  close_fd(CALL(((struct expect){.syscall = "openat2", .operation = "create",
                                 .path = in_dir("d.txt"), .flags = "O_WRONLY|O_CREAT|O_EXCL",
                                 .mode = "0644", .name = "d.txt"}),
                SYS_openat2, AT_FDCWD, "d.txt", &create, sizeof create));
  /* An absolute name: the directory descriptor does not count. */
  close_fd(CALL(((struct expect){.syscall = "openat", .operation = "open_read",
                                 .path = in_dir("b.txt"), .fd = num(dfd), .flags = "O_RDONLY",
                                 .name = in_dir("b.txt")}),
                SYS_openat, dfd, in_dir("b.txt"), O_RDONLY));
  /* "//" and "./" are collapsed; ".." stays. */
  close_fd(CALL(((struct expect){.syscall = "openat", .operation = "open_read",
                                 .path = in_dir("sub/c.txt"), .flags = "O_RDONLY",
                                 .name = in_dir("/sub/./c.txt")}),
                SYS_openat, AT_FDCWD, in_dir("/sub/./c.txt"), O_RDONLY));
  close_fd(CALL(((struct expect){.syscall = "openat", .operation = "open_read",
                                 .path = in_dir("sub/c.txt"), .flags = "O_RDONLY",
                                 .name = "./sub//c.txt"}),
                SYS_openat, AT_FDCWD, "./sub//c.txt", O_RDONLY));
  close_fd(CALL(((struct expect){.syscall = "openat", .operation = "open_read",
                                 .path = in_dir("sub/../a.txt"), .flags = "O_RDONLY",
                                 .name = "sub/../a.txt"}),
                SYS_openat, AT_FDCWD, "sub/../a.txt", O_RDONLY));
#ifdef SYS_creat
  /* creat has no flags argument: flags are not checked. */
  close_fd(CALL(((struct expect){.syscall = "creat", .operation = "create",
                                 .path = in_dir("e.txt"), .flags = "*", .mode = "0644",
                                 .name = "e.txt"}),
                SYS_creat, "e.txt", 0644));
#else
  close_fd(CALL(((struct expect){.syscall = "openat", .operation = "create",
                                 .path = in_dir("e.txt"), .flags = "O_WRONLY|O_CREAT|O_TRUNC",
                                 .mode = "0644", .name = "e.txt"}),
                SYS_openat, AT_FDCWD, "e.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644));
#endif
}

static void failed_opens(long dfd) {
  CALL(((struct expect){.syscall = "openat", .operation = "open_read",
                        .path = in_dir("missing.txt"), .flags = "O_RDONLY",
                        .name = "missing.txt", .error = ENOENT}),
       SYS_openat, AT_FDCWD, "missing.txt", O_RDONLY);
  CALL(((struct expect){.syscall = "openat", .operation = "open_read",
                        .path = in_dir("sub/missing.txt"), .fd = num(dfd), .flags = "O_RDONLY",
                        .name = "missing.txt", .error = ENOENT}),
       SYS_openat, dfd, "missing.txt", O_RDONLY);
  close_fd(CALL(((struct expect){.syscall = "openat", .operation = "create",
                                 .path = in_dir("secret.txt"), .flags = "O_WRONLY|O_CREAT|O_EXCL",
                                 .mode = "0600", .name = "secret.txt"}),
                SYS_openat, AT_FDCWD, "secret.txt", O_WRONLY | O_CREAT | O_EXCL, 0600));
  open_as_nobody("secret.txt");
}

/* Names the kernel logs in hex: a space, a newline, a byte that is not UTF-8. */
static void odd_names(void) {
  static const char *const names[] = {"sp ace.txt", "new\nline.txt", "bad\xff.txt"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    close_fd(CALL(((struct expect){.syscall = "openat", .operation = "create",
                                   .path = in_dir(names[i]), .flags = "O_WRONLY|O_CREAT|O_EXCL",
                                   .mode = "0644", .name = names[i]}),
                  SYS_openat, AT_FDCWD, names[i], O_WRONLY | O_CREAT | O_EXCL, 0644));
  CALL(((struct expect){.syscall = "renameat", .operation = "rename",
                        .path = in_dir("sp ace.txt"), .target = in_dir("sp ace\xe9.txt"),
                        .name = "sp ace.txt"}),
       SYS_renameat, AT_FDCWD, "sp ace.txt", AT_FDCWD, "sp ace\xe9.txt");
  CALL(((struct expect){.syscall = "mkdirat", .operation = "mkdir",
                        .path = in_dir("dir with space"), .mode = "0755",
                        .name = "dir with space"}),
       SYS_mkdirat, AT_FDCWD, "dir with space", 0755);
  long dfd = CALL(((struct expect){.syscall = "openat", .operation = "open_read",
                                   .path = in_dir("dir with space"),
                                   .flags = "O_RDONLY|O_DIRECTORY", .name = "dir with space"}),
                  SYS_openat, AT_FDCWD, "dir with space", O_RDONLY | O_DIRECTORY);
  close_fd(CALL(((struct expect){.syscall = "openat", .operation = "create",
                                 .path = in_dir("dir with space/in\xffside"), .fd = num(dfd),
                                 .flags = "O_WRONLY|O_CREAT|O_EXCL", .mode = "0644",
                                 .name = "in\xffside"}),
                SYS_openat, dfd, "in\xffside", O_WRONLY | O_CREAT | O_EXCL, 0644));
  close_fd(dfd);
}

static void truncates(long afd) {
  CALL(((struct expect){.syscall = "truncate", .operation = "truncate", .path = in_dir("a.txt"),
                        .name = "a.txt"}),
       SYS_truncate, "a.txt", 3);
  /* On a descriptor: no name in the records; the path is the one of this process's open that
   * returned the descriptor (a.txt keeps its name to the end, so that path is still true). */
  CALL(((struct expect){.syscall = "ftruncate", .operation = "truncate", .path = in_dir("a.txt"),
                        .fd = num(afd)}),
       SYS_ftruncate, afd, 1);
}

static void renames(long dfd) {
#ifdef SYS_rename
  CALL(((struct expect){.syscall = "rename", .operation = "rename", .path = in_dir("d.txt"),
                        .target = in_dir("d2.txt"), .name = "d.txt"}),
       SYS_rename, "d.txt", "d2.txt");
#else
  CALL(((struct expect){.syscall = "renameat", .operation = "rename", .path = in_dir("d.txt"),
                        .target = in_dir("d2.txt"), .name = "d.txt"}),
       SYS_renameat, AT_FDCWD, "d.txt", AT_FDCWD, "d2.txt");
#endif
  CALL(((struct expect){.syscall = "renameat", .operation = "rename",
                        .path = in_dir("sub/c.txt"), .target = in_dir("c2.txt"), .fd = num(dfd),
                        .name = "c.txt"}),
       SYS_renameat, dfd, "c.txt", AT_FDCWD, "c2.txt");
  /* Only the new name is relative to a descriptor: fd is that one (path's is AT_FDCWD). */
  CALL(((struct expect){.syscall = "renameat2", .operation = "rename", .path = in_dir("c2.txt"),
                        .target = in_dir("sub/c3.txt"), .fd = num(dfd), .name = "c2.txt"}),
       SYS_renameat2, AT_FDCWD, "c2.txt", dfd, "c3.txt", RENAME_NOREPLACE);
  CALL(((struct expect){.syscall = "renameat2", .operation = "rename",
                        .path = in_dir("sub/c3.txt"), .target = in_dir("sub/../c4.txt"),
                        .fd = num(dfd), .name = "c3.txt"}),
       SYS_renameat2, dfd, "c3.txt", dfd, "../c4.txt", 0);
  /* Refused before either name is looked up as a child: the kernel logs only the two parents
   * (each named as the CWD), so the records do not tell path, target or name. */
  CALL(((struct expect){.syscall = "renameat2", .operation = "rename", .error = EEXIST}),
       SYS_renameat2, AT_FDCWD, "b.txt", AT_FDCWD, "e.txt", RENAME_NOREPLACE);
}

static void links(long dfd) {
#ifdef SYS_link
  CALL(((struct expect){.syscall = "link", .operation = "link", .path = in_dir("b-hard.txt"),
                        .target = in_dir("b.txt"), .name = "b-hard.txt"}),
       SYS_link, "b.txt", "b-hard.txt");
#else
  CALL(((struct expect){.syscall = "linkat", .operation = "link", .path = in_dir("b-hard.txt"),
                        .target = in_dir("b.txt"), .name = "b-hard.txt"}),
       SYS_linkat, AT_FDCWD, "b.txt", AT_FDCWD, "b-hard.txt", 0);
#endif
  CALL(((struct expect){.syscall = "linkat", .operation = "link",
                        .path = in_dir("sub/b-hard2.txt"), .target = in_dir("b.txt"),
                        .fd = num(dfd), .name = "b-hard2.txt"}),
       SYS_linkat, AT_FDCWD, "b.txt", dfd, "b-hard2.txt", 0);
  CALL(((struct expect){.syscall = "linkat", .operation = "link",
                        .path = in_dir("sub/b-hard3.txt"), .target = in_dir("sub/../b.txt"),
                        .fd = num(dfd), .name = "b-hard3.txt"}),
       SYS_linkat, dfd, "../b.txt", dfd, "b-hard3.txt", 0);
  /* The target of a symbolic link is its text, as given. */
#ifdef SYS_symlink
  CALL(((struct expect){.syscall = "symlink", .operation = "symlink", .path = in_dir("b-sym"),
                        .target = "b.txt", .name = "b-sym"}),
       SYS_symlink, "b.txt", "b-sym");
#else
  CALL(((struct expect){.syscall = "symlinkat", .operation = "symlink", .path = in_dir("b-sym"),
                        .target = "b.txt", .name = "b-sym"}),
       SYS_symlinkat, "b.txt", AT_FDCWD, "b-sym");
#endif
  CALL(((struct expect){.syscall = "symlinkat", .operation = "symlink", .path = in_dir("sub/s2"),
                        .target = "/nonexistent/x y", .fd = num(dfd), .name = "s2"}),
       SYS_symlinkat, "/nonexistent/x y", dfd, "s2");
}

static void unlinks(long dfd) {
#ifdef SYS_unlink
  CALL(((struct expect){.syscall = "unlink", .operation = "unlink", .path = in_dir("b-hard.txt"),
                        .name = "b-hard.txt"}),
       SYS_unlink, "b-hard.txt");
#else
  CALL(((struct expect){.syscall = "unlinkat", .operation = "unlink",
                        .path = in_dir("b-hard.txt"), .name = "b-hard.txt"}),
       SYS_unlinkat, AT_FDCWD, "b-hard.txt", 0);
#endif
  CALL(((struct expect){.syscall = "unlinkat", .operation = "unlink", .path = in_dir("sub/s2"),
                        .fd = num(dfd), .name = "s2"}),
       SYS_unlinkat, dfd, "s2", 0);
  CALL(((struct expect){.syscall = "unlinkat", .operation = "unlink",
                        .path = in_dir("sub/b-hard2.txt"), .name = "sub/b-hard2.txt"}),
       SYS_unlinkat, AT_FDCWD, "sub/b-hard2.txt", 0);
  CALL(((struct expect){.syscall = "unlinkat", .operation = "unlink",
                        .path = in_dir("sub/../c4.txt"), .fd = num(dfd), .name = "../c4.txt"}),
       SYS_unlinkat, dfd, "../c4.txt", 0);
}

static void directories(long dfd) {
#ifdef SYS_mkdir
  CALL(((struct expect){.syscall = "mkdir", .operation = "mkdir", .path = in_dir("m1"),
                        .mode = "0700", .name = "m1"}),
       SYS_mkdir, "m1", 0700);
#else
  CALL(((struct expect){.syscall = "mkdirat", .operation = "mkdir", .path = in_dir("m1"),
                        .mode = "0700", .name = "m1"}),
       SYS_mkdirat, AT_FDCWD, "m1", 0700);
#endif
  CALL(((struct expect){.syscall = "mkdirat", .operation = "mkdir", .path = in_dir("sub/m2"),
                        .fd = num(dfd), .mode = "0750", .name = "m2"}),
       SYS_mkdirat, dfd, "m2", 0750);
  CALL(((struct expect){.syscall = "mkdirat", .operation = "mkdir", .path = in_dir("m3"),
                        .mode = "0755", .name = in_dir("m3")}),
       SYS_mkdirat, AT_FDCWD, in_dir("m3"), 0755);
#ifdef SYS_rmdir
  CALL(((struct expect){.syscall = "rmdir", .operation = "rmdir", .path = in_dir("m1"),
                        .name = "m1"}),
       SYS_rmdir, "m1");
#else
  CALL(((struct expect){.syscall = "unlinkat", .operation = "rmdir", .path = in_dir("m1"),
                        .name = "m1"}),
       SYS_unlinkat, AT_FDCWD, "m1", AT_REMOVEDIR);
#endif
  CALL(((struct expect){.syscall = "unlinkat", .operation = "rmdir", .path = in_dir("sub/m2"),
                        .fd = num(dfd), .name = "m2"}),
       SYS_unlinkat, dfd, "m2", AT_REMOVEDIR);
  CALL(((struct expect){.syscall = "unlinkat", .operation = "rmdir", .path = in_dir("m3"),
                        .name = "m3"}),
       SYS_unlinkat, AT_FDCWD, "m3", AT_REMOVEDIR);
  /* sub still holds b-hard3.txt. */
  CALL(((struct expect){.syscall = "unlinkat", .operation = "rmdir", .path = in_dir("sub"),
                        .name = "sub", .error = ENOTEMPTY}),
       SYS_unlinkat, AT_FDCWD, "sub", AT_REMOVEDIR);
  /* mknod makes a file: a create; its mode argument carries the file type. */
#ifdef SYS_mknod
  CALL(((struct expect){.syscall = "mknod", .operation = "create", .path = in_dir("fifo"),
                        .mode = "010644", .name = "fifo"}),
       SYS_mknod, "fifo", S_IFIFO | 0644, 0);
#endif
  CALL(((struct expect){.syscall = "mknodat", .operation = "create", .path = in_dir("sub/fifo2"),
                        .fd = num(dfd), .mode = "010600", .name = "fifo2"}),
       SYS_mknodat, dfd, "fifo2", S_IFIFO | 0600, 0);
}

static void modes_and_owners(long dfd, long afd) {
#ifdef SYS_chmod
  CALL(((struct expect){.syscall = "chmod", .operation = "chmod", .path = in_dir("e.txt"),
                        .mode = "0640", .name = "e.txt"}),
       SYS_chmod, "e.txt", 0640);
#endif
  CALL(((struct expect){.syscall = "fchmod", .operation = "chmod", .path = in_dir("a.txt"),
                        .fd = num(afd), .mode = "0600"}),
       SYS_fchmod, afd, 0600);
  CALL(((struct expect){.syscall = "fchmodat", .operation = "chmod", .path = in_dir("sub/fifo2"),
                        .fd = num(dfd), .mode = "0640", .name = "fifo2"}),
       SYS_fchmodat, dfd, "fifo2", 0640);
  CALL(((struct expect){.syscall = "fchmodat", .operation = "chmod", .path = in_dir("e.txt"),
                        .mode = "0644", .name = in_dir("e.txt")}),
       SYS_fchmodat, AT_FDCWD, in_dir("e.txt"), 0644);
#ifdef SYS_chown
  CALL(((struct expect){.syscall = "chown", .operation = "chown", .path = in_dir("e.txt"),
                        .new_uid = "65534", .name = "e.txt"}),
       SYS_chown, "e.txt", 65534, -1);
#endif
  CALL(((struct expect){.syscall = "fchown", .operation = "chown", .path = in_dir("a.txt"),
                        .fd = num(afd), .new_gid = "65534"}),
       SYS_fchown, afd, -1, 65534);
#ifdef SYS_lchown
  CALL(((struct expect){.syscall = "lchown", .operation = "chown", .path = in_dir("b-sym"),
                        .new_uid = "1", .new_gid = "1", .name = "b-sym"}),
       SYS_lchown, "b-sym", 1, 1);
#endif
  CALL(((struct expect){.syscall = "fchownat", .operation = "chown", .path = in_dir("sub/fifo2"),
                        .fd = num(dfd), .new_uid = "2", .new_gid = "3", .name = "fifo2"}),
       SYS_fchownat, dfd, "fifo2", 2, 3, 0);
  CALL(((struct expect){.syscall = "fchownat", .operation = "chown", .path = in_dir("b-sym"),
                        .new_uid = "0", .new_gid = "0", .name = "b-sym"}),
       SYS_fchownat, AT_FDCWD, "b-sym", 0, 0, AT_SYMLINK_NOFOLLOW);
  CALL(((struct expect){.syscall = "fchownat", .operation = "chown",
                        .path = in_dir("missing.txt"), .new_uid = "0", .new_gid = "0",
                        .name = "missing.txt", .error = ENOENT}),
       SYS_fchownat, AT_FDCWD, "missing.txt", 0, 0, 0);
}

/* A descriptor number used again: after close(dfd), the next directory opened gets the same
 * number, and names relative to it are in the new directory. Then a relative name after a
 * chdir: the CWD record changes. */
static void reuse_and_chdir(long dfd) {
  CALL(((struct expect){.syscall = "mkdirat", .operation = "mkdir", .path = in_dir("reuse"),
                        .mode = "0755", .name = "reuse"}),
       SYS_mkdirat, AT_FDCWD, "reuse", 0755);
  close_fd(dfd);
  long again = CALL(((struct expect){.syscall = "openat", .operation = "open_read",
                                     .path = in_dir("reuse"), .flags = "O_RDONLY|O_DIRECTORY",
                                     .name = "reuse"}),
                    SYS_openat, AT_FDCWD, "reuse", O_RDONLY | O_DIRECTORY);
  if (again != dfd) die("the reopened directory got descriptor %ld, not %ld", again, dfd);
  close_fd(CALL(((struct expect){.syscall = "openat", .operation = "create",
                                 .path = in_dir("reuse/r.txt"), .fd = num(again),
                                 .flags = "O_WRONLY|O_CREAT|O_EXCL", .mode = "0644",
                                 .name = "r.txt"}),
                SYS_openat, again, "r.txt", O_WRONLY | O_CREAT | O_EXCL, 0644));
  close_fd(again);
  if (chdir("reuse") != 0) die("chdir reuse: %s", strerror(errno));
  close_fd(CALL(((struct expect){.syscall = "openat", .operation = "open_read",
                                 .path = in_dir("reuse/../d2.txt"), .flags = "O_RDONLY",
                                 .name = "../d2.txt"}),
                SYS_openat, AT_FDCWD, "../d2.txt", O_RDONLY));
  if (chdir(dir) != 0) die("chdir %s: %s", dir, strerror(errno));
}

int main(int argc, char **argv) {
  if (argc != 2 || argv[1][0] != '/') {
    fprintf(stderr, "usage: file_ops DIR (absolute, existing, empty)\n");
    return 2;
  }
  if (geteuid() != 0) {
    fprintf(stderr, "file_ops: needs root (chown, and a child that becomes uid 65534)\n");
    return 2;
  }
  struct stat st;
  if (stat(argv[1], &st) != 0 || !S_ISDIR(st.st_mode) || (st.st_mode & S_IXOTH) == 0) {
    fprintf(stderr, "file_ops: %s is not a directory others may search (mode o+x)\n",
            argv[1]);
    return 2;
  }
  /* The kernel's CWD record is the real path: expect that, whatever argv[1] looked like. */
  if (chdir(argv[1]) != 0 || getcwd(dir, sizeof dir) == NULL) die("chdir %s failed", argv[1]);
  /* Not checked for emptiness (that would be an open of its own): every create is O_EXCL or
   * a mkdir, which fail on a leftover. */
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n < 0) die("readlink /proc/self/exe: %s", strerror(errno));
  exe[n] = '\0';
  printf("workload=file_ops version=1 pid=%d", (int)getpid());
  put_value("dir", dir);
  put_value("exe", exe);
  putchar('\n');

  CALL(((struct expect){.syscall = "mkdirat", .operation = "mkdir", .path = in_dir("sub"),
                        .mode = "0755", .name = "sub"}),
       SYS_mkdirat, AT_FDCWD, "sub", 0755);
  long dfd = CALL(((struct expect){.syscall = "openat", .operation = "open_read",
                                   .path = in_dir("sub"),
                                   .flags = "O_RDONLY|O_DIRECTORY|O_CLOEXEC", .name = "sub"}),
                  SYS_openat, AT_FDCWD, "sub", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  opens(dfd);
  failed_opens(dfd);
  long afd = CALL(((struct expect){.syscall = "openat", .operation = "open_write",
                                   .path = in_dir("a.txt"), .flags = "O_RDWR", .name = "a.txt"}),
                  SYS_openat, AT_FDCWD, "a.txt", O_RDWR);
  truncates(afd);
  renames(dfd);
  links(dfd);
  unlinks(dfd);
  directories(dfd);
  modes_and_owners(dfd, afd);
  odd_names();
  close_fd(afd);
  reuse_and_chdir(dfd);
  return fflush(stdout) == 0 ? 0 : 1;
}
