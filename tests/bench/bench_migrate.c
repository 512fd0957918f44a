/*
 * bench_migrate: live migration with "qlaunch migrate" and its defaults
 * against raw QEMU driven over QMP, side by side in one run.
 *
 *   bench_migrate [-q] [-n runs]
 *
 * The guest: the test guest with 1 GiB of memory under TCG, 512 MiB of
 * it filled with non-zero data (as bench_save), and the heartbeat
 * channel (a tick a millisecond from inside the guest).  Idle, then
 * under the dirtying workload (qlstress -s 128 -r 40: 40 MiB/s of page
 * writes over 128 MiB).  Two networks: loopback (both sides in one
 * network namespace, 127.0.0.1) and a veth pair between two namespaces
 * (addresses only inside them).  Each side is a qlaunchd in its
 * namespace (A and C share one, B has the other); the raw QEMUs run in
 * the same namespaces on the same command line ("qlaunch cmdline").
 *
 * Methods, interleaved run by run, each guest going there and back:
 *   qlaunch   qlaunch migrate NAME unix:DEST --listen-address ADDR, its
 *             defaults;
 *   qlaunch --multifd 2  the same with 2 multifd channels, to set beside
 *             raw's multifd (qlaunch's own cost, apart from settings);
 *   raw lifted  the destination started with -incoming defer,
 *             migrate-incoming tcp:ADDR:PORT, migrate-set-parameters
 *             max-bandwidth 1 TiB/s on the source, migrate;
 *   raw lifted + multifd 2  the same with the multifd capability and
 *             multifd-channels 2 on both sides first;
 *   raw default  QEMU's defaults (once per network, idle only: its
 *             bandwidth cap is below the workload's dirty rate, so it
 *             would not converge).
 * Cold: the destination's memory is fresh (faulted in as the pages
 * arrive); warm: the destination runs with -mem-prealloc (qlaunch: a
 * second guest whose definition has "qemu-arg: -mem-prealloc"), its
 * memory faulted in before the migration.
 *
 * Figures: QEMU's total time and downtime (the source's query-migrate),
 * throughput (RAM transferred / total time), and the guest-visible
 * downtime: the gap between the source's last heartbeat tick and the
 * destination's first, both timed on arrival on the host (qlaunch: the
 * supervisors' heartbeat readers, the source's polled every 10 ms while
 * the migration runs; raw: read here from both QEMUs' channel sockets).
 * Medians over the runs, and qlaunch's median over the best raw
 * method's, and each qlaunch method's over raw's with the same QEMU
 * settings.  BENCH_MIGRATE_ONLY="loopback cold" (words of net, load,
 * cold/warm) runs only those cases.  Nothing here judges the times.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "benchlib.h"
#include "config.h"

#define FILL_CMD	"dd if=/dev/urandom of=/run/r bs=1M count=32 " \
	"2>/dev/null; for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do " \
	"cat /run/r; done >/tmp/x; echo FILL-$((6*7))-DONE"
#define FILL_MARK	"FILL-42-DONE"
#define STRESS_ON	"qlstress -s 128 -r 40 >/dev/null 2>&1 & echo ON-$((2*3))"
#define STRESS_OFF	"kill %1; wait; echo OFF-$((2*4))"
#define BANDWIDTH	"1099511627776"
#define ADDR_A		"192.168.233.1"
#define ADDR_B		"192.168.233.2"

enum { NET_LO, NET_VETH, NNET };
enum { LOAD_IDLE, LOAD_DIRTY, NLOAD };
enum { M_QLAUNCH, M_QMULTIFD, M_LIFTED, M_MULTIFD, M_DEFAULT, NMETH };
enum { COLD, WARM, NTEMP };
enum { F_TOTAL, F_DOWN, F_GUEST, F_MBPS, NFIG };

static const char *const net_name[NNET] = { "loopback", "veth" };
static const char *const load_name[NLOAD] = { "idle", "dirtying" };
static const char *const meth_name[NMETH] = { "qlaunch defaults",
    "qlaunch --multifd 2", "raw, bandwidth lifted", "raw, lifted + multifd 2", "raw, QEMU defaults" };
static const char *const temp_name[NTEMP] = { "cold", "warm" };
static const char *const fig_name[NFIG] = { "total ms", "QEMU downtime ms",
    "guest downtime ms", "MiB/s" };

/* every figure in ns (MiB/s stored as value * 1e6) for bl_series */
static struct bl_series fig[NNET][NLOAD][NMETH][NTEMP][NFIG];

