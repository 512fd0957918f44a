/*
 * bench_control: the control plane.  Three measurements, each beside a
 * baseline in the same run:
 *
 *  1. "qlaunch state NAME" as a user runs it: fork, exec, connect,
 *     request, reply, exit; against "qlaunch -V" (the same process
 *     start without touching the socket) and "qlaunch version"; and
 *     "virsh domstate" when libvirt is there.
 *  2. Round trips from one persistent client: "state" and "version" on
 *     qlaunchd's control socket, against "query-status" on a QEMU's own
 *     QMP socket.  Both servers answer a small JSON line with a small
 *     JSON line from an event loop, and the client is the same minimal
 *     blocking line client for both, so the difference is the server's
 *     path.  One row also goes through liblaunch's client_call.
 *  3. Requests per second from 32 concurrent clients (processes, each
 *     with its own connection), against 32 clients on 32 QMP monitors of
 *     one QEMU, for a fixed time.
 *
 *   bench_control [-q] [-n runs] [-c count] [-t seconds] [-j clients]
 *
 * The VM is --memory 64 --accel tcg,tb-size=32, started paused, so
 * qlaunchd holds its QMP connection; the baseline QEMU runs the same
 * command line (its own runtime directory) plus one QMP monitor per
 * concurrent client.  Nothing here judges the times.
 */
#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "benchlib.h"
#include "jstream.h"

#define VM		"bc1"
#define MAXJOBS		256

static char	 rawdir[4096];
static char	 dom[64];
static char	 floorsock[4200];

/* ---- the floor: a minimal server on the same libraries ---- */

/*
 * What qlaunchd's control socket does for one request, minus the
 * daemon: libevent bufferevents, jstream framing, json-c objects, a
 * reply rendered as one line.  No dispatch table, no request records,
 * no logging.  It runs in a child process, so it has a CPU of its own
 * as qlaunchd does.
 */
struct floor_conn {
	struct bufferevent	*bev;
	struct jstream		 js;
};

static int
floor_msg(void *arg, struct json_object *msg)
{
	struct floor_conn *fc = arg;
	struct json_object *id = NULL, *m = json_object_new_object();
	struct json_object *r = json_object_new_object();
	size_t len;

	json_object_object_get_ex(msg, "id", &id);
	if (id != NULL)
		json_object_object_add(m, "id", json_object_get(id));
	json_object_object_add(r, "state", json_object_new_string("paused"));
	json_object_object_add(r, "reason",
	    json_object_new_string("started paused"));
	json_object_object_add(m, "return", r);
	char *line = jstream_render(m, &len);
	json_object_put(m);
	if (line != NULL)
		bufferevent_write(fc->bev, line, len);
	free(line);
	return 0;
}

static void
floor_free(struct floor_conn *fc)
{
	bufferevent_free(fc->bev);
	jstream_free(&fc->js);
	free(fc);
}

static void
floor_read(struct bufferevent *bev, void *arg)
{
	struct floor_conn *fc = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	while (evbuffer_get_length(in) > 0) {
		struct evbuffer_iovec v;
		if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
			break;
		if (jstream_feed(&fc->js, v.iov_base, v.iov_len, floor_msg,
		    fc) == -1) {
			floor_free(fc);
			return;
		}
		evbuffer_drain(in, v.iov_len);
	}
}

static void
floor_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		floor_free(arg);
}

static void
floor_accept(evutil_socket_t lfd, short what, void *arg)
{
	struct event_base *base = arg;
	int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	(void)what;
	if (fd == -1)
		return;
	struct floor_conn *fc = calloc(1, sizeof(*fc));
	if (fc == NULL || jstream_init(&fc->js, 1u << 20) == -1)
		_exit(1);
	fc->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(fc->bev, floor_read, NULL, floor_event, fc);
	bufferevent_enable(fc->bev, EV_READ | EV_WRITE);
}

