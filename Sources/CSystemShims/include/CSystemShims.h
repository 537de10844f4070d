// Thin C wrappers for POSIX and Linux calls that Swift cannot call directly (variadic prctl/fcntl/open),
// that glibc declares only under _GNU_SOURCE (posix_spawn_file_actions_addclosefrom_np), or that are
// macros (WIFEXITED and friends) or C globals Swift 6 refuses to read (environ).
#ifndef CRYPTOD_CSYSTEMSHIMS_H
#define CRYPTOD_CSYSTEMSHIMS_H
#include <sys/types.h>

/// Asks the kernel to send `signal` to this process when its parent exits (PR_SET_PDEATHSIG).
/// Returns 0 or -1 with errno set.
int cryptod_set_parent_death_signal(int signal);

/// Spawns `path` with `argv`/`envp` (NULL-terminated). The child gets `stdin`/`stdout`/`stderr` as fds 0-2
/// (pass -1 to inherit the caller's) and, when `link_fd >= 0`, that descriptor as fd 3. Every other
/// descriptor is closed in the child. Any source descriptor that is itself one of 0-3 is first copied above
/// 10 so that an earlier dup2 cannot overwrite it. The child starts with default signal dispositions, an
/// empty signal mask, and in its own process group when `new_process_group` is non-zero.
/// Returns 0 and stores the pid, or an errno value.
int cryptod_spawn(pid_t *pid, const char *path, char *const argv[], char *const envp[],
                  int stdin_fd, int stdout_fd, int stderr_fd, int link_fd, int new_process_group);

/// fcntl(fd, F_SETFD, FD_CLOEXEC) / clearing it; fcntl is variadic in C.
int cryptod_set_cloexec(int fd, int on);
/// fcntl(fd, F_SETFL, O_NONBLOCK).
int cryptod_set_nonblocking(int fd, int on);
/// fcntl(fd, F_DUPFD_CLOEXEC, minimum): a close-on-exec copy of `fd` numbered `minimum` or higher.
/// Returns the new descriptor or -1 with errno set.
int cryptod_dup_at_least(int fd, int minimum);

/// Decodes a waitpid status. Returns 1 and stores the exit status in `code` when the process exited,
/// 2 and stores the signal number when a signal killed it, 0 for anything else (stopped, continued).
int cryptod_decode_wait_status(int status, int *code);

/// The process environment (`environ`), NULL-terminated. Read it only while no thread calls setenv.
char *const *cryptod_environment(void);
#endif