static char guest[PATH_MAX], ns_a[32], ns_b[32];
static char sock[3][PATH_MAX];		/* A, B (veth peer), C (loopback peer) */
static int port = 40000;

/* ---- namespaces ---- */

static void
sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void
sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		errx(1, "failed: %s", cmd);
}

static void
netns_cleanup(void)
{
	char cmd[128];

	if (ns_a[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "ip netns del %s 2>/dev/null; "
		    "ip netns del %s 2>/dev/null", ns_a, ns_b);
		if (system(cmd) == -1)
			warn("ip netns del");
	}
}

static void
netns_setup(void)
{
	snprintf(ns_a, sizeof(ns_a), "qlbma%d", (int)getpid());
	snprintf(ns_b, sizeof(ns_b), "qlbmb%d", (int)getpid());
	atexit(netns_cleanup);
	sh("ip netns add %s && ip netns add %s", ns_a, ns_b);
	sh("ip -n %s link set lo up && ip -n %s link set lo up", ns_a, ns_b);
	sh("ip link add qlbmA%d netns %s type veth peer name qlbmB%d netns %s",
	    (int)getpid(), ns_a, (int)getpid(), ns_b);
	sh("ip -n %s addr add " ADDR_A "/24 dev qlbmA%d && ip -n %s link set "
	    "qlbmA%d up", ns_a, (int)getpid(), ns_a, (int)getpid());
	sh("ip -n %s addr add " ADDR_B "/24 dev qlbmB%d && ip -n %s link set "
	    "qlbmB%d up", ns_b, (int)getpid(), ns_b, (int)getpid());
}

/* a qlaunchd in namespace ns, with state dir and socket of its own */
static void
daemon_in(const char *ns, int i)
{
	char st[PATH_MAX], log[PATH_MAX];

	snprintf(st, sizeof(st), "%s/state%d", bl_tmp, i);
	snprintf(sock[i], sizeof(sock[i]), "%s/s%d.sock", bl_tmp, i);
	snprintf(log, sizeof(log), "%s/qlaunchd%d.log", bl_tmp, i);
	char *argv[] = { "/usr/sbin/ip", "netns", "exec", (char *)ns,
	    bl_qlaunchd, "-f", "-q", (char *)bl_qemu, "-s", st, "-S", sock[i],
	    NULL };
	if (access(argv[0], X_OK) == -1)
		argv[0] = "/sbin/ip";
	bl_spawn(argv, log, 0);
	for (int k = 0; k < 200; k++) {
		struct client_conn c;
		char e[256];
		if (client_open(&c, sock[i], 0, e, sizeof(e)) == 0) {
			client_close(&c);
			return;
		}
		bl_sleep_ms(50);
	}
	errx(1, "qlaunchd %d did not come up (see %s)", i, log);
}

static struct json_object *
call(const char *s, const char *cmd, struct json_object *args, int must)
{
	struct client_conn c;
	struct json_object *ret = NULL;
	char ec[64], ed[1024];

	if (client_open(&c, s, 0, ed, sizeof(ed)) == -1)
		errx(1, "%s: %s", s, ed);
	int rc = client_call(&c, cmd, args, &ret, ec, sizeof(ec), ed,
	    sizeof(ed), NULL, NULL);
	client_close(&c);
	if (rc == -1 && must)
		errx(1, "%s: %s: %s", s, cmd, ed);
	return rc == -1 ? NULL : ret != NULL ? ret : json_object_new_object();
}

static long long
jll(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) :
	    -1;
}

/* ---- a guest's console ---- */

static void
console_expect(const char *s, const char *name, const char *cmd,
    const char *want, int quiet_ms)
{
	char *o = NULL;

	for (int i = 0; i < 20; i++) {
		free(o);
		o = bl_console_cmd_at(s, name, cmd, quiet_ms);
		if (strstr(o, want) != NULL) {
			free(o);
			return;
		}
		bl_sleep_ms(300);
	}
	errx(1, "%s: no %s from '%s': %.300s", name, want, cmd, o);
}

