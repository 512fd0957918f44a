/*
 * Image work in a child process (imgwork.h).  The child runs blocking
 * qemu-img work and writes one line per report: "P 12.50" for progress,
 * "M text" for its caller, then "K" or "E message".  The parent reads
 * them as they come; end of file without a last line means the child
 * died.  A deadline the parent sets kills the child's process group
 * (qemu-img with it) when it passes.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "imgwork.h"
#include "qimg.h"
#include "util.h"
#include "xalloc.h"

struct imgwork {
	struct event		*ev;
	struct event		*timer;		/* the deadline, when set */
	int			 fd;
	pid_t			 pid;
	char			*dst;		/* removed on failure; or NULL */
	char			 line[1200];
	size_t			 len;
	int			 ended;		/* K or E seen */
	int			 ok;
	char			 err[1024];
	char			 what[1024];	/* of the deadline */
	int			 deadline_ms;
	imgwork_progress_fn	 progress;
	imgwork_line_fn		 said;
	imgwork_done_fn		 done;
	void			*arg;
};

/* ---- the child ---- */

static void
one_line(char *s)
{
	for (char *p = s; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

void
imgwork_say(int fd, const char *fmt, ...)
{
	char buf[1100];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	one_line(buf);
	dprintf(fd, "M %s\n", buf);
}

static void __attribute__((noreturn))
child(int fd, imgwork_child_fn fn, void *carg)
{
	char err[1024] = "";

	/* only the pipe: no control connection or QMP socket held open */
	if (fd != 3) {
		dup2(fd, 3);
		fd = 3;
	}
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	close_range(4, ~0U, 0);
	/* its own group, so that stopping it stops qemu-img as well */
	setpgid(0, 0);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if (fn(carg, fd, err, sizeof(err)) == -1) {
		one_line(err);
		dprintf(fd, "E %s\n", err);
		_exit(1);
	}
	dprintf(fd, "K\n");
	_exit(0);
}

/* ---- the parent ---- */

static void
free_work(struct imgwork *w)
{
	if (w->ev != NULL)
		event_free(w->ev);
	if (w->timer != NULL)
		event_free(w->timer);
	if (w->fd != -1)
		close(w->fd);
	free(w->dst);
	free(w);
}

static void
got_line(struct imgwork *w)
{
	w->line[w->len] = '\0';
	w->len = 0;
	if (w->line[0] == 'P' && w->progress != NULL)
		w->progress(w->arg, strtod(w->line + 1, NULL));
	else if (w->line[0] == 'M' && w->said != NULL)
		w->said(w->arg, w->line[1] == ' ' ? w->line + 2 : "");
	else if (w->line[0] == 'K') {
		w->ended = 1;
		w->ok = 1;
	} else if (w->line[0] == 'E') {
		w->ended = 1;
		strlcpy(w->err, w->line[1] == ' ' ? w->line + 2 : "", sizeof(w->err));
	}
}

static void
finish(struct imgwork *w)
{
	if (!w->ok && w->dst != NULL)
		unlink(w->dst);
	w->done(w->arg, w->ok, w->err);
	free_work(w);
}

static void
readable(evutil_socket_t fd, short what, void *arg)
{
	struct imgwork *w = arg;
	char buf[512];
	ssize_t n;

	(void)what;
	n = read(fd, buf, sizeof(buf));
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] == '\n')
			got_line(w);
		else if (w->len < sizeof(w->line) - 1)
			w->line[w->len++] = buf[i];
	}
	if (n > 0)
		return;
	/* the end: the child wrote its last line and exits */
	int st = 0;
	waitpid(w->pid, &st, 0);
	if (!w->ended)
		snprintf(w->err, sizeof(w->err), "%s%s stopped: %s",
		    w->dst != NULL ? "the copy to " : "the image work",
		    w->dst != NULL ? w->dst : "", WIFSIGNALED(st) ?
		    strsignal(WTERMSIG(st)) : "no result");
	finish(w);
}

static void
late(evutil_socket_t fd, short what, void *arg)
{
	struct imgwork *w = arg;

	(void)fd;
	(void)what;
	/* the child and qemu-img; the child is never stuck in the kernel */
	kill(-w->pid, SIGKILL);
	waitpid(w->pid, NULL, 0);
	w->ok = 0;
	snprintf(w->err, sizeof(w->err), "%s did not answer in %d s", w->what,
	    (w->deadline_ms + 999) / 1000);
	finish(w);
}

void
imgwork_deadline(struct imgwork *w, int ms, const char *what)
{
	if (w->timer != NULL) {
		event_free(w->timer);
		w->timer = NULL;
	}
	if (ms <= 0)
		return;
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	strlcpy(w->what, what, sizeof(w->what));
	w->deadline_ms = ms;
	w->timer = evtimer_new(event_get_base(w->ev), late, w);
	evtimer_add(w->timer, &tv);
}

struct imgwork *
imgwork_run(struct event_base *base, imgwork_child_fn fn, void *carg,
    imgwork_line_fn said, imgwork_done_fn done, void *arg, char *err,
    size_t errlen)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return NULL;
	}
	pid_t pid = fork();
	if (pid == -1) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return NULL;
	}
	if (pid == 0) {
		close(p[0]);
		child(p[1], fn, carg);
	}
	/* as the child does: its group exists before a kill names it */
	setpgid(pid, pid);
	close(p[1]);
	struct imgwork *w = xcalloc(1, sizeof(*w));
	w->fd = p[0];
	w->pid = pid;
	w->said = said;
	w->done = done;
	w->arg = arg;
	fcntl(w->fd, F_SETFL, O_NONBLOCK);
	w->ev = event_new(base, w->fd, EV_READ | EV_PERSIST, readable, w);
	event_add(w->ev, NULL);
	return w;
}

/* ---- copies ---- */

struct conv {
	const char	*src, *fmt, *dst;
	int		 flags;
};

static void
child_progress(void *arg, double pct)
{
	int fd = *(int *)arg;

	dprintf(fd, "P %.2f\n", pct);
}

static int
child_convert(void *carg, int fd, char *err, size_t errlen)
{
	struct conv *c = carg;

	return qimg_convert_flags(c->src, c->fmt, c->dst, c->fmt, c->flags,
	    child_progress, &fd, err, errlen);
}

struct imgwork *
imgwork_convert(struct event_base *base, const char *src, const char *fmt,
    const char *dst, int flags, imgwork_progress_fn progress,
    imgwork_done_fn done, void *arg, char *err, size_t errlen)
{
	/* the child has its own copy of this, made at the fork */
	struct conv c = { src, fmt, dst, flags };
	struct imgwork *w = imgwork_run(base, child_convert, &c, NULL, done,
	    arg, err, errlen);

	if (w != NULL) {
		w->dst = xstrdup(dst);
		w->progress = progress;
	}
	return w;
}

void
imgwork_abandon(struct imgwork *w)
{
	kill(-w->pid, SIGTERM);
	waitpid(w->pid, NULL, 0);
	if (w->dst != NULL)
		unlink(w->dst);
	free_work(w);
}
