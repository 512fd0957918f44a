/* Small helpers shared by qlaunchd and qlaunch. */
#ifndef LAUNCHER_UTIL_H
#define LAUNCHER_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "xalloc.h"

#define NAME_MAX_LEN	64

/* Names: [A-Za-z0-9][A-Za-z0-9._-]{0,63} */
int	 valid_name(const char *);

/*
 * Sizes: "512" is MiB; a K, M, G or T suffix (optionally followed by B or
 * iB, any case) sets the unit.  Result in bytes.  Returns -1 with a reason
 * in err when the value is malformed or out of range.
 */
int	 parse_size(const char *, uint64_t *bytes, const char **err);
/* Unsigned integer in [min, max]; strtonum's contract. */
int	 parse_uint(const char *, long long min, long long max, long long *out,
	    const char **err);
int	 parse_bool(const char *, int *out);

/* Write a whole file atomically: temp file, fsync, rename, fsync dir. */
int	 write_file_atomic(const char *path, const char *data, size_t len,
	    mode_t mode);
/*
 * The same without the fsyncs, for runtime files that need not survive
 * a crash of the host (they are not worth a disk flush in the loop).
 */
int	 write_file_replace(const char *path, const char *data, size_t len,
	    mode_t mode);
/* Read a whole file; NUL-terminated; NULL with errno set on failure. */
char	*read_file(const char *path, size_t *lenp);
/*
 * The last max bytes of a file in a directory somebody else controls: no
 * symlink is followed, and anything but a regular file (a FIFO would
 * block) is refused with EINVAL.  *lenp is what was read.
 */
char	*read_tail_untrusted(const char *path, size_t max, size_t *lenp);
/* The pid at the other end of a UNIX socket, or -1. */
pid_t	 socket_peer_pid(int fd);
/* mkdir -p with mode for each created component. */
int	 mkdirs(const char *path, mode_t mode);
/*
 * Remove a directory and everything below it.  It walks by file
 * descriptor and never follows a symlink, so it is safe in a tree that
 * somebody else may be changing meanwhile.  0 also when path is absent.
 */
int	 rmtree(const char *path);
/* A path made absolute against the current directory; malloc'd. */
char	*absolute_path(const char *);

/*
 * A blocking connection to a UNIX stream socket; -1 with errno set
 * (ENAMETOOLONG when path does not fit in sun_path).
 */
int	 unix_connect(const char *path);
/* Write all of buf, across short writes and EINTR; -1 with errno. */
int	 write_all(int fd, const void *buf, size_t len);

/* A random RFC 4122 version 4 UUID, lower case. */
void	 uuid_generate_str(char out[37]);
int	 valid_uuid(const char *);

/* Monotonic and wall clock in milliseconds / seconds. */
int64_t	 mono_ms(void);



/*
 * The control socket a client uses when told nothing: $QLAUNCH_SOCKET,
 * else /run/qlaunch/qlaunchd.sock for root, $XDG_RUNTIME_DIR/qlaunch/
 * qlaunchd.sock (or /tmp/qlaunch-UID/qlaunchd.sock) for other users.
 * qlaunchd's own default is the same path without $QLAUNCH_SOCKET.
 */
int	 default_socket(char *buf, size_t len, int use_env);
/*
 * A directory we put our socket in must be ours (or root's) and not
 * writable by others, else another user could replace the socket.
 */
int	 check_private_dir(const char *path, char *err, size_t errlen);
/* Does path begin with the directory dir ("/a" is in "/a", not "/ab")? */
int	 path_within(const char *path, const char *dir);
#endif
