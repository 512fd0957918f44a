/*
 * save --bypass-cache: the migration stream written past the page cache.
 * QEMU 7.2 has no direct-io migration (mapped-ram and direct-io came in
 * 9.0), so, as libvirt's iohelper does, a child process of the supervisor
 * sits between: QEMU writes the stream into a pipe, the child reads it
 * into an aligned buffer and writes whole aligned blocks to the file with
 * O_DIRECT, then the last partial block without it, then fdatasync.  The
 * child reports its end through a second pipe read by libevent, so the
 * supervisor's loop never waits on the disk.
 */
#ifndef LAUNCHER_DIRECTIO_H
#define LAUNCHER_DIRECTIO_H

#include <stddef.h>

#define DIRECTIO_ALIGN	4096	/* the file offset and every write */

struct event_base;
struct directio;

/* ok 1, or 0 with one line; the writer is freed after it returns */
typedef void (*directio_done_fn)(void *arg, int ok, const char *err);

/*
 * Copy what comes into *qemu_fd (the write end of a pipe: the caller's,
 * to hand to QEMU and close) into fd, from its current offset, which
 * must be a multiple of DIRECTIO_ALIGN, until the pipe's end of file.
 * fd's file system must take O_DIRECT: refused here with err when it
 * does not.  NULL with err when it could not start.
 */
struct directio	*directio_start(struct event_base *, int fd, int *qemu_fd,
		    directio_done_fn, void *arg, char *err, size_t errlen);
/* Stop it (the child is killed); no callback. */
void		 directio_abandon(struct directio *);

#endif
