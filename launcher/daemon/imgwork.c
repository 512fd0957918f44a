/*
 * Image copies in a child process (imgwork.h).  The child runs the
 * blocking qemu-img wrapper and writes one line per report: "P 12.50"
 * for progress, then "K" or "E message".  The parent reads them as they
 * come; end of file without a last line means the child died.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
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
	int			 fd;
	pid_t			 pid;
	char			*dst;
	char			 line[1200];
	size_t			 len;
	int			 ended;		/* K or E seen */
	int			 ok;
	char			 err[1024];
	imgwork_progress_fn	 progress;
	imgwork_done_fn		 done;
	void			*arg;
};

static void
child_progress(void *arg, double pct)
{
	int fd = *(int *)arg;

	dprintf(fd, "P %.2f\n", pct);
}

static void __attribute__((noreturn))
child(int fd, const char *src, const char *fmt, const char *dst, int flags)
{
	char err[1024];

	/* only the pipe: no control connection or QMP socket held open */
	if (fd != 3) {
		dup2(fd, 3);
		fd = 3;
	}
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	close_range(4, ~0U, 0);
	/* its own group, so that abandoning it stops qemu-img as well */
	setpgid(0, 0);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if (qimg_convert_flags(src, fmt, dst, fmt, flags, child_progress, &fd,
	    err, sizeof(err)) == -1) {
		for (char *p = err; *p != '\0'; p++)
			if (*p == '\n')
				*p = ' ';
		dprintf(fd, "E %s\n", err);
		_exit(1);
	}
	dprintf(fd, "K\n");
	_exit(0);
}

static void
free_work(struct imgwork *w)
{
	if (w->ev != NULL)
		event_free(w->ev);
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
	else if (w->line[0] == 'K') {
		w->ended = 1;
		w->ok = 1;
	} else if (w->line[0] == 'E') {
		w->ended = 1;
		strlcpy(w->err, w->line[1] == ' ' ? w->line + 2 : "", sizeof(w->err));
	}
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
		snprintf(w->err, sizeof(w->err), "the copy to %s stopped: %s",
		    w->dst, WIFSIGNALED(st) ? strsignal(WTERMSIG(st)) :
		    "no result");
	if (!w->ok)
		unlink(w->dst);
	w->done(w->arg, w->ok, w->err);
	free_work(w);
}

struct imgwork *
imgwork_convert(struct event_base *base, const char *src, const char *fmt,
    const char *dst, int flags, imgwork_progress_fn progress,
    imgwork_done_fn done, void *arg, char *err, size_t errlen)
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
		child(p[1], src, fmt, dst, flags);
	}
	close(p[1]);
	struct imgwork *w = xcalloc(1, sizeof(*w));
	w->fd = p[0];
	w->pid = pid;
	w->dst = xstrdup(dst);
	w->progress = progress;
	w->done = done;
	w->arg = arg;
	fcntl(w->fd, F_SETFL, O_NONBLOCK);
	w->ev = event_new(base, w->fd, EV_READ | EV_PERSIST, readable, w);
	event_add(w->ev, NULL);
	return w;
}

void
imgwork_abandon(struct imgwork *w)
{
	kill(-w->pid, SIGTERM);
	waitpid(w->pid, NULL, 0);
	unlink(w->dst);
	free_work(w);
}