static pid_t
floor_start(const char *path)
{
	struct sockaddr_un sun;
	pid_t parent = getpid();
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	if (fd == -1 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(fd, 128) == -1)
		err(1, "floor server: %s", path);
	pid_t pid = fork();
	if (pid == -1)
		err(1, "fork");
	if (pid > 0) {
		close(fd);
		return pid;
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	struct event_base *base = event_base_new();
	struct event *ev = event_new(base, fd, EV_READ | EV_PERSIST,
	    floor_accept, base);
	if (base == NULL || ev == NULL)
		_exit(1);
	event_add(ev, NULL);
	event_base_dispatch(base);
	_exit(0);
}

/* ---- 1: process round trips ---- */

static void
processes(int runs, int warmup, int virsh, const char *why)
{
	char *v_argv[] = { bl_qlaunch, "-V", NULL };
	char *ver_argv[] = { bl_qlaunch, "version", NULL };
	char *st_argv[] = { bl_qlaunch, "state", VM, NULL };
	struct bl_series s[4];
	int nm = virsh ? 4 : 3;

	bl_series_init(&s[0], "qlaunch -V (no connection)");
	bl_series_init(&s[1], "qlaunch version");
	bl_series_init(&s[2], "qlaunch state NAME");
	bl_series_init(&s[3], "virsh domstate NAME (inactive domain)");
	for (int i = 0; i < warmup + runs; i++) {
		for (int k = 0; k < nm; k++) {
			int m = (i + k) % nm;
			uint64_t ns = m == 0 ? bl_run_timed(v_argv) :
			    m == 1 ? bl_run_timed(ver_argv) :
			    m == 2 ? bl_run_timed(st_argv) :
			    bl_virsh_timed("domstate", dom);
			if (i >= warmup)
				bl_series_add(&s[m], ns);
		}
	}
	printf("1. a client process per request: fork, exec, connect, "
	    "request, reply, exit\n   %d runs each after %d warm-up, "
	    "interleaved\n\n", runs, warmup);
	printf("  %-40s %9s %9s %9s\n", "", "median ms", "p90 ms", "min ms");
	for (int m = 0; m < 4; m++) {
		if (m == 3 && !virsh) {
			printf("  %-40s (skipped: %s)\n", "virsh domstate NAME",
			    why);
			continue;
		}
		printf("  %-40s %9.3f %9.3f %9.3f\n", s[m].name,
		    bl_q_ms(&s[m], 0.5), bl_q_ms(&s[m], 0.9), bl_q_ms(&s[m], 0));
	}
	double st = bl_q_ms(&s[2], 0.5), base = bl_q_ms(&s[0], 0.5);
	printf("  %-40s %8.2fx  (%+.3f ms for the control round trip)\n",
	    "state / -V", bl_ratio(st, base), st - base);
	if (virsh)
		printf("  %-40s %8.2fx\n", "state / virsh domstate",
		    bl_ratio(st, bl_q_ms(&s[3], 0.5)));
	for (int m = 0; m < 4; m++)
		bl_series_free(&s[m]);
}

/* ---- 2: one persistent client ---- */

struct lc {
	struct bl_line	 l;
	const char	*req;
	size_t		 reqlen;
};

static void
lc_once(struct lc *c)
{
	bl_write_all(c->l.fd, c->req, c->reqlen);
	const char *r = bl_line_reply(&c->l);
	if (strstr(r, "\"return\"") == NULL)
		errx(1, "error reply to %.60s: %.200s", c->req, r);
}

static void
lc_run(struct lc *c, size_t n, struct bl_series *s, uint64_t *wall)
{
	uint64_t start = bl_now_ns();

	for (size_t i = 0; i < n; i++) {
		uint64_t t0 = bl_now_ns();
		lc_once(c);
		if (s != NULL)
			bl_series_add(s, bl_now_ns() - t0);
	}
	if (wall != NULL)
		*wall += bl_now_ns() - start;
}

static void
lib_run(struct client_conn *c, size_t n, struct bl_series *s, uint64_t *wall)
{
	uint64_t start = bl_now_ns();

	for (size_t i = 0; i < n; i++) {
		uint64_t t0 = bl_now_ns();
		json_object_put(bl_call(c, "state", bl_name_args(VM)));
		if (s != NULL)
			bl_series_add(s, bl_now_ns() - t0);
	}
	if (wall != NULL)
		*wall += bl_now_ns() - start;
}

static const char state_req[] =
    "{\"id\": 1, \"execute\": \"state\", \"arguments\": {\"name\": \"" VM
    "\"}}\n";
static const char version_req[] = "{\"id\": 1, \"execute\": \"version\"}\n";
static const char status_req[] =
    "{\"execute\": \"query-status\", \"id\": 1}\n";

static void
lc_open_ctl(struct lc *c, const char *path, const char *req)
{
	bl_line_init(&c->l, bl_unix_connect(path, 5000, 0));
	c->req = req;
	c->reqlen = strlen(req);
}

static void
lc_open_qmp(struct lc *c, const char *path, pid_t qemu)
{
	bl_line_init(&c->l, bl_unix_connect(path, 20000, qemu));
	bl_qmp_handshake(&c->l);
	c->req = status_req;
	c->reqlen = strlen(status_req);
}

#define NP	5

static void
persistent(size_t count, size_t rounds, const char *qmpsock, pid_t qemu)
{
	struct lc st, ver, fl, q;
	struct client_conn lib;
	struct bl_series s[NP];
	uint64_t wall[NP] = { 0, 0, 0, 0, 0 };
	size_t warm = count / 10 > 0 ? count / 10 : 1;

	lc_open_ctl(&st, bl_sock, state_req);
	lc_open_ctl(&ver, bl_sock, version_req);
	lc_open_ctl(&fl, floorsock, state_req);
	lc_open_qmp(&q, qmpsock, qemu);
	bl_connect(&lib);
	bl_series_init(&s[0], "qlaunchd \"state\"");
	bl_series_init(&s[1], "qlaunchd \"version\"");
	bl_series_init(&s[2], "qlaunchd \"state\" via liblaunch");
	bl_series_init(&s[3], "floor: minimal server (baseline 1)");
	bl_series_init(&s[4], "QEMU QMP \"query-status\" (baseline 2)");

	lc_run(&st, warm, NULL, NULL);
	lc_run(&ver, warm, NULL, NULL);
	lib_run(&lib, warm, NULL, NULL);
	lc_run(&fl, warm, NULL, NULL);
	lc_run(&q, warm, NULL, NULL);
	for (size_t r = 0; r < rounds; r++) {
		size_t n = count / rounds + (r < count % rounds);
		for (int k = 0; k < NP; k++) {
			int m = (int)((r + (size_t)k) % NP);
			if (m == 0)
				lc_run(&st, n, &s[0], &wall[0]);
			else if (m == 1)
				lc_run(&ver, n, &s[1], &wall[1]);
			else if (m == 2)
				lib_run(&lib, n, &s[2], &wall[2]);
			else if (m == 3)
				lc_run(&fl, n, &s[3], &wall[3]);
			else
				lc_run(&q, n, &s[4], &wall[4]);
		}
	}
	printf("\n2. one persistent client, one request at a time "
	    "(process start not counted)\n   %zu requests each after %zu "
	    "warm-up, %zu interleaved rounds\n\n", count, warm, rounds);
	printf("  %-40s %9s %9s %10s\n", "", "median us", "p99 us", "req/s");
	for (int m = 0; m < NP; m++)
		printf("  %-40s %9.1f %9.1f %10.0f\n", s[m].name,
		    bl_q_us(&s[m], 0.5), bl_q_us(&s[m], 0.99),
		    (double)s[m].n / ((double)wall[m] / 1e9));
	printf("  %-40s %8.2fx %8.2fx\n", "state / floor",
	    bl_ratio(bl_q_us(&s[0], 0.5), bl_q_us(&s[3], 0.5)),
	    bl_ratio(bl_q_us(&s[0], 0.99), bl_q_us(&s[3], 0.99)));
	printf("  %-40s %8.2fx %8.2fx\n", "state / query-status",
	    bl_ratio(bl_q_us(&s[0], 0.5), bl_q_us(&s[4], 0.5)),
	    bl_ratio(bl_q_us(&s[0], 0.99), bl_q_us(&s[4], 0.99)));
	for (int m = 0; m < NP; m++)
		bl_series_free(&s[m]);
	bl_line_close(&st.l);
	bl_line_close(&ver.l);
	bl_line_close(&fl.l);
	bl_line_close(&q.l);
	client_close(&lib);
}

/* ---- 3: many concurrent clients ---- */

/* Read exactly n bytes within timeout_ms, or die: a dead client ends it. */
static void
read_within(int fd, void *buf, size_t n, int timeout_ms, const char *what)
{
	struct pollfd p = { fd, POLLIN, 0 };
	uint64_t end = bl_now_ns() + (uint64_t)timeout_ms * 1000000u;

	while (n > 0) {
		uint64_t now = bl_now_ns();
		int left = now >= end ? 0 : (int)((end - now) / 1000000u);
		int r = poll(&p, 1, left);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			errx(1, "%s: no answer within %d ms", what, timeout_ms);
		ssize_t got = read(fd, buf, n);
		if (got <= 0)
			errx(1, "%s: a client failed", what);
		buf = (char *)buf + got;
		n -= (size_t)got;
	}
}

/*
 * Fork jobs children; each opens its connection (paths[i] for QMP, else
 * the control-style socket paths[0]), says it is ready, waits for the
 * go, then sends requests for ms milliseconds and reports its count.
 */
static double
concurrent(int jobs, int ms, char **paths, int qmp, pid_t qemu)
{
	int ready[2], go[2], res[2];
	pid_t kids[MAXJOBS];
	pid_t parent = getpid();

	if (pipe(ready) == -1 || pipe(go) == -1 || pipe(res) == -1)
		err(1, "pipe");
	for (int i = 0; i < jobs; i++) {
		pid_t pid = fork();
		if (pid == -1)
			err(1, "fork");
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent)
				_exit(1);
			signal(SIGINT, SIG_DFL);
			signal(SIGTERM, SIG_DFL);
			signal(SIGHUP, SIG_DFL);
			close(ready[0]);
			close(go[1]);
			close(res[0]);
			struct lc c;
			if (qmp)
				lc_open_qmp(&c, paths[i], qemu);
			else
				lc_open_ctl(&c, paths[0], state_req);
			lc_once(&c);
			char b = 'r';
			if (write(ready[1], &b, 1) != 1 ||
			    read(go[0], &b, 1) != 0)
				_exit(1);
			uint64_t end = bl_now_ns() + (uint64_t)ms * 1000000u;
			uint64_t n = 0;
			while (bl_now_ns() < end) {
				lc_once(&c);
				n++;
			}
			if (write(res[1], &n, sizeof(n)) != sizeof(n))
				_exit(1);
			_exit(0);
		}
		kids[i] = pid;
	}
	close(ready[1]);
	close(go[0]);
	close(res[1]);
	for (int i = 0; i < jobs; i++) {
		char b;
		read_within(ready[0], &b, 1, 30000, "connecting");
	}
	uint64_t t0 = bl_now_ns();
	close(go[1]);		/* go */
	uint64_t total = 0;
	for (int i = 0; i < jobs; i++) {
		uint64_t n;
		read_within(res[0], &n, sizeof(n), ms + 30000, "running");
		total += n;
	}
	uint64_t t1 = bl_now_ns();
	for (int i = 0; i < jobs; i++)
		waitpid(kids[i], NULL, 0);
	close(ready[0]);
	close(res[0]);
	return (double)total / ((double)(t1 - t0) / 1e9);
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench_control [-q] [-n runs] [-c count] "
	    "[-t seconds] [-j clients]\n");
	exit(2);
}

