/* threads_exit: three threads end with the exit syscall, then the process with exit_group(7).
 *
 * Why: audit tracks processes, not threads. pthread_create is clone3 (glibc >= 2.34) with
 * CLONE_THREAD, and each thread's end is the `exit` syscall (60 on x86_64), whose SYSCALL record
 * carries the process's pid: none of them is the process ending. Only exit_group (231) is, and
 * its status is a0 (7 here).
 *
 * The threads exit (pthread_exit) one after the other, each joined before the next starts, so
 * the records come in a fixed order. Prints: thread_tids=T1,T2,T3. Exits 7 via _exit.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static void *thread_main(void *arg) {
  *(pid_t *)arg = gettid();
  pthread_exit(NULL);
}

int main(void) {
  pid_t tids[3] = {0, 0, 0};
  for (int i = 0; i < 3; i++) {
    pthread_t t;
    if (pthread_create(&t, NULL, thread_main, &tids[i]) != 0 || pthread_join(t, NULL) != 0) {
      fprintf(stderr, "threads_exit: pthread failed\n");
      return 1;
    }
  }
  printf("thread_tids=%d,%d,%d\n", (int)tids[0], (int)tids[1], (int)tids[2]);
  fflush(stdout);
  _exit(7); /* exit_group(7), no atexit handlers */
}