/* ---- the raw guest ---- */

struct hb {
	int		 fd;
	uint64_t	 first, last;	/* arrival of ticks, bl_now_ns */
	char		 buf[4096];
	size_t		 len;
};

struct raw {
	pid_t		 pid;
	int		 side;		/* 0: ns_a, 1: ns_b */
	int		 dir;		/* runtime dir r0 or r1 */
	struct bl_line	 qmp;
	struct hb	 hb;
	char		 ser[PATH_MAX];
};

static char **rawargv[2][NTEMP];	/* per runtime dir, cold / warm */

/* the ticks that arrived on h: each line times first and last */
static void
hb_read(struct hb *h)
{
	for (;;) {
		ssize_t n = read(h->fd, h->buf + h->len, sizeof(h->buf) - h->len);
		if (n <= 0)
			return;
		uint64_t now = bl_now_ns();
		h->len += (size_t)n;
		char *nl;
		while ((nl = memchr(h->buf, '\n', h->len)) != NULL) {
			if (strncmp(h->buf, "QLHB ", 5) == 0) {
				if (h->first == 0)
					h->first = now;
				h->last = now;
			}
			size_t k = (size_t)(nl + 1 - h->buf);
			memmove(h->buf, nl + 1, h->len - k);
			h->len -= k;
		}
		if (h->len == sizeof(h->buf))
			h->len = 0;
	}
}

/* read the heartbeats of a and b (b may be NULL) for ms */
static void
hb_pump(struct hb *a, struct hb *b, int ms)
{
	uint64_t end = bl_now_ns() + (uint64_t)ms * 1000000;

	for (;;) {
		struct pollfd p[2] = { { a->fd, POLLIN, 0 },
		    { b != NULL ? b->fd : -1, POLLIN, 0 } };
		int64_t left = (int64_t)(end - bl_now_ns()) / 1000000;
		if (left <= 0)
			return;
		if (poll(p, 2, (int)left) <= 0)
			continue;
		if (p[0].revents)
			hb_read(a);
		if (b != NULL && p[1].revents)
			hb_read(b);
	}
}

static void
hb_open(struct hb *h, char **argv, pid_t pid)
{
	char path[PATH_MAX];

	bl_argv_path(argv, "socket,id=heartbeat0", path, sizeof(path));
	memset(h, 0, sizeof(*h));
	h->fd = bl_unix_connect(path, 20000, pid);
	fcntl(h->fd, F_SETFL, O_NONBLOCK);
}

