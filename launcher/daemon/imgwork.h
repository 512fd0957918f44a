/*
 * Image copies off the event loop: qemu-img convert (images/qimg.h) runs
 * in a child process of the supervisor, which reports its progress and
 * its end through a pipe read by libevent, so that a long copy never
 * stops the supervisor from serving anything else.
 */
#ifndef LAUNCHER_IMGWORK_H
#define LAUNCHER_IMGWORK_H

#include <stddef.h>

struct event_base;
struct imgwork;

/* 0..100 as qemu-img reports it */
typedef void (*imgwork_progress_fn)(void *arg, double pct);
/* ok 1, or 0 with one line; the work is freed after it returns */
typedef void (*imgwork_done_fn)(void *arg, int ok, const char *err);

/*
 * Copy src (format fmt) to dst, which must not exist, in the same format
 * (qimg_convert_flags with flags).  NULL with err when the child could
 * not be started; else done is called exactly once, later.
 */
struct imgwork	*imgwork_convert(struct event_base *, const char *src,
		    const char *fmt, const char *dst, int flags,
		    imgwork_progress_fn, imgwork_done_fn, void *arg,
		    char *err, size_t errlen);
/* Stop it (the child is killed, dst removed); no callback. */
void		 imgwork_abandon(struct imgwork *);

#endif
