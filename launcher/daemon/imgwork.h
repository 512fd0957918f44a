/*
 * Image work off the event loop: blocking qemu-img work (images/qimg.h)
 * runs in a child process of the supervisor, which reports as it goes
 * and at its end through a pipe read by libevent, so that a long copy, a
 * slow probe or a hung file system never stops the supervisor from
 * serving anything else.
 *
 * The child writes one line per report: "P 12.50" for progress, "M text"
 * for anything its caller wants to hear, then "K" or "E message".  End of
 * file without a last line means the child died.
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
/* An "M" line, without its "M " (the parent's side). */
typedef void (*imgwork_line_fn)(void *arg, const char *text);
/*
 * The child's side: its work, with fd the pipe to write reports to
 * (imgwork_say).  0, or -1 with one line in err.  It runs in the child
 * with a copy of the parent's memory; nothing it changes there is seen
 * by the parent.
 */
typedef int (*imgwork_child_fn)(void *carg, int fd, char *err,
	    size_t errlen);

/*
 * Copy src (format fmt) to dst, which must not exist, in the same format
 * (qimg_convert_flags with flags).  NULL with err when the child could
 * not be started; else done is called exactly once, later.  dst is
 * removed when the copy fails.
 */
struct imgwork	*imgwork_convert(struct event_base *, const char *src,
		    const char *fmt, const char *dst, int flags,
		    imgwork_progress_fn, imgwork_done_fn, void *arg,
		    char *err, size_t errlen);
/*
 * Run fn(carg) in a child; its "M" lines go to line (in order, before
 * done), then done is called exactly once.  NULL with err when the child
 * could not be started.
 */
struct imgwork	*imgwork_run(struct event_base *, imgwork_child_fn,
		    void *carg, imgwork_line_fn, imgwork_done_fn, void *arg,
		    char *err, size_t errlen);
/* The child's report "M text" (one line: newlines become spaces). */
void		 imgwork_say(int fd, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
/*
 * The parent's bound on what the child does now: if it has not ended in
 * ms, it is killed with what it started, and done gets "WHAT did not
 * answer in N s".  Each call replaces the previous bound; ms 0 removes it.
 */
void		 imgwork_deadline(struct imgwork *, int ms, const char *what);
/* Stop it (the child is killed, a copy's dst removed); no callback. */
void		 imgwork_abandon(struct imgwork *);

#endif