static char *
qmp(struct bl_line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *
qmp(struct bl_line *l, const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	bl_write_all(l->fd, cmd, (size_t)n);
	bl_write_all(l->fd, "\n", 1);
	char *r = bl_line_reply(l);
	if (strncmp(r, "{\"return\"", 9) != 0)
		errx(1, "raw QEMU: %s: %.300s", cmd, r);
	return r;
}

/* a raw QEMU in the namespace of side, runtime dir dir; -incoming defer */
static void
raw_spawn(struct raw *rq, int side, int dir, int temp, int incoming)
{
	char **v = rawargv[dir][temp], qsock[PATH_MAX], log[PATH_MAX];
	size_t n = 0;

	while (v[n] != NULL)
		n++;
	char **a = calloc(n + 8, sizeof(*a));
	a[0] = "/usr/sbin/ip";
	if (access(a[0], X_OK) == -1)
		a[0] = "/sbin/ip";
	a[1] = "netns";
	a[2] = "exec";
	a[3] = side ? ns_b : ns_a;
	memcpy(a + 4, v, n * sizeof(*a));
	if (incoming) {
		a[4 + n] = "-incoming";
		a[5 + n] = "defer";
	}
	bl_argv_qmp_path(v, qsock, sizeof(qsock));
	bl_argv_path(v, "socket,id=serial0", rq->ser, sizeof(rq->ser));
	unlink(qsock);
	snprintf(log, sizeof(log), "%s/raw%d.log", bl_tmp, dir);
	rq->side = side;
	rq->dir = dir;
	rq->pid = bl_spawn(a, log, 1);
	free(a);
	bl_line_init(&rq->qmp, bl_unix_connect(qsock, 30000, rq->pid));
	bl_qmp_handshake(&rq->qmp);
	hb_open(&rq->hb, v, rq->pid);
}

static void
raw_quit(struct raw *rq)
{
	bl_raw_quit(&rq->qmp, rq->pid, 20000);
	close(rq->hb.fd);
}

/* the raw guest's serial console: cmd, until want (or die) */
static void
raw_console(struct raw *rq, const char *cmd, const char *want, int ms)
{
	int fd = bl_unix_connect(rq->ser, 20000, rq->pid);
	struct bl_match mt = { .len = 0 };
	uint64_t end = bl_now_ns() + (uint64_t)ms * 1000000;

	if (cmd != NULL) {
		bl_write_all(fd, cmd, strlen(cmd));
		bl_write_all(fd, "\n", 1);
	}
	for (;;) {
		struct pollfd p[2] = { { fd, POLLIN, 0 }, { rq->hb.fd, POLLIN, 0 } };
		if (bl_now_ns() > end)
			errx(1, "raw guest: no '%s' in %d ms", want, ms);
		if (poll(p, 2, 200) <= 0)
			continue;
		if (p[1].revents)
			hb_read(&rq->hb);
		if (!p[0].revents)
			continue;
		if (bl_match_read(&mt, fd, want))
			break;
	}
	close(fd);
}

static void
add(struct bl_series *s, double v)
{
	bl_series_add(s, v > 0 ? (uint64_t)(v * 1e6) : 0);
}

/* one raw migration of rq over net with method m; rq becomes the new one */
static void
raw_migrate(struct raw *rq, int net, int load, int m, int temp)
{
	struct raw nq;
	int side = net == NET_LO ? rq->side : !rq->side;
	const char *addr = net == NET_LO ? "127.0.0.1" : side ? ADDR_B : ADDR_A;

	raw_spawn(&nq, side, !rq->dir, temp, 1);
	if (m == M_MULTIFD) {
		const char *caps = "{\"execute\": \"migrate-set-capabilities\", "
		    "\"arguments\": {\"capabilities\": [{\"capability\": "
		    "\"multifd\", \"state\": true}]}}";
		const char *par = "{\"execute\": \"migrate-set-parameters\", "
		    "\"arguments\": {\"multifd-channels\": 2}}";
		qmp(&nq.qmp, "%s", caps);
		qmp(&nq.qmp, "%s", par);
		qmp(&rq->qmp, "%s", caps);
		qmp(&rq->qmp, "%s", par);
	} else
		/* a source that was a multifd destination keeps it on */
		qmp(&rq->qmp, "{\"execute\": \"migrate-set-capabilities\", "
		    "\"arguments\": {\"capabilities\": [{\"capability\": "
		    "\"multifd\", \"state\": false}]}}");
	port++;
	qmp(&nq.qmp, "{\"execute\": \"migrate-incoming\", \"arguments\": "
	    "{\"uri\": \"tcp:%s:%d\"}}", addr, port);
	if (m != M_DEFAULT)
		qmp(&rq->qmp, "{\"execute\": \"migrate-set-parameters\", "
		    "\"arguments\": {\"max-bandwidth\": " BANDWIDTH "}}");
	hb_read(&rq->hb);
	qmp(&rq->qmp, "{\"execute\": \"migrate\", \"arguments\": {\"uri\": "
	    "\"tcp:%s:%d\"}}", addr, port);
	struct json_object *o = NULL;
	int settle = 0;
	for (;;) {
		hb_pump(&rq->hb, &nq.hb, 10);
		char *r = qmp(&rq->qmp, "{\"execute\": \"query-migrate\"}");
		if (strstr(r, "\"failed\"") != NULL)
			errx(1, "raw migration failed: %.300s", r);
		if (strstr(r, "\"completed\"") != NULL) {
			/*
			 * QEMU says completed a moment before it has its
			 * times (total-time 0): asked again, as qlaunch does
			 */
			struct json_object *p = json_tokener_parse(r), *ret;
			if (json_object_object_get_ex(p, "return", &ret) &&
			    jll(ret, "total-time") == 0 && settle++ < 200) {
				json_object_put(p);
				continue;
			}
			o = p;
			break;
		}
	}
	for (;;) {
		char *r = qmp(&nq.qmp, "{\"execute\": \"query-migrate\"}");
		if (strstr(r, "\"completed\"") != NULL)
			break;
		if (strstr(r, "\"failed\"") != NULL)
			errx(1, "raw incoming migration failed: %.300s", r);
		hb_pump(&rq->hb, &nq.hb, 5);
	}
	qmp(&nq.qmp, "{\"execute\": \"cont\"}");
	for (int i = 0; i < 500 && nq.hb.first == 0; i++)
		hb_pump(&rq->hb, &nq.hb, 10);
	struct json_object *ret, *ram;
	json_object_object_get_ex(o, "return", &ret);
	json_object_object_get_ex(ret, "ram", &ram);
	double total = (double)jll(ret, "total-time");
	struct bl_series *f = fig[net][load][m][temp];
	add(&f[F_TOTAL], total);
	add(&f[F_DOWN], (double)jll(ret, "downtime"));
	add(&f[F_GUEST], nq.hb.first && rq->hb.last ?
	    ((double)nq.hb.first - (double)rq->hb.last) / 1e6 : -1);
	add(&f[F_MBPS], total > 0 ? (double)jll(ram, "transferred") /
	    1048576.0 / (total / 1000.0) : 0);
	json_object_put(o);
	raw_quit(rq);
	*rq = nq;
}

/*
 * The raw guest's command line: "cmdline" of the VM defined on A, its
 * runtime directory (A's) replaced by dir, dir/qemu made.
 */
static char **
raw_cmdline(const char *dir)
{
	struct json_object *ret = call(sock[0], "cmdline",
	    bl_name_args("bmraw"), 1), *a;
	char from[PATH_MAX], q[PATH_MAX + 8];

	snprintf(from, sizeof(from), "%s/state0/run/bmraw", bl_tmp);
	snprintf(q, sizeof(q), "%s/qemu", dir);
	if (mkdir(dir, 0700) == -1 || mkdir(q, 0700) == -1)
		err(1, "%s", q);
	if (!json_object_object_get_ex(ret, "argv", &a))
		errx(1, "cmdline: no argv");
	size_t n = json_object_array_length(a);
	char **v = calloc(n + 1, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		const char *s = json_object_get_string(
		    json_object_array_get_idx(a, i));
		const char *hit = strstr(s, from);
		size_t len = strlen(s) + strlen(dir) + 1;
		char *o = calloc(1, len);
		/* every occurrence: a chardev names its path and its log */
		while (hit != NULL) {
			strncat(o, s, (size_t)(hit - s));
			strlcat(o, dir, len);
			s = hit + strlen(from);
			hit = strstr(s, from);
		}
		strlcat(o, s, len);
		v[i] = o;
	}
	json_object_put(ret);
	return v;
}

/* ---- the qlaunch guests ---- */

struct qg {
	const char	*name;
	int		 at;		/* the supervisor it runs on: 0, 1, 2 */
};

static long long
hb_tick(int at, const char *name, const char *key)
{
	struct json_object *r = call(sock[at], "heartbeat",
	    bl_name_args(name), 0);
	long long v = r != NULL ? jll(r, key) : -1;

	json_object_put(r);
	return v;
}

static pid_t
vm_pid_at(int at, const char *name)
{
	struct json_object *r = call(sock[at], "info", bl_name_args(name), 1);
	long long v = jll(r, "pid");

	json_object_put(r);
	return v > 0 ? (pid_t)v : 0;
}

static void
qlaunch_migrate(struct qg *g, int net, int load, int temp, int meth)
{
	int to = net == NET_LO ? (g->at == 0 ? 2 : 0) : (g->at == 0 ? 1 : 0);
	const char *addr = net == NET_LO ? "127.0.0.1" : to == 1 ? ADDR_B :
	    ADDR_A;
	char out[PATH_MAX], dest[PATH_MAX + 8];
	long long last = -1;

	snprintf(out, sizeof(out), "%s/migrate.json", bl_tmp);
	snprintf(dest, sizeof(dest), "unix:%s", sock[to]);
	unlink(out);
	char *argv[] = { bl_qlaunch, "-c", sock[g->at], "migrate",
	    (char *)g->name, dest, "--listen-address", (char *)addr, "--json",
	    meth == M_QMULTIFD ? "--multifd" : NULL, "2", NULL };
	pid_t pid = bl_spawn(argv, out, 0);
	for (;;) {
		long long v = hb_tick(g->at, g->name, "last_tick_us");
		if (v > 0)
			last = v;
		if (waitpid(pid, NULL, WNOHANG) == pid)
			break;
		bl_sleep_ms(10);
	}
	bl_forget_child(pid);
	/* the last JSON object the client printed: the summary */
	size_t len;
	FILE *f = fopen(out, "r");
	char *text = calloc(1, 1 << 20);
	if (f == NULL || text == NULL)
		err(1, "%s", out);
	len = fread(text, 1, (1 << 20) - 1, f);
	fclose(f);
	text[len] = '\0';
	/* progress lines are one line each; the summary is pretty-printed */
	char *start = strncmp(text, "{\n", 2) == 0 ? text : NULL;
	for (char *p = text; (p = strstr(p, "\n{\n")) != NULL; p++)
		start = p + 1;
	struct json_object *o = start != NULL ? json_tokener_parse(start) : NULL;
	if (o == NULL || jll(o, "migration_ms") < 0)
		errx(1, "qlaunch migrate %s: %.400s", g->name, text);
	free(text);
	g->at = to;
	bl_track_foreign(vm_pid_at(to, g->name));
	long long first = -1;
	for (int i = 0; i < 500 && first <= 0; i++) {
		first = hb_tick(to, g->name, "first_tick_us");
		if (first <= 0)
			bl_sleep_ms(10);
	}
	double total = (double)jll(o, "migration_ms");
	struct bl_series *fg = fig[net][load][meth][temp];
	add(&fg[F_TOTAL], total);
	add(&fg[F_DOWN], (double)jll(o, "downtime_ms"));
	add(&fg[F_GUEST], first > 0 && last > 0 ? (double)(first - last) /
	    1000.0 : -1);
	add(&fg[F_MBPS], total > 0 ? (double)jll(o, "data_processed") /
	    1048576.0 / (total / 1000.0) : 0);
	json_object_put(o);
}

/* The benchmark guest's settings: 1 GiB, TCG, the heartbeat channel. */
static struct json_object *
guest_settings(void)
{
	struct json_object *set = bl_guest_settings(guest, "1024");

	json_object_object_add(set, "channel", json_object_new_string(
	    "heartbeat"));
	return set;
}

/* A qlaunch guest on A: created, started, at its shell, memory filled. */
static void
qlaunch_guest(struct qg *g, const char *name, int warm)
{
	struct json_object *a = bl_name_args(name), *set = guest_settings();

	if (warm)
		json_object_object_add(set, "qemu-arg", json_object_new_string(
		    "-mem-prealloc"));
	json_object_object_add(a, "settings", set);
	json_object_object_add(a, "start", json_object_new_boolean(1));
	json_object_put(call(sock[0], "create", a, 1));
	g->name = name;
	g->at = 0;
	bl_track_foreign(vm_pid_at(0, name));
	console_expect(sock[0], name, "echo READY-$((1+1))", "READY-2", 500);
	char *o = bl_console_cmd_at(sock[0], name, FILL_CMD, 60000);
	if (strstr(o, FILL_MARK) == NULL)
		errx(1, "%s did not fill its memory: %.300s", name, o);
	free(o);
}

/*
 * BENCH_MIGRATE_ONLY: words of the cases to run ("loopback cold",
 * "veth dirtying warm"); a dimension none of whose names is given runs
 * all of its values.
 */
static int
case_on(int net, int load, int temp)
{
	const char *only = getenv("BENCH_MIGRATE_ONLY");
	const char *const *dims[3] = { net_name, load_name, temp_name };
	int val[3] = { net, load, temp };

	if (only == NULL || *only == '\0')
		return 1;
	for (int d = 0; d < 3; d++) {
		int named = 0, hit = 0;
		for (int v = 0; v < 2; v++)
			if (strstr(only, dims[d][v]) != NULL) {
				named = 1;
				hit |= v == val[d];
			}
		if (named && !hit)
			return 0;
	}
	return 1;
}

static void
row(const char *what, struct bl_series *s)
{
	if (s->n == 0)
		return;
	printf("    %-26s %9.1f %9.1f %9.1f\n", what, bl_q_ms(s, 0.5),
	    bl_q_ms(s, 0), bl_q_ms(s, 1));
}

static void
report(int runs)
{
	printf("bench_migrate: live migration, %s\n", bl_qemu);
	printf("guest: pc, 1 GiB, tcg,tb-size=32, 512 MiB of its memory "
	    "filled, heartbeat channel; dirtying: qlstress -s 128 -r 40\n");
	printf("%d migration%s per method and case (there and back), "
	    "interleaved; load before: %s\n", runs, runs == 1 ? "" : "s",
	    "see run-bench.sh's line");
	for (int n = 0; n < NNET; n++)
		for (int l = 0; l < NLOAD; l++)
			for (int t = 0; t < NTEMP; t++) {
				if (!case_on(n, l, t))
					continue;
				printf("\n  %s, %s, %s\n", net_name[n],
				    load_name[l], temp_name[t]);
				for (int fi = 0; fi < NFIG; fi++) {
					printf("   %s%*s %9s %9s %9s\n",
					    fig_name[fi], (int)(27 -
					    strlen(fig_name[fi])), "", "median",
					    "min", "max");
					for (int m = 0; m < NMETH; m++)
						row(meth_name[m],
						    &fig[n][l][m][t][fi]);
				}
				/* the best raw method by median total */
				int best = -1;
				for (int m = M_LIFTED; m < NMETH; m++)
					if (fig[n][l][m][t][F_TOTAL].n > 0 &&
					    (best == -1 || bl_q_ms(
					    &fig[n][l][m][t][F_TOTAL], 0.5) <
					    bl_q_ms(&fig[n][l][best][t][F_TOTAL],
					    0.5)))
						best = m;
				if (best == -1 ||
				    fig[n][l][M_QLAUNCH][t][F_TOTAL].n == 0)
					continue;
				printf("   qlaunch / best raw (%s): total %.2fx, "
				    "QEMU downtime %.2fx, guest downtime %.2fx, "
				    "throughput %.2fx\n", meth_name[best],
				    bl_ratio(bl_q_ms(&fig[n][l][M_QLAUNCH][t]
				    [F_TOTAL], 0.5), bl_q_ms(&fig[n][l][best][t]
				    [F_TOTAL], 0.5)),
				    bl_ratio(bl_q_ms(&fig[n][l][M_QLAUNCH][t]
				    [F_DOWN], 0.5), bl_q_ms(&fig[n][l][best][t]
				    [F_DOWN], 0.5)),
				    bl_ratio(bl_q_ms(&fig[n][l][M_QLAUNCH][t]
				    [F_GUEST], 0.5), bl_q_ms(&fig[n][l][best][t]
				    [F_GUEST], 0.5)),
				    bl_ratio(bl_q_ms(&fig[n][l][M_QLAUNCH][t]
				    [F_MBPS], 0.5), bl_q_ms(&fig[n][l][best][t]
				    [F_MBPS], 0.5)));
				/* the same QEMU settings: what qlaunch adds */
				for (int m = M_QLAUNCH; m <= M_QMULTIFD; m++)
					printf("   %s / raw with its settings: "
					    "total %.2fx\n", meth_name[m],
					    bl_ratio(bl_q_ms(&fig[n][l][m][t]
					    [F_TOTAL], 0.5), bl_q_ms(&fig[n][l]
					    [m == M_QLAUNCH ? M_LIFTED : M_MULTIFD]
					    [t][F_TOTAL], 0.5)));
			}
	printf("\n(total and QEMU downtime: the source QEMU's query-migrate; "
	    "guest downtime: the\nsource's last heartbeat tick to the "
	    "destination's first, timed on arrival;\nMiB/s: RAM transferred "
	    "over total time.  Warm: the destination runs with\n"
	    "-mem-prealloc.)\n");
}

int
main(int argc, char **argv)
{
	int runs = 2, warmup = 0;

	bl_run_options(argc, argv, "bench_migrate", &runs, &warmup, 1);
	if (geteuid() != 0) {
		printf("bench_migrate: needs root (network namespaces): "
		    "skipped\n");
		return 0;
	}
	bl_init("bench_migrate");
	bl_guest_dir(guest, sizeof(guest));
	for (int n = 0; n < NNET; n++)
		for (int l = 0; l < NLOAD; l++)
			for (int m = 0; m < NMETH; m++)
				for (int t = 0; t < NTEMP; t++)
					for (int f = 0; f < NFIG; f++)
						bl_series_init(&fig[n][l][m][t]
						    [f], fig_name[f]);
	netns_setup();
	daemon_in(ns_a, 0);
	daemon_in(ns_b, 1);
	daemon_in(ns_a, 2);

	/* the raw guest's command lines: a VM defined (never started) on A */
	struct qg qc, qw;
	struct json_object *a = bl_name_args("bmraw");
	json_object_object_add(a, "settings", guest_settings());
	json_object_put(call(sock[0], "create", a, 1));
	for (int d = 0; d < 2; d++) {
		char dir[PATH_MAX + 8];
		snprintf(dir, sizeof(dir), "%s/r%d", bl_tmp, d);
		rawargv[d][COLD] = raw_cmdline(dir);
		size_t n = 0;
		while (rawargv[d][COLD][n] != NULL)
			n++;
		char **w = calloc(n + 2, sizeof(*w));
		for (size_t j = 0; j < n; j++)
			w[j] = strdup(rawargv[d][COLD][j]);
		w[n] = strdup("-mem-prealloc");
		rawargv[d][WARM] = w;
	}

	fprintf(stderr, "bench_migrate: booting three guests and filling 512 "
	    "MiB of their memory\n");
	struct raw rq;
	raw_spawn(&rq, 0, 0, COLD, 0);
	qmp(&rq.qmp, "{\"execute\": \"cont\"}");
	raw_console(&rq, NULL, "QLAUNCH-GUEST-READY", 120000);
	bl_sleep_ms(500);
	raw_console(&rq, FILL_CMD, FILL_MARK, 600000);
	qlaunch_guest(&qc, "bmcold", 0);
	qlaunch_guest(&qw, "bmwarm", 1);

	for (int n = 0; n < NNET; n++) {
		for (int l = 0; l < NLOAD; l++) {
			if (!case_on(n, l, COLD) && !case_on(n, l, WARM))
				continue;
			fprintf(stderr, "bench_migrate: %s, %s\n", net_name[n],
			    load_name[l]);
			if (l == LOAD_DIRTY) {
				raw_console(&rq, STRESS_ON, "ON-6", 20000);
				console_expect(sock[qc.at], qc.name, STRESS_ON,
				    "ON-6", 1000);
				console_expect(sock[qw.at], qw.name, STRESS_ON,
				    "ON-6", 1000);
				bl_sleep_ms(2000);
			}
			/* the raw defaults: once there and back, idle, cold */
			if (l == LOAD_IDLE && case_on(n, l, COLD))
				for (int r = 0; r < 2; r++)
					raw_migrate(&rq, n, l, M_DEFAULT, COLD);
			/* each method cold and warm, in turn, rotating */
			for (int r = 0; r < runs * 2; r++) {
				for (int k2 = 0; k2 < 2 * M_DEFAULT; k2++) {
					int k = (r + k2) % (2 * M_DEFAULT);
					int m = k / 2, t = k % 2 ? WARM : COLD;
					if (!case_on(n, l, t))
						continue;
					if (m == M_QLAUNCH || m == M_QMULTIFD)
						qlaunch_migrate(t == WARM ? &qw :
						    &qc, n, l, t, m);
					else
						raw_migrate(&rq, n, l, m, t);
				}
			}
			if (l == LOAD_DIRTY) {
				raw_console(&rq, STRESS_OFF, "OFF-8", 20000);
				console_expect(sock[qc.at], qc.name, STRESS_OFF,
				    "OFF-8", 1000);
				console_expect(sock[qw.at], qw.name, STRESS_OFF,
				    "OFF-8", 1000);
			}
		}
	}
	report(runs * 2);
	raw_quit(&rq);
	json_object_put(call(sock[qc.at], "destroy", bl_name_args(qc.name), 0));
	json_object_put(call(sock[qw.at], "destroy", bl_name_args(qw.name), 0));
	for (int d = 0; d < 2; d++)
		for (int t = 0; t < NTEMP; t++)
			bl_argv_free(rawargv[d][t]);
	return 0;
}
