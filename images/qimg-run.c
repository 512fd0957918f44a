/*
 * Running qemu-img (see qimg-run.h): posix_spawn with its descriptors set
 * up by file actions, a pidfd to learn that it ended even when something
 * it started still holds its pipes, and one poll loop with the limits.
 */
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qimg-run.h"
#include "qimg.h"
#include "util.h"

extern char **environ;

struct run_state {
	struct qimg_run	*r;
	size_t		 max_out;
	size_t		 cap;
	char		 eline[1024];	/* the stderr line being read */
	size_t		 elen;
	int		 overflow;
};

static int
pidfd_open_(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}

/* The line ends: keep it as the last line unless it is blank. */
static void
err_line_end(struct run_state *s)
{
	size_t n = s->elen;

	while (n > 0 && (s->eline[n - 1] == ' ' || s->eline[n - 1] == '\t'))
		n--;
	if (n > 0) {
		memcpy(s->r->lasterr, s->eline, n);
		s->r->lasterr[n] = '\0';
	}
	s->elen = 0;
}

static void
got_err(struct run_state *s, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n' || buf[i] == '\r')
			err_line_end(s);
		else if (s->elen < sizeof(s->eline) - 1 &&
		    s->elen < sizeof(s->r->lasterr) - 1)
			s->eline[s->elen++] = buf[i];
	}
}

static void
got_out(struct run_state *s, const char *buf, size_t n)
{
	struct qimg_run *r = s->r;

	if (r->on_out != NULL) {
		r->on_out(r->arg, buf, n);
		return;
	}
	if (r->outlen + n > s->max_out) {
		s->overflow = 1;
		return;
	}
	if (r->outlen + n + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		while (cap < r->outlen + n + 1)
			cap *= 2;
		r->out = xreallocarray(r->out, cap, 1);
		s->cap = cap;
	}
	memcpy(r->out + r->outlen, buf, n);
	r->outlen += n;
	r->out[r->outlen] = '\0';
}

/*
 * Read what is there: 1 when something came, 0 when nothing (EAGAIN),
 * -1 at the end of the stream.
 */
static int
drain(struct run_state *s, int fd, int isout)
{
	char buf[65536];
	int got = 0;

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return got;	/* EAGAIN, or an error: no more now */
		if (n == 0)
			return -1;
		got = 1;
		if (isout)
			got_out(s, buf, (size_t)n);
		else
			got_err(s, buf, (size_t)n);
		if (s->overflow)
			return got;
	}
}

static void
reap(pid_t pid, int *st)
{
	while (waitpid(pid, st, 0) == -1 && errno == EINTR)
		;
}

static int
spawn(char *const argv[], int outw, int errw, pid_t *pid, char *err,
    size_t errlen)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, def;
	int e;

	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, outw, 1);
	posix_spawn_file_actions_adddup2(&fa, errw, 2);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	/* the client ignores SIGPIPE; qemu-img gets the defaults */
	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGINT);
	sigaddset(&def, SIGTERM);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &def);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF);
	e = posix_spawn(pid, argv[0], &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (e != 0) {
		snprintf(err, errlen, "cannot execute %s: %s", argv[0],
		    strerror(e));
		return -1;
	}
	return 0;
}

static int
remaining(int64_t deadline, int64_t now)
{
	if (deadline == 0)
		return -1;
	return deadline > now ? (int)(deadline - now) : 0;
}

