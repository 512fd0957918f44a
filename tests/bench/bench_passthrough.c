/*
 * bench_passthrough: a QMP command through qlaunchd ("qmp" on the control
 * socket, which qlaunchd forwards on its QMP connection to the VM and
 * answers with QEMU's reply), against the same command on a QEMU's own
 * QMP socket (the baseline), in the same run.
 *
 *   bench_passthrough [-q] [-n count] [-r rounds]
 *
 * QEMU's QMP socket takes one client and qlaunchd holds the VM's, so the
 * baseline is a second QEMU started by hand with the VM's command line
 * (from "cmdline", with its own runtime directory): same machine, same
 * devices, stopped at -S like the VM (started --paused).  Both are driven
 * by the same minimal blocking line client from one persistent
 * connection each (process start not counted), one request at a time,
 * in interleaved rounds.  Two more rows help read the difference:
 * "state" (the control hop alone, QEMU not involved) and the "qmp"
 * request through liblaunch's client_call.  Nothing here judges the
 * times.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "benchlib.h"

#define VM	"bp1"
#define NM	4

enum { M_PASS, M_RAW, M_STATE, M_LIB };

static const char pass_req[] =
    "{\"id\": 1, \"execute\": \"qmp\", \"arguments\": {\"name\": \"" VM
    "\", \"command\": \"query-status\"}}\n";
static const char state_req[] =
    "{\"id\": 1, \"execute\": \"state\", \"arguments\": {\"name\": \"" VM
    "\"}}\n";
static const char raw_req[] = "{\"execute\": \"query-status\", \"id\": 1}\n";

struct lc {
	struct bl_line	 l;
	const char	*req;
	size_t		 reqlen;
	const char	*want;	/* in every reply */
};

static void
lc_run(struct lc *c, size_t n, struct bl_series *s)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t t0 = bl_now_ns();
		bl_write_all(c->l.fd, c->req, c->reqlen);
		const char *r = bl_line_reply(&c->l);
		uint64_t t1 = bl_now_ns();
		if (strstr(r, c->want) == NULL)
			errx(1, "unexpected reply to %.70s: %.200s", c->req, r);
		if (s != NULL)
			bl_series_add(s, t1 - t0);
	}
}

static void
lib_run(struct client_conn *c, size_t n, struct bl_series *s)
{
	for (size_t i = 0; i < n; i++) {
		struct json_object *a = bl_name_args(VM), *ret, *st;
		json_object_object_add(a, "command",
		    json_object_new_string("query-status"));
		uint64_t t0 = bl_now_ns();
		ret = bl_call(c, "qmp", a);
		uint64_t t1 = bl_now_ns();
		if (!json_object_object_get_ex(ret, "status", &st))
			errx(1, "qmp query-status: no status in the reply");
		json_object_put(ret);
		if (s != NULL)
			bl_series_add(s, t1 - t0);
	}
}

static void
run(int m, struct lc *lc, struct client_conn *lib, size_t n,
    struct bl_series *s)
{
	if (m == M_LIB)
		lib_run(lib, n, s);
	else
		lc_run(&lc[m], n, s);
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench_passthrough [-q] [-n count] "
	    "[-r rounds]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	size_t count = 10000, rounds = 5;
	int ch, quick = bl_quick_env();

