/*
 * bench_qmp: QMP round trips through the library, against a minimal
 * blocking client (the baseline) talking to the same QEMU in the same run.
 *
 *   bench_qmp [-n count] [-d depth] [-w warmup] [-r rounds]
 *
 * QEMU comes from $QEMU or the configured path.  It runs with machine
 * "none", stopped, and three QMP monitors: one for the asynchronous
 * library, one for its synchronous helper, one for the baseline.  Each
 * client sends count query-status commands one at a time (round-trip
 * latency) and count more with depth of them in flight (throughput).  The
 * work is split into rounds that alternate between the clients, so that
 * drift on the host hits all of them alike.  Times are only reported,
 * never judged.
 */
#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "qmp.h"

#define CMD_TIMEOUT_MS	10000
#define START_TIMEOUT_MS 10000
#define NMON		3		/* library, sync helper, baseline */

enum { MON_LIB, MON_SYNC, MON_BASE };

/* ---- QEMU and cleanup ---- */

static pid_t	 qemu_pid = -1;
static char	 tmpdir[PATH_MAX];
static char	 sockpath[NMON][sizeof(((struct sockaddr_un *)0)->sun_path)];

/* Async-signal-safe: used from atexit and from the signal handler. */
static void
cleanup_now(void)
{
	if (qemu_pid > 0) {
		kill(qemu_pid, SIGKILL);
		waitpid(qemu_pid, NULL, 0);
		qemu_pid = -1;
	}
	for (int i = 0; i < NMON; i++)
		if (sockpath[i][0] != '\0')
			unlink(sockpath[i]);
	if (tmpdir[0] != '\0')
		rmdir(tmpdir);
	tmpdir[0] = '\0';
}

static void
cleanup_atexit(void)
{
	cleanup_now();
}

static void
on_signal(int sig)
{
	cleanup_now();
	_exit(128 + sig);
}

static void
start_qemu(const char *qemu)
{
	char *argv[32];
	char qmparg[NMON][PATH_MAX + 32];
	int argc = 0;
	const char *tmp = getenv("TMPDIR");

	if (snprintf(tmpdir, sizeof(tmpdir), "%s/qlaunch-bench.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp") >= (int)sizeof(tmpdir))
		errx(1, "TMPDIR is too long");
	if (mkdtemp(tmpdir) == NULL) {
		int e = errno;
		tmpdir[0] = '\0';
		errno = e;
		err(1, "mkdtemp");
	}
	static const char *const names[NMON] = { "lib", "sync", "base" };
	for (int i = 0; i < NMON; i++) {
		if (snprintf(sockpath[i], sizeof(sockpath[i]), "%s/%s.sock",
		    tmpdir, names[i]) >= (int)sizeof(sockpath[i]))
			errx(1, "%s: path too long for a UNIX socket", tmpdir);
		snprintf(qmparg[i], sizeof(qmparg[i]),
		    "unix:%s,server=on,wait=off", sockpath[i]);
	}

	argv[argc++] = (char *)qemu;
	argv[argc++] = "-M";
	argv[argc++] = "none";
	argv[argc++] = "-accel";
	argv[argc++] = "tcg";
	argv[argc++] = "-S";
	argv[argc++] = "-nodefaults";
	argv[argc++] = "-no-user-config";
	argv[argc++] = "-display";
	argv[argc++] = "none";
	for (int i = 0; i < NMON; i++) {
		argv[argc++] = "-qmp";
		argv[argc++] = qmparg[i];
	}
	argv[argc] = NULL;

	pid_t parent = getpid();
	if ((qemu_pid = fork()) == -1)
		err(1, "fork");
	if (qemu_pid == 0) {
		int fd = open("/dev/null", O_RDWR);
		if (fd != -1) {
			dup2(fd, 0);
			dup2(fd, 1);
			if (fd > 2)
				close(fd);
		}
		/* never outlive the benchmark, even after SIGKILL */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		execv(qemu, argv);
		fprintf(stderr, "bench_qmp: cannot run %s: %s\n", qemu,
		    strerror(errno));
		_exit(127);
	}
}

static void
check_qemu_alive(void)
{
	int status;

	if (qemu_pid > 0 && waitpid(qemu_pid, &status, WNOHANG) == qemu_pid) {
		qemu_pid = -1;
		errx(1, "QEMU exited early (status %d)",
		    WIFEXITED(status) ? WEXITSTATUS(status) :
		    128 + WTERMSIG(status));
	}
}

