#define _GNU_SOURCE
#include "CSystemShims.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int cryptod_set_parent_death_signal(int signal) {
    return prctl(PR_SET_PDEATHSIG, (unsigned long)signal, 0UL, 0UL, 0UL);
}

int cryptod_set_cloexec(int fd, int on) {
    int flags = fcntl(fd, F_GETFD);
    if (flags < 0) return -1;
    flags = on ? (flags | FD_CLOEXEC) : (flags & ~FD_CLOEXEC);
    return fcntl(fd, F_SETFD, flags);
}

int cryptod_set_nonblocking(int fd, int on) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0) return -1;
    flags = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
    return fcntl(fd, F_SETFL, flags);
}

int cryptod_dup_at_least(int fd, int minimum) {
    return fcntl(fd, F_DUPFD_CLOEXEC, minimum);
}

int cryptod_decode_wait_status(int status, int *code) {
    if (WIFEXITED(status)) { *code = WEXITSTATUS(status); return 1; }
    if (WIFSIGNALED(status)) { *code = WTERMSIG(status); return 2; }
    return 0;
}

char *const *cryptod_environment(void) {
    return environ;
}

// The file actions run in order in the child, so `dup2(a, 0)` followed by `dup2(0, 3)` would copy the new
// fd 0, not the caller's. Copying every source that is one of 0-3 above 10 first (close-on-exec, so only
// the dup2 result survives) makes the four dup2s independent of each other.
static int relocate_low_source(int *fd, int *copy) {
    *copy = -1;
    if (*fd < 0 || *fd > 3) return 0;
    int moved = fcntl(*fd, F_DUPFD_CLOEXEC, 10);
    if (moved < 0) return errno;
    *copy = moved;
    *fd = moved;
    return 0;
}

int cryptod_spawn(pid_t *pid, const char *path, char *const argv[], char *const envp[],
                  int stdin_fd, int stdout_fd, int stderr_fd, int link_fd, int new_process_group) {
    int sources[4] = {stdin_fd, stdout_fd, stderr_fd, link_fd};
    int copies[4] = {-1, -1, -1, -1};
    int rc = 0;
    for (int i = 0; i < 4 && rc == 0; i++) rc = relocate_low_source(&sources[i], &copies[i]);

    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    int have_actions = 0, have_attr = 0;
    if (rc == 0) rc = posix_spawn_file_actions_init(&actions);
    if (rc == 0) have_actions = 1;
    if (rc == 0) rc = posix_spawnattr_init(&attr);
    if (rc == 0) have_attr = 1;

    // Sources are now all above 3, so each dup2 clears FD_CLOEXEC on a fresh target number.
    for (int target = 0; target < 4 && rc == 0; target++) {
        if (sources[target] >= 0) rc = posix_spawn_file_actions_adddup2(&actions, sources[target], target);
    }
    // Only 0-2 (and 3 when a link is passed) survive the exec.
    if (rc == 0) rc = posix_spawn_file_actions_addclosefrom_np(&actions, link_fd >= 0 ? 4 : 3);

    // Children start with default signal dispositions and an empty mask, whatever the supervisor blocked.
    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
    if (new_process_group) flags |= POSIX_SPAWN_SETPGROUP;
    if (rc == 0) rc = posix_spawnattr_setsigdefault(&attr, &all);
    if (rc == 0) rc = posix_spawnattr_setsigmask(&attr, &none);
    if (rc == 0 && new_process_group) rc = posix_spawnattr_setpgroup(&attr, 0);
    if (rc == 0) rc = posix_spawnattr_setflags(&attr, flags);
    if (rc == 0) rc = posix_spawn(pid, path, &actions, &attr, argv, envp);

    if (have_attr) posix_spawnattr_destroy(&attr);
    if (have_actions) posix_spawn_file_actions_destroy(&actions);
    for (int i = 0; i < 4; i++) {
        if (copies[i] >= 0) close(copies[i]);
    }
    return rc;
}
