/*
 * pause: the process of a pod's sandbox ("infra") container, as Kubernetes' pause.c.
 *
 * It holds the pod's network and IPC namespaces open while the pod's containers come
 * and go. It sleeps in pause(); as PID 1 of a shared PID namespace it reaps the zombies
 * that orphaned processes leave (SIGCHLD); SIGINT and SIGTERM end it with status 0.
 *
 * Built static (gcc -static -Os) so that the image is FROM scratch with this file alone.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef VERSION
#define VERSION "3.10"
#endif

static void write_stderr(const char *s) {
  /* write(2) only: stdio is not async-signal-safe. */
  ssize_t ignored = write(STDERR_FILENO, s, strlen(s));
  (void)ignored;
}

static void sigdown(int signo) {
  write_stderr(signo == SIGTERM ? "Shutting down, got signal: Terminated\n"
                                : "Shutting down, got signal: Interrupt\n");
  _exit(0);
}

static void sigreap(int signo) {
  (void)signo;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "-V") == 0) {
      printf("pause.c %s (skiff)\n", VERSION);
      return 0;
    }
  }

  if (getpid() != 1) {
    /* Not an error: pause is also used outside of sandbox containers. */
    write_stderr("Warning: pause should be the first process\n");
  }

  struct sigaction down = {.sa_handler = sigdown};
  struct sigaction reap = {.sa_handler = sigreap, .sa_flags = SA_NOCLDSTOP | SA_RESTART};
  sigemptyset(&down.sa_mask);
  sigemptyset(&reap.sa_mask);
  if (sigaction(SIGINT, &down, NULL) < 0) return 1;
  if (sigaction(SIGTERM, &down, NULL) < 0) return 2;
  if (sigaction(SIGCHLD, &reap, NULL) < 0) return 3;

  for (;;) pause();
  write_stderr("Error: infinite loop terminated\n");
  return 42;
}