/* Wait for QEMU to exit by itself, then make sure it does. */
static void
reap_qemu(int timeout_ms)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };

	for (int waited = 0; qemu_pid > 0 && waited < timeout_ms; waited += 10) {
		if (waitpid(qemu_pid, NULL, WNOHANG) == qemu_pid) {
			qemu_pid = -1;
			return;
		}
		nanosleep(&ts, NULL);
	}
	cleanup_now();
}

/* ---- measurements ---- */

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static double
cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

struct series {
	const char	*name;
	uint64_t	*lat;		/* ns per round trip */
	size_t		 nlat;
	size_t		 cmds;		/* commands timed (pipelined) */
	uint64_t	 wall;		/* ns spent on them */
	double		 cpu;		/* client CPU seconds, all phases */
	size_t		 cpucmds;
};

static void
series_init(struct series *s, const char *name, size_t n)
{
	memset(s, 0, sizeof(*s));
	s->name = name;
	if ((s->lat = calloc(n ? n : 1, sizeof(*s->lat))) == NULL)
		err(1, "calloc");
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The q-quantile (0..1) in microseconds, nearest rank. */
static double
quantile_us(struct series *s, double q)
{
	if (s->nlat == 0)
		return 0;
	size_t rank = (size_t)(q * (double)s->nlat + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > s->nlat)
		rank = s->nlat;
	return (double)s->lat[rank - 1] / 1e3;
}

/* ---- the library, asynchronous ---- */

struct lib {
	struct event_base	*base;
	struct qmp		*q;
	int			 ready;
	int			 closed;
	char			 why[256];
	int			 one_done;	/* one-at-a-time reply came */
	size_t			 issued, done, total;
	size_t			 errors;
	char			 lasterr[256];
};

static void
lib_ready(void *arg, struct qmp *q)
{
	struct lib *l = arg;

	(void)q;
	l->ready = 1;
}

static void
lib_closed(void *arg, struct qmp *q, const char *reason)
{
	struct lib *l = arg;

	(void)q;
	l->closed = 1;
	strlcpy(l->why, reason, sizeof(l->why));
}

static void
lib_note_error(struct lib *l, const struct qmp_error *e)
{
	l->errors++;
	snprintf(l->lasterr, sizeof(l->lasterr), "%s: %s", e->class, e->desc);
}

/* Run the loop until *flag is set; a closed connection is fatal. */
static void
lib_wait(struct lib *l, const int *flag)
{
	while (!*flag) {
		if (l->closed)
			errx(1, "library: connection closed: %s", l->why);
		if (event_base_loop(l->base, EVLOOP_ONCE) == -1)
			errx(1, "library: event loop failed");
	}
}

static void
lib_open(struct lib *l, const char *path)
{
	static const struct qmp_callbacks cbs = { lib_ready, lib_closed };

	memset(l, 0, sizeof(*l));
	if ((l->base = event_base_new()) == NULL ||
	    (l->q = qmp_new(l->base, NULL, &cbs, l)) == NULL)
		errx(1, "library: out of memory");
	if (qmp_connect_unix(l->q, path, START_TIMEOUT_MS) == -1)
		errx(1, "library: cannot connect to %s", path);
	lib_wait(l, &l->ready);
}

static void
lib_one_cb(void *arg, struct json_object *ret, const struct qmp_error *e)
{
	struct lib *l = arg;

	if (ret == NULL)
		lib_note_error(l, e);
	l->one_done = 1;
}

static void
lib_latency(struct lib *l, size_t n, struct series *s)
{
	double c0 = cpu_s();

	for (size_t i = 0; i < n; i++) {
		uint64_t t0 = now_ns();
		l->one_done = 0;
		if (qmp_execute(l->q, "query-status", NULL, CMD_TIMEOUT_MS,
		    lib_one_cb, l) == -1)
			errx(1, "library: cannot send a command");
		lib_wait(l, &l->one_done);
		if (s != NULL)
			s->lat[s->nlat++] = now_ns() - t0;
	}
	if (s != NULL) {
		s->cpu += cpu_s() - c0;
		s->cpucmds += n;
	}
}

static void lib_pipe_cb(void *, struct json_object *, const struct qmp_error *);

static void
lib_issue(struct lib *l)
{
	l->issued++;
	if (qmp_execute(l->q, "query-status", NULL, CMD_TIMEOUT_MS,
	    lib_pipe_cb, l) == -1)
		errx(1, "library: cannot send a command");
}

static void
lib_pipe_cb(void *arg, struct json_object *ret, const struct qmp_error *e)
{
	struct lib *l = arg;

	if (ret == NULL)
		lib_note_error(l, e);
	l->done++;
	if (l->issued < l->total)
		lib_issue(l);
}

static void
lib_pipelined(struct lib *l, size_t n, size_t depth, struct series *s)
{
	double c0 = cpu_s();
	uint64_t t0 = now_ns();

	l->issued = l->done = 0;
	l->total = n;
	while (l->issued < n && l->issued < depth)
		lib_issue(l);
	while (l->done < n) {
		if (l->closed)
			errx(1, "library: connection closed: %s", l->why);
		if (event_base_loop(l->base, EVLOOP_ONCE) == -1)
			errx(1, "library: event loop failed");
	}
	if (s != NULL) {
		s->wall += now_ns() - t0;
		s->cmds += n;
		s->cpu += cpu_s() - c0;
		s->cpucmds += n;
	}
}

/* ---- the library's synchronous helper ---- */

static void
sync_latency(struct qmp_sync *qs, size_t n, struct series *s)
{
	double c0 = cpu_s();

	for (size_t i = 0; i < n; i++) {
		struct qmp_reply r;
		uint64_t t0 = now_ns();
		if (qmp_sync_execute(qs, "query-status", NULL, CMD_TIMEOUT_MS,
		    &r) == -1)
			errx(1, "sync helper: query-status: %s: %s",
			    r.eclass ? r.eclass : "?", r.edesc ? r.edesc : "?");
		if (s != NULL)
			s->lat[s->nlat++] = now_ns() - t0;
		qmp_reply_clear(&r);
	}
	if (s != NULL) {
		s->cpu += cpu_s() - c0;
		s->cpucmds += n;
	}
}

/* ---- the baseline: blocking socket, a line at a time ---- */

struct base {
	int		 fd;
	char		 buf[1 << 16];
	size_t		 off, len;	/* unread bytes are buf[off..len) */
	long long	 next_id;
};

static void
base_write(struct base *b, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = send(b->fd, s, n, MSG_NOSIGNAL);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			err(1, "baseline: write");
		}
		s += w;
		n -= (size_t)w;
	}
}