int
qimg_run(char *const argv[], struct qimg_run *r, char *err, size_t errlen)
{
	struct run_state s;
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 }, pidfd = -1, st = 0;
	int outopen = 1, erropen = 1, exited = 0, stopped = 0;
	const char *what = r->what != NULL ? r->what : argv[1];
	pid_t pid;

	memset(&s, 0, sizeof(s));
	s.r = r;
	s.max_out = r->max_out ? r->max_out : QIMG_MAX_OUT;
	r->out = NULL;
	r->outlen = 0;
	r->lasterr[0] = '\0';
	r->status = -1;
	if (pipe2(outp, O_CLOEXEC) == -1 || pipe2(errp, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto fail;
	}
	if (spawn(argv, outp[1], errp[1], &pid, err, errlen) == -1)
		goto fail;
	close(outp[1]);
	close(errp[1]);
	outp[1] = errp[1] = -1;
	fcntl(outp[0], F_SETFL, O_NONBLOCK);
	fcntl(errp[0], F_SETFL, O_NONBLOCK);
	pidfd = pidfd_open_(pid);

	int64_t now = mono_ms();
	int64_t deadline = r->timeout_ms > 0 ? now + r->timeout_ms : 0;
	int64_t idle = r->idle_ms > 0 ? now + r->idle_ms : 0;
	while (!exited && (outopen || erropen || pidfd != -1)) {
		struct pollfd p[3];
		int np = 0, io = -1, ie = -1, ip = -1;
		if (outopen) {
			p[np] = (struct pollfd){ outp[0], POLLIN, 0 };
			io = np++;
		}
		if (erropen) {
			p[np] = (struct pollfd){ errp[0], POLLIN, 0 };
			ie = np++;
		}
		if (pidfd != -1) {
			p[np] = (struct pollfd){ pidfd, POLLIN, 0 };
			ip = np++;
		}
		int t1 = remaining(deadline, now), t2 = remaining(idle, now);
		int t = t1 < 0 ? t2 : t2 < 0 ? t1 : t1 < t2 ? t1 : t2;
		int n = poll(p, (nfds_t)np, t);
		now = mono_ms();
		if (n < 0 && errno != EINTR) {
			snprintf(err, errlen, "poll: %s", strerror(errno));
			stopped = 1;
			break;
		}
		if (n > 0) {
			int got = 0, d;
			if (io >= 0 && p[io].revents != 0) {
				if ((d = drain(&s, outp[0], 1)) == -1)
					outopen = 0;
				got |= d > 0;
			}
			if (ie >= 0 && p[ie].revents != 0) {
				if ((d = drain(&s, errp[0], 0)) == -1)
					erropen = 0;
				got |= d > 0;
			}
			if (ip >= 0 && p[ip].revents != 0)
				exited = 1;
			if (got && r->idle_ms > 0)
				idle = now + r->idle_ms;
		}
		if (s.overflow) {
			snprintf(err, errlen, "qemu-img %s: more than %zu MiB "
			    "of output, stopped", what, s.max_out >> 20);
			stopped = 1;
			break;
		}
		if (!exited && deadline != 0 && now >= deadline) {
			snprintf(err, errlen, "qemu-img %s: no answer in %d s, "
			    "stopped", what, (r->timeout_ms + 999) / 1000);
			stopped = 1;
			break;
		}
		if (!exited && idle != 0 && now >= idle) {
			snprintf(err, errlen, "qemu-img %s: no progress in %d s, "
			    "stopped", what, (r->idle_ms + 999) / 1000);
			stopped = 1;
			break;
		}
		if (!outopen && !erropen && pidfd == -1)
			break;		/* no pidfd: the end of both streams */
	}
	if (stopped)
		kill(pid, SIGKILL);
	else if (exited) {
		/* all it wrote is in the pipes; what started it may hold them */
		if (outopen)
			drain(&s, outp[0], 1);
		if (erropen)
			drain(&s, errp[0], 0);
		if (s.overflow) {
			snprintf(err, errlen, "qemu-img %s: more than %zu MiB "
			    "of output", what, s.max_out >> 20);
			stopped = 1;
		}
	}
	reap(pid, &st);
	if (s.elen > 0)
		err_line_end(&s);
	if (stopped)
		goto fail;
	if (WIFSIGNALED(st)) {
		snprintf(err, errlen, "qemu-img %s: killed by signal %d (%s)",
		    what, WTERMSIG(st), strsignal(WTERMSIG(st)));
		goto fail;
	}
	r->status = WEXITSTATUS(st);
	if (r->out == NULL)
		r->out = xstrdup("");
	close(outp[0]);
	close(errp[0]);
	if (pidfd != -1)
		close(pidfd);
	return r->status;

fail:
	for (int i = 0; i < 2; i++) {
		if (outp[i] != -1)
			close(outp[i]);
		if (errp[i] != -1)
			close(errp[i]);
	}
	if (pidfd != -1)
		close(pidfd);
	free(r->out);
	r->out = NULL;
	r->outlen = 0;
	return -1;
}

void
qimg_run_free(struct qimg_run *r)
{
	free(r->out);
	r->out = NULL;
	r->outlen = 0;
}

void
qimg_run_message(const struct qimg_run *r, char *buf, size_t len)
{
	const char *m = r->lasterr;
	static const char pfx[] = "qemu-img: ";

	if (strncmp(m, pfx, sizeof(pfx) - 1) == 0)
		m += sizeof(pfx) - 1;
	if (*m == '\0') {
		snprintf(buf, len, "qemu-img exited with status %d", r->status);
		return;
	}
	strlcpy(buf, m, len);
	for (char *p = buf; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}