	while ((ch = getopt(argc, argv, "qn:r:h")) != -1) {
		switch (ch) {
		case 'q':
			quick = 1;
			break;
		case 'n':
			count = (size_t)bl_optnum("count", optarg, 1,
			    100000000, NULL);
			break;
		case 'r':
			rounds = (size_t)bl_optnum("rounds", optarg, 1,
			    1000, NULL);
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (quick && count > 1000)
		count = 1000;
	if (rounds > count)
		rounds = count;
	size_t warm = count / 10 > 0 ? count / 10 : 1;

	bl_init("bench_passthrough");
	bl_daemon_start();
	struct client_conn lib;
	bl_connect(&lib);
	bl_vm_create(&lib, VM, 1, 1);

	char rawdir[4096], log[4200], qmpsock[4200];
	snprintf(rawdir, sizeof(rawdir), "%s/raw", bl_tmp);
	if (mkdir(rawdir, 0700) == -1)
		err(1, "%s", rawdir);
	char **qargv = bl_vm_cmdline(&lib, VM, rawdir);
	bl_argv_qmp_path(qargv, qmpsock, sizeof(qmpsock));
	snprintf(log, sizeof(log), "%s/qemu.log", rawdir);
	pid_t qemu = bl_spawn(qargv, log, 1);

	struct lc lc[3];
	for (int m = 0; m < 3; m++) {
		if (m == M_RAW) {
			bl_line_init(&lc[m].l, bl_unix_connect(qmpsock, 20000,
			    qemu));
			bl_qmp_handshake(&lc[m].l);
		} else
			bl_line_init(&lc[m].l, bl_unix_connect(bl_sock, 5000, 0));
	}
	lc[M_PASS].req = pass_req;
	lc[M_PASS].want = "\"prelaunch\"";
	lc[M_RAW].req = raw_req;
	lc[M_RAW].want = "\"prelaunch\"";
	lc[M_STATE].req = state_req;
	lc[M_STATE].want = "\"return\"";
	for (int m = 0; m < 3; m++)
		lc[m].reqlen = strlen(lc[m].req);

	struct bl_series s[NM];
	bl_series_init(&s[M_PASS], "qlaunchd \"qmp\" query-status");
	bl_series_init(&s[M_RAW], "raw QMP query-status (baseline)");
	bl_series_init(&s[M_STATE], "qlaunchd \"state\" (control hop only)");
	bl_series_init(&s[M_LIB], "qlaunchd \"qmp\" via liblaunch");

	for (int m = 0; m < NM; m++)
		run(m, lc, &lib, warm, NULL);
	for (size_t r = 0; r < rounds; r++) {
		size_t n = count / rounds + (r < count % rounds);
		for (int k = 0; k < NM; k++) {
			int m = (int)((r + (size_t)k) % NM);
			run(m, lc, &lib, n, &s[m]);
		}
	}

	printf("bench_passthrough: QMP query-status through qlaunchd against "
	    "QEMU's own socket\n%s, VM: pc, 64 MiB, tcg,tb-size=32, stopped "
	    "(-S)\n%zu requests per row after %zu warm-up, %zu interleaved "
	    "rounds, one persistent\nconnection each, one request at a time\n\n",
	    bl_qemu, count, warm, rounds);
	printf("  %-40s %9s %9s %9s %10s\n", "round trip", "median us",
	    "p90 us", "p99 us", "req/s");
	int order[NM] = { M_RAW, M_PASS, M_LIB, M_STATE };
	for (int i = 0; i < NM; i++) {
		struct bl_series *x = &s[order[i]];
		double sum = 0;
		for (size_t j = 0; j < x->n; j++)
			sum += (double)x->v[j];
		printf("  %-40s %9.1f %9.1f %9.1f %10.0f\n", x->name,
		    bl_q_us(x, 0.5), bl_q_us(x, 0.9), bl_q_us(x, 0.99),
		    sum > 0 ? (double)x->n / (sum / 1e9) : 0);
	}
	double pm = bl_q_us(&s[M_PASS], 0.5), rm = bl_q_us(&s[M_RAW], 0.5);
	double p99 = bl_q_us(&s[M_PASS], 0.99), r99 = bl_q_us(&s[M_RAW], 0.99);
	printf("\n  %-40s %8.2fx %19.2fx\n", "ratio qmp through qlaunchd / raw",
	    bl_ratio(pm, rm), bl_ratio(p99, r99));
	printf("  %-40s %+8.1f us %+17.1f us\n", "difference", pm - rm,
	    p99 - r99);
	printf("\n(ratio > 1: the pass-through is slower; the extra hop is "
	    "the control socket,\nqlaunchd's dispatch and its own QMP "
	    "connection to the VM)\n");

	for (int m = 0; m < NM; m++)
		bl_series_free(&s[m]);
	for (int m = 0; m < 3; m++)
		if (m != M_RAW)
			bl_line_close(&lc[m].l);
	static const char quit[] = "{\"execute\": \"quit\"}\n";
	bl_write_all(lc[M_RAW].l.fd, quit, sizeof(quit) - 1);
	char buf[4096];
	while (read(lc[M_RAW].l.fd, buf, sizeof(buf)) > 0)
		;
	bl_line_close(&lc[M_RAW].l);
	if (bl_wait(qemu, 10000) == -1)
		warnx("the baseline QEMU did not quit; killed it");
	bl_vm_destroy(&lib, VM);
	client_close(&lib);
	bl_argv_free(qargv);
	return 0;
}