static long long
num(const char *s, const char *what, long long lo, long long hi)
{
	const char *e;
	long long v = strtonum(s, lo, hi, &e);

	if (e != NULL)
		errx(2, "%s %s: %s (from %lld to %lld)", what, s, e, lo, hi);
	return v;
}

int
main(int argc, char **argv)
{
	int runs = 200, quick = bl_quick_env(), jobs = 32, ch;
	size_t count = 20000, rounds = 5;
	double secs = 3;

	while ((ch = getopt(argc, argv, "qn:c:t:j:h")) != -1) {
		switch (ch) {
		case 'q':
			quick = 1;
			break;
		case 'n':
			runs = (int)num(optarg, "runs", 1, 1000000);
			break;
		case 'c':
			count = (size_t)num(optarg, "count", 1, 100000000);
			break;
		case 't':
			secs = (double)num(optarg, "seconds", 1, 3600);
			break;
		case 'j':
			jobs = (int)num(optarg, "clients", 1, MAXJOBS);
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	int warmup = 5, ms = (int)(secs * 1000);
	if (quick) {
		runs = runs < 20 ? runs : 20;
		count = count < 2000 ? count : 2000;
		warmup = 2;
		ms = 500;
	}
	if (rounds > count)
		rounds = count;

	bl_init("bench_control");
	bl_daemon_start();
	struct client_conn c;
	bl_connect(&c);
	bl_vm_create(&c, VM, 1, 1);

	/* the baseline QEMU: the VM's command line, plus jobs monitors */
	snprintf(rawdir, sizeof(rawdir), "%s/raw", bl_tmp);
	if (mkdir(rawdir, 0700) == -1)
		err(1, "%s", rawdir);
	char **vmargv = bl_vm_cmdline(&c, VM, rawdir);
	size_t nv = 0;
	while (vmargv[nv] != NULL)
		nv++;
	char **qargv = calloc(nv + 2 * (size_t)jobs + 1, sizeof(*qargv));
	char **mons = calloc((size_t)jobs, sizeof(*mons));
	if (qargv == NULL || mons == NULL)
		err(1, "calloc");
	memcpy(qargv, vmargv, nv * sizeof(*qargv));
	for (int i = 0; i < jobs; i++) {
		char *m, *a;
		if (asprintf(&m, "%s/m%d.sock", rawdir, i) == -1 ||
		    asprintf(&a, "unix:%s,server=on,wait=off", m) == -1)
			err(1, "asprintf");
		mons[i] = m;
		qargv[nv + 2 * (size_t)i] = "-qmp";
		qargv[nv + 2 * (size_t)i + 1] = a;
	}
	char log[4200], qmpsock[4200];
	snprintf(log, sizeof(log), "%s/qemu.log", rawdir);
	bl_argv_qmp_path(vmargv, qmpsock, sizeof(qmpsock));
	pid_t qemu = bl_spawn(qargv, log, 1);
	snprintf(floorsock, sizeof(floorsock), "%s/floor.sock", bl_tmp);
	pid_t floor_pid = floor_start(floorsock);

	char why[256];
	int virsh = bl_libvirt_usable(why, sizeof(why));
	if (virsh) {
		snprintf(dom, sizeof(dom), "qlbench-ctl-%ld", (long)getpid());
		bl_libvirt_define(dom);
	}

	printf("bench_control: the control socket against QEMU's QMP "
	    "socket, %s\n\n", bl_qemu);
	processes(runs, warmup, virsh, why);
	persistent(count, rounds, qmpsock, qemu);

	printf("\n3. concurrent clients, each its own process and connection, "
	    "%d ms per row\n\n", ms);
	char *ctl[1] = { bl_sock }, *fls[1] = { floorsock };
	double r[3][2];
	/* 1 and N clients, interleaved: drift hits every server alike */
	for (int k = 0; k < 2; k++) {
		int n = k == 0 ? 1 : jobs;
		r[0][k] = concurrent(n, ms, ctl, 0, qemu);
		r[1][k] = concurrent(n, ms, fls, 0, qemu);
		r[2][k] = concurrent(n, ms, mons, 1, qemu);
	}
	static const char *const rn[3] = { "qlaunchd \"state\" req/s",
	    "floor: minimal server req/s", "QEMU \"query-status\" req/s" };
	char nh[32];
	snprintf(nh, sizeof(nh), "%d clients", jobs);
	printf("  %-40s %10s %10s %8s\n", "", "1 client", nh, "N / 1");
	for (int i = 0; i < 3; i++)
		printf("  %-40s %10.0f %10.0f %7.2fx\n", rn[i], r[i][0],
		    r[i][1], bl_ratio(r[i][1], r[i][0]));
	printf("  %-40s %9.2fx %9.2fx\n", "qlaunchd / floor",
	    bl_ratio(r[0][0], r[1][0]), bl_ratio(r[0][1], r[1][1]));
	printf("  %-40s %9.2fx %9.2fx\n", "qlaunchd / QEMU",
	    bl_ratio(r[0][0], r[2][0]), bl_ratio(r[0][1], r[2][1]));
	printf("\nBaselines: the floor is the least a JSON-lines server on "
	    "the same libraries\n(libevent, jstream, json-c) does per request, "
	    "in its own process; QEMU's QMP\nmonitor is the server the peer "
	    "tools talk to.  Times: ratio > 1 means\nqlaunchd is slower; "
	    "rates: ratio < 1 means qlaunchd is slower.  %ld CPUs\nshare the "
	    "clients and the servers.\n", sysconf(_SC_NPROCESSORS_ONLN));
	bl_vm_destroy(&c, VM);
	client_close(&c);
	static const char quit[] = "{\"execute\": \"quit\"}\n";
	struct bl_line l;
	bl_line_init(&l, bl_unix_connect(qmpsock, 5000, qemu));
	bl_qmp_handshake(&l);
	bl_write_all(l.fd, quit, sizeof(quit) - 1);
	char buf[4096];
	while (read(l.fd, buf, sizeof(buf)) > 0)
		;
	bl_line_close(&l);
	kill(floor_pid, SIGKILL);
	waitpid(floor_pid, NULL, 0);
	if (bl_wait(qemu, 10000) == -1)
		warnx("the baseline QEMU did not quit; killed it");
	for (int i = 0; i < jobs; i++) {
		free(mons[i]);
		free(qargv[nv + 2 * (size_t)i + 1]);
	}
	free(mons);
	free(qargv);
	bl_argv_free(vmargv);
	return 0;
}
