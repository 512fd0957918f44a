/*
 * The O_DIRECT writer of save --bypass-cache (directio.h).  The child
 * writes "K" or "E message" on its report pipe before it exits; end of
 * file without it means it died.
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

#include "directio.h"
#include "util.h"
#include "xalloc.h"

#define BUF_SIZE	(1u << 20)	/* a multiple of DIRECTIO_ALIGN */

struct directio {
	struct event		*ev;
	int			 fd;		/* the report pipe */
	pid_t			 pid;
	char			 line[1100];
	size_t			 len;
	directio_done_fn	 done;
	void			*arg;
};

static int
fill(int in, char *buf, size_t want, size_t *got)
{
	*got = 0;
	while (*got < want) {
		ssize_t n = read(in, buf + *got, want - *got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			break;
		*got += (size_t)n;
	}
	return 0;
}

/* The copy: -1 with err. */
static int
copy(int in, int out, char *err, size_t errlen)
{
	char *buf;
	size_t got;
	int fl = fcntl(out, F_GETFL);

	if (posix_memalign((void **)&buf, DIRECTIO_ALIGN, BUF_SIZE) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (;;) {
		if (fill(in, buf, BUF_SIZE, &got) == -1) {
			snprintf(err, errlen, "reading QEMU's stream: %s",
			    strerror(errno));
			break;
		}
		size_t whole = got / DIRECTIO_ALIGN * DIRECTIO_ALIGN;
		if (whole > 0 && write_all(out, buf, whole) == -1) {
			snprintf(err, errlen, "%s", strerror(errno));
			break;
		}
		if (got == BUF_SIZE)
			continue;
		/* the end: the tail is not a whole block, O_DIRECT goes */
		if (got > whole && (fcntl(out, F_SETFL, fl & ~O_DIRECT) == -1 ||
		    write_all(out, buf + whole, got - whole) == -1)) {
			snprintf(err, errlen, "%s", strerror(errno));
			break;
		}
		if (fdatasync(out) == -1) {
			snprintf(err, errlen, "%s", strerror(errno));
			break;
		}
		free(buf);
		return 0;
	}
	free(buf);
	return -1;
}

static void __attribute__((noreturn))
child(int in, int out, int rep)
{
	char err[1024];
	int fds[3] = { in, out, rep };

	/* only its three descriptors, as 3, 4 and 5 */
	for (int i = 0; i < 3; i++) {
		int n = fcntl(fds[i], F_DUPFD_CLOEXEC, 10);
		fds[i] = n;
	}
	for (int i = 0; i < 3; i++)
		dup2(fds[i], 3 + i);
	close_range(6, ~0U, 0);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if (copy(3, 4, err, sizeof(err)) == -1) {
		dprintf(5, "E %s\n", err);
		_exit(1);
	}
	dprintf(5, "K\n");
	_exit(0);
}

static void
free_dio(struct directio *w)
{
	if (w->ev != NULL)
		event_free(w->ev);
	if (w->fd != -1)
		close(w->fd);
	free(w);
}

static void
readable(evutil_socket_t fd, short what, void *arg)
{
	struct directio *w = arg;
	char buf[256];
	ssize_t n;
	int st = 0;

	(void)what;
	n = read(fd, buf, sizeof(buf));
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	for (ssize_t i = 0; i < n && w->len < sizeof(w->line) - 1; i++)
		w->line[w->len++] = buf[i];
	if (n > 0)
		return;
	w->line[w->len] = '\0';
	w->line[strcspn(w->line, "\n")] = '\0';
	waitpid(w->pid, &st, 0);
	if (w->line[0] == 'K' && WIFEXITED(st) && WEXITSTATUS(st) == 0)
		w->done(w->arg, 1, NULL);
	else if (w->line[0] == 'E')
		w->done(w->arg, 0, w->line + 2);
	else
		w->done(w->arg, 0, WIFSIGNALED(st) ? strsignal(WTERMSIG(st)) :
		    "the writer stopped without a result");
	free_dio(w);
}

struct directio *
directio_start(struct event_base *base, int fd, int *qemu_fd,
    directio_done_fn done, void *arg, char *err, size_t errlen)
{
	int data[2], rep[2], fl = fcntl(fd, F_GETFL);
	off_t at = lseek(fd, 0, SEEK_CUR);

	if (at == -1 || at % DIRECTIO_ALIGN != 0) {
		snprintf(err, errlen, "the stream would start at offset %lld, "
		    "not a multiple of %d", (long long)at, DIRECTIO_ALIGN);
		return NULL;
	}
	/* the file system says now whether it takes O_DIRECT */
	if (fl == -1 || fcntl(fd, F_SETFL, fl | O_DIRECT) == -1) {
		snprintf(err, errlen, "its file system cannot write past the "
		    "page cache (O_DIRECT): %s", strerror(errno));
		return NULL;
	}
	if (pipe2(data, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return NULL;
	}
	if (pipe2(rep, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		close(data[0]);
		close(data[1]);
		return NULL;
	}
	pid_t pid = fork();
	if (pid == -1) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(data[0]);
		close(data[1]);
		close(rep[0]);
		close(rep[1]);
		return NULL;
	}
	if (pid == 0)
		child(data[0], fd, rep[1]);
	close(data[0]);
	close(rep[1]);
	struct directio *w = xcalloc(1, sizeof(*w));
	w->fd = rep[0];
	w->pid = pid;
	w->done = done;
	w->arg = arg;
	w->ev = event_new(base, w->fd, EV_READ | EV_PERSIST, readable, w);
	event_add(w->ev, NULL);
	*qemu_fd = data[1];
	return w;
}

void
directio_abandon(struct directio *w)
{
	kill(w->pid, SIGKILL);
	waitpid(w->pid, NULL, 0);
	free_dio(w);
}