/* The next line, without its newline (NUL-terminated in place). */
static char *
base_line(struct base *b)
{
	for (;;) {
		char *nl = memchr(b->buf + b->off, '\n', b->len - b->off);
		if (nl != NULL) {
			char *line = b->buf + b->off;
			*nl = '\0';
			b->off = (size_t)(nl - b->buf) + 1;
			return line;
		}
		if (b->off > 0) {
			memmove(b->buf, b->buf + b->off, b->len - b->off);
			b->len -= b->off;
			b->off = 0;
		}
		if (b->len == sizeof(b->buf) - 1)
			errx(1, "baseline: line longer than %zu bytes",
			    sizeof(b->buf));
		ssize_t r = recv(b->fd, b->buf + b->len,
		    sizeof(b->buf) - 1 - b->len, 0);
		if (r == 0)
			errx(1, "baseline: end of file from QEMU");
		if (r == -1) {
			if (errno == EINTR)
				continue;
			err(1, "baseline: read");
		}
		b->len += (size_t)r;
	}
}

static void
base_send(struct base *b)
{
	char cmd[96];
	int n = snprintf(cmd, sizeof(cmd),
	    "{\"execute\": \"query-status\", \"id\": %lld}\n", b->next_id++);

	base_write(b, cmd, (size_t)n);
}

/* Read up to the next reply and return its id (events are skipped). */
static long long
base_reply(struct base *b)
{
	for (;;) {
		char *line = base_line(b);
		char *p = strstr(line, "\"id\":");
		if (p == NULL) {
			if (strstr(line, "\"event\"") != NULL)
				continue;
			errx(1, "baseline: reply without an id: %s", line);
		}
		if (strncmp(line, "{\"return\"", 9) != 0)
			errx(1, "baseline: error reply: %s", line);
		return strtoll(p + 5, NULL, 10);
	}
}

