/* Files and directories: atomic writes, careful reads, mkdir -p, rmtree. */
#ifndef LAUNCHER_FSUTIL_H
#define LAUNCHER_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

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
 * A directory we put our socket in must be ours (or root's) and not
 * writable by others, else another user could replace the socket.
 */
int	 check_private_dir(const char *path, char *err, size_t errlen);
/* Does path begin with the directory dir ("/a" is in "/a", not "/ab")? */
int	 path_within(const char *path, const char *dir);

#endif
