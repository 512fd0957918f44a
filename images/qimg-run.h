/*
 * Running qemu-img: argv only, standard input from /dev/null, standard
 * output captured (or streamed to a callback), the last line of the
 * standard error kept, within time limits.  The operations of qimg.c use
 * it; the tests drive it directly with short limits.
 */
#ifndef IMAGES_QIMG_RUN_H
#define IMAGES_QIMG_RUN_H

#include <stddef.h>

struct qimg_run {
	/* in */
	const char	*what;		/* "info": named in messages */
	int		 timeout_ms;	/* the whole run; 0: none */
	int		 idle_ms;	/* without output; 0: none */
	size_t		 max_out;	/* the most stdout kept; 0: QIMG_MAX_OUT */
	/* stdout as it comes, instead of keeping it */
	void		(*on_out)(void *, const char *, size_t);
	void		*arg;
	/* out */
	char		*out;		/* stdout, NUL-ended; free() it */
	size_t		 outlen;
	char		 lasterr[1024];	/* last non-empty stderr line */
	int		 status;	/* exit status */
};

/*
 * Run argv (argv[0] the binary) to its end.  The exit status (also in
 * r->status), or -1 with err when it could not run, was killed by a
 * signal, or was stopped: over its time, or more than max_out on stdout
 * ("qemu-img info: no answer in 60 s, stopped").
 */
int	 qimg_run(char *const argv[], struct qimg_run *r, char *err,
	    size_t errlen);
void	 qimg_run_free(struct qimg_run *);

/*
 * The message of a failed run: r->lasterr without "qemu-img: ", else
 * "qemu-img exited with status N"; control characters replaced.
 */
void	 qimg_run_message(const struct qimg_run *r, char *buf, size_t len);

#endif