static void
base_open(struct base *b, const char *path)
{
	struct sockaddr_un sun;
	struct timeval tv = { CMD_TIMEOUT_MS / 1000, 0 };
	struct timespec pause = { 0, 5 * 1000 * 1000 };

	memset(b, 0, sizeof(*b));
	b->next_id = 1;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	for (int waited = 0;; waited += 5) {
		if ((b->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
			err(1, "socket");
		if (connect(b->fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
			break;
		int e = errno;
		close(b->fd);
		if ((e != ENOENT && e != ECONNREFUSED) ||
		    waited >= START_TIMEOUT_MS) {
			errno = e;
			err(1, "baseline: connect to %s", path);
		}
		check_qemu_alive();
		nanosleep(&pause, NULL);
	}
	/* a stuck QEMU ends the run rather than hanging it */
	setsockopt(b->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(b->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));

	const char *greeting = base_line(b);
	if (strncmp(greeting, "{\"QMP\"", 6) != 0)
		errx(1, "baseline: not a QMP greeting: %s", greeting);
	static const char caps[] = "{\"execute\": \"qmp_capabilities\"}\n";
	base_write(b, caps, sizeof(caps) - 1);
	const char *ok = base_line(b);
	if (strncmp(ok, "{\"return\"", 9) != 0)
		errx(1, "baseline: qmp_capabilities failed: %s", ok);
}

static void
base_latency(struct base *b, size_t n, struct series *s)
{
	double c0 = cpu_s();

	for (size_t i = 0; i < n; i++) {
		uint64_t t0 = now_ns();
		long long id = b->next_id;
		base_send(b);
		if (base_reply(b) != id)
			errx(1, "baseline: reply to the wrong command");
		if (s != NULL)
			s->lat[s->nlat++] = now_ns() - t0;
	}
	if (s != NULL) {
		s->cpu += cpu_s() - c0;
		s->cpucmds += n;
	}
}

static void
base_pipelined(struct base *b, size_t n, size_t depth, struct series *s)
{
	double c0 = cpu_s();
	uint64_t t0 = now_ns();
	size_t issued = 0;
	long long want = b->next_id;

	while (issued < n && issued < depth) {
		base_send(b);
		issued++;
	}
	for (size_t done = 0; done < n; done++) {
		if (base_reply(b) != want++)
			errx(1, "baseline: replies out of order");
		if (issued < n) {
			base_send(b);
			issued++;
		}
	}
	if (s != NULL) {
		s->wall += now_ns() - t0;
		s->cmds += n;
		s->cpu += cpu_s() - c0;
		s->cpucmds += n;
	}
}

static void
base_quit(struct base *b)
{
	static const char quit[] = "{\"execute\": \"quit\"}\n";

	base_write(b, quit, sizeof(quit) - 1);
	/* QEMU closes the socket as it exits (or the receive times out) */
	while (recv(b->fd, b->buf, sizeof(b->buf), 0) > 0)
		;
	close(b->fd);
	b->fd = -1;
}

/* ---- main ---- */

static size_t
parse_count(const char *s, const char *what, long long lo, long long hi)
{
	const char *errstr;
	long long v = strtonum(s, lo, hi, &errstr);

	if (errstr != NULL)
		errx(1, "%s %s: %s (from %lld to %lld)", what, s, errstr, lo,
		    hi);
	return (size_t)v;
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench_qmp [-n count] [-d depth] [-w warmup] "
	    "[-r rounds]\n");
	exit(2);
}

static double
ratio(double a, double b)
{
	return b > 0 ? a / b : 0;
}

int
main(int argc, char **argv)
{
	size_t count = 10000, depth = 64, warmup = 1000, rounds = 5;
	int ch;

	while ((ch = getopt(argc, argv, "n:d:w:r:h")) != -1) {
		switch (ch) {
		case 'n':
			count = parse_count(optarg, "count", 1, 100000000);
			break;
		case 'd':
			depth = parse_count(optarg, "depth", 1, 4096);
			break;
		case 'w':
			warmup = parse_count(optarg, "warm-up", 0, 100000000);
			break;
		case 'r':
			rounds = parse_count(optarg, "rounds", 1, 1000);
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (rounds > count)
		rounds = count;

	const char *qemu = getenv("QEMU");
	if (qemu == NULL || *qemu == '\0')
		qemu = QLAUNCH_QEMU;
	if (access(qemu, X_OK) == -1)
		err(1, "%s", qemu);

	atexit(cleanup_atexit);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	start_qemu(qemu);

	struct lib lib;
	struct base base;
	char ebuf[256];
	lib_open(&lib, sockpath[MON_LIB]);
	struct qmp_sync *qs = qmp_sync_open(sockpath[MON_SYNC],
	    START_TIMEOUT_MS, NULL, ebuf, sizeof(ebuf));
	if (qs == NULL)
		errx(1, "sync helper: %s", ebuf);
	base_open(&base, sockpath[MON_BASE]);

	int vmaj, vmin, vmic;
	qmp_version(lib.q, &vmaj, &vmin, &vmic);

	/* warm up every path: caches, allocators, QEMU's own */
	lib_latency(&lib, warmup, NULL);
	sync_latency(qs, warmup, NULL);
	base_latency(&base, warmup, NULL);
	lib_pipelined(&lib, warmup, depth, NULL);
	base_pipelined(&base, warmup, depth, NULL);

	struct series l_lat, s_lat, b_lat, l_pipe, b_pipe;
	series_init(&l_lat, "library (async)", count);
	series_init(&s_lat, "library (sync helper)", count);
	series_init(&b_lat, "baseline (blocking)", count);
	series_init(&l_pipe, "library (async)", 0);
	series_init(&b_pipe, "baseline (blocking)", 0);

	for (size_t r = 0; r < rounds; r++) {
		size_t n = count / rounds + (r < count % rounds);
		/* alternate who goes first */
		if (r % 2 == 0) {
			lib_latency(&lib, n, &l_lat);
			sync_latency(qs, n, &s_lat);
			base_latency(&base, n, &b_lat);
			lib_pipelined(&lib, n, depth, &l_pipe);
			base_pipelined(&base, n, depth, &b_pipe);
		} else {
			base_latency(&base, n, &b_lat);
			sync_latency(qs, n, &s_lat);
			lib_latency(&lib, n, &l_lat);
			base_pipelined(&base, n, depth, &b_pipe);
			lib_pipelined(&lib, n, depth, &l_pipe);
		}
	}
	if (lib.errors > 0)
		errx(1, "library: %zu commands failed (last: %s)", lib.errors,
		    lib.lasterr);

	qsort(l_lat.lat, l_lat.nlat, sizeof(uint64_t), cmp_u64);
	qsort(s_lat.lat, s_lat.nlat, sizeof(uint64_t), cmp_u64);
	qsort(b_lat.lat, b_lat.nlat, sizeof(uint64_t), cmp_u64);

	printf("bench_qmp: query-status, QEMU %d.%d.%d (machine none, "
	    "stopped)\n", vmaj, vmin, vmic);
	printf("%zu commands per measurement after %zu warm-up, "
	    "%zu interleaved rounds\n\n", count, warmup, rounds);
	printf("%-28s %10s %10s %14s\n", "round trip, one at a time",
	    "median us", "p99 us", "CPU us/cmd");
	struct series *lat[] = { &l_lat, &s_lat, &b_lat };
	for (size_t i = 0; i < 3; i++)
		printf("  %-26s %10.1f %10.1f %14.2f\n", lat[i]->name,
		    quantile_us(lat[i], 0.5), quantile_us(lat[i], 0.99),
		    lat[i]->cpu * 1e6 / (double)lat[i]->cpucmds);
	printf("  %-26s %10.2f %10.2f %14.2f\n", "ratio library/baseline",
	    ratio(quantile_us(&l_lat, 0.5), quantile_us(&b_lat, 0.5)),
	    ratio(quantile_us(&l_lat, 0.99), quantile_us(&b_lat, 0.99)),
	    ratio(l_lat.cpu, b_lat.cpu));

	double l_rate = (double)l_pipe.cmds / ((double)l_pipe.wall / 1e9);
	double b_rate = (double)b_pipe.cmds / ((double)b_pipe.wall / 1e9);
	char head[40];
	snprintf(head, sizeof(head), "pipelined, %zu in flight", depth);
	printf("\n%-28s %10s %10s %14s\n", head, "cmds/s", "", "CPU us/cmd");
	printf("  %-26s %10.0f %10s %14.2f\n", l_pipe.name, l_rate, "",
	    l_pipe.cpu * 1e6 / (double)l_pipe.cpucmds);
	printf("  %-26s %10.0f %10s %14.2f\n", b_pipe.name, b_rate, "",
	    b_pipe.cpu * 1e6 / (double)b_pipe.cpucmds);
	printf("  %-26s %10.2f %10s %14.2f\n", "ratio library/baseline",
	    ratio(l_rate, b_rate), "", ratio(l_pipe.cpu, b_pipe.cpu));
	printf("\n(latency ratio > 1 and throughput ratio < 1: the library "
	    "is slower; CPU is this process only)\n");
	fflush(stdout);

	free(l_lat.lat);
	free(s_lat.lat);
	free(b_lat.lat);
	free(l_pipe.lat);
	free(b_pipe.lat);
	qmp_free(lib.q);
	event_base_free(lib.base);
	qmp_sync_close(qs);
	base_quit(&base);
	reap_qemu(5000);
	cleanup_now();
	return 0;
}
