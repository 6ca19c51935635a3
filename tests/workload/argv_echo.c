/* argv_echo: the target of the argv torture case; it only reports what it received.
 *
 * Why: the EXECVE record must round-trip every argument exactly: spaces, quotes, newline, tab,
 * non-ASCII (hex-encoded in the record), an empty argument, and one longer than the kernel's
 * per-record limit, which the kernel splits into aN_len=... aN[0]=... aN[1]=... chunks (and the
 * event into several EXECVE records). run_workload.sh passes the arguments and a cwd with a
 * space and non-ASCII characters.
 *
 * Prints: argc=N arg_bytes=M (M = the sum of strlen(arg)+1, what the kernel copied).
 */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  size_t bytes = 0;
  for (int i = 0; i < argc; i++) bytes += strlen(argv[i]) + 1;
  printf("argc=%d arg_bytes=%zu\n", argc, bytes);
  return 0;
}
