/*
 * bench_hostile: a hostile guest against the supervisor's answers to the
 * other VMs (issue 12).
 *
 *   bench_hostile [-q] [-v quiet-VMs] [-r rounds] [-d seconds]
 *
 * N quiet VMs (-v, 8: 64 MiB, TCG, paused, so qlaunchd holds their QMP
 * connections) and one hostile VM, the test guest with the heartbeat
 * channel and the guest agent's port (both virtio-serial), its own
 * heartbeat writer and agent stopped.  One client asks qlaunchd about the
 * quiet VMs, one request every 2 ms in turn: state, info (a QMP query),
 * list --all and domstats (QMP queries and /proc), timing each.  Phases of
 * -d (4) seconds, -r (3) rounds of each, interleaved in one run:
 *
 *   quiet      the hostile guest idle: the baseline;
 *   console    it floods its serial console (yes, as fast as TCG goes;
 *              QEMU writes it to console.log, qlaunchd caps that file);
 *   heartbeat  it floods the heartbeat port with garbage lines, which
 *              qlaunchd reads all the time;
 *   agent      it floods the agent port with garbage, while a second client
 *              keeps calling agent-info on it (so qlaunchd reads the flood
 *              until it gives up on the agent);
 *   events     it writes the RTC (hwclock -w: RTC_CHANGE) and opens and
 *              closes both ports (VSERPORT_CHANGE) in a loop: QEMU's QMP
 *              events at the rate QEMU lets them out (it throttles both
 *              to one a second per port), counted by a subscriber.
 *
 * Prints per phase the latency (median, p99, max), requests answered, and
 * qlaunchd's and the hostile QEMU's CPU time, then p99 and median of each
 * flood phase against the quiet one as ratios.  Nothing here judges them.
 */
#include <sys/types.h>

#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "benchlib.h"

#define HOSTILE		"hx"
#define MAXQUIET	64
#define PACE_NS		2000000ULL	/* a request every 2 ms */

enum phase { P_QUIET, P_CONSOLE, P_HEARTBEAT, P_AGENT, P_EVENTS, NPHASE };

static const struct {
	const char	*name;
	const char	*guest;		/* the guest's command, %d: seconds */
} phases[NPHASE] = {
	{ "quiet",	NULL },
	{ "console",	"setsid sh -c 'sleep 1; timeout %d yes "
	    "flood-flood-flood-flood-flood-flood-flood-flood-flood' &" },
	{ "heartbeat",	"setsid sh -c 'sleep 1; timeout %d yes "
	    "garbage{tick:-1,x:yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy} >'$HB &" },
	{ "agent",	"setsid sh -c 'sleep 1; timeout %d yes "
	    "{return:garbage,garbage,garbage,garbage} >'$GA &" },
	{ "events",	"setsid sh -c 'sleep 1; timeout %d sh -c \"while :; do "
	    "hwclock -w; : >$0; : >$1; done\"' $HB $GA &" },
};

/*
 * Before each phase's command: the ports' device nodes in HB and GA.  The
 * floods run in sessions of their own, since timeout's signal would
 * otherwise reach the console's shell (no job control there).
 */
#define PORTS	"for p in /sys/class/virtio-ports/*; do case $(cat $p/name) " \
	"in *heartbeat*) HB=/dev/${p##*/};; *guest_agent*) " \
	"GA=/dev/${p##*/};; esac; done; "

struct stat_phase {
	struct bl_series	 lat;
	long long		 dcpu_ms, qcpu_ms;	/* qlaunchd, hostile QEMU */
	long long		 events, answered, failed;
};

static void
usage(void)
{
	fprintf(stderr, "usage: bench_hostile [-q] [-v quiet-VMs] "
	    "[-r rounds] [-d seconds]\n");
	exit(2);
}

/* utime + stime of a process, in ms */
static long long
cpu_ms(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	if (p == NULL || (p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
	    "%llu %llu", &ut, &st) != 2)
		return -1;
	return (long long)((ut + st) * 1000 / (unsigned long long)
	    sysconf(_SC_CLK_TCK));
}

/* Type cmd on the hostile guest's console until its output holds want. */
static void
guest_expect(const char *cmd, const char *want)
{
	for (int i = 0; i < 100; i++) {
		char *o = bl_console_cmd(HOSTILE, cmd, 400);
		int ok = strstr(o, want) != NULL;
		free(o);
		if (ok)
			return;
		bl_sleep_ms(300);
	}
	errx(1, "the hostile guest never printed %s for: %s", want, cmd);
}

static void
hostile_up(struct client_conn *c)
{
	char guest[4096];
	struct json_object *a = bl_name_args(HOSTILE), *set;

	bl_guest_dir(guest, sizeof(guest));
	set = bl_guest_settings(guest, "128");
	json_object_object_add(set, "channel",
	    json_object_new_string("heartbeat"));
	json_object_object_add(set, "guest-agent",
	    json_object_new_string("on"));
	json_object_object_add(a, "settings", set);
	json_object_object_add(a, "start", json_object_new_boolean(1));
	json_object_put(bl_call(c, "create", a));
	bl_track_foreign(bl_vm_pid(c, HOSTILE));
	guest_expect("echo READY-$((20+22))", "READY-42");
	/* its own writers off; the ports' device nodes in HB and GA */
	guest_expect("kill $(pidof qlstress) $(pidof qlagent) 2>/dev/null; "
	    "sleep 0.5; " PORTS "[ -c \"$HB\" ] && [ -c \"$GA\" ] && "
	    "echo PORTS-$((6*7))", "PORTS-42");
}

/* One request about a quiet VM, timed; 0, or -1 when it failed. */
static int
ask(struct client_conn *c, const char *vm, unsigned k, uint64_t *ns)
{
	static const char *const cmds[] = { "state", "info", "list",
	    "domstats" };
	const char *cmd = cmds[k % 4];
	struct json_object *args, *ret = NULL;
	char e[256];
	int rc;

	if (k % 4 == 2) {
		args = json_object_new_object();
		json_object_object_add(args, "all",
		    json_object_new_boolean(1));
	} else if (k % 4 == 3) {
		struct json_object *n = json_object_new_array();
		json_object_array_add(n, json_object_new_string(vm));
		args = json_object_new_object();
		json_object_object_add(args, "names", n);
	} else
		args = bl_name_args(vm);
	uint64_t t0 = bl_now_ns();
	rc = bl_try(c, cmd, args, &ret, e, sizeof(e));
	*ns = bl_now_ns() - t0;
	json_object_put(ret);
	if (rc == -1)
		warnx("%s %s: %s", cmd, vm, e);
	return rc;
}

static long long
drain_events(struct client_conn *ev)
{
	struct json_object *m;
	long long n = 0;

	while ((m = client_next_event(ev, 0)) != NULL) {
		n++;
		json_object_put(m);
	}
	return n;
}

static void
run_phase(struct client_conn *c, struct client_conn *ev, char **quiet,
    int nquiet, enum phase p, int secs, pid_t qpid, struct stat_phase *st)
{
	char cmd[1024];
	pid_t agentc = -1;

	if (phases[p].guest != NULL) {
		int n = snprintf(cmd, sizeof(cmd), "%s", PORTS);
		snprintf(cmd + n, sizeof(cmd) - (size_t)n, phases[p].guest,
		    secs);
		free(bl_console_cmd(HOSTILE, cmd, 300));
		/* the guest's sleep 1 */
		bl_sleep_ms(1200);
	}
	if (p == P_AGENT) {
		char t[16];
		snprintf(t, sizeof(t), "%d", secs);
		char *argv[] = { "/usr/bin/timeout", t, "/bin/sh", "-c", "while :; do "
		    "\"$0\" agent-info " HOSTILE " --timeout 1; done",
		    bl_qlaunch, NULL };
		agentc = bl_spawn(argv, NULL, 0);
	}
	drain_events(ev);
	long long d0 = cpu_ms(bl_daemon_pid()), q0 = cpu_ms(qpid);
	uint64_t start = bl_now_ns(), end = start + (uint64_t)secs *
	    1000000000ULL * 8 / 10, next = start;
	unsigned k = 0;
	while (bl_now_ns() < end) {
		uint64_t ns;
		if (ask(c, quiet[k % (unsigned)nquiet], k / (unsigned)nquiet,
		    &ns) == 0) {
			bl_series_add(&st->lat, ns);
			st->answered++;
		} else
			st->failed++;
		k++;
		st->events += drain_events(ev);
		next += PACE_NS;
		uint64_t now = bl_now_ns();
		if (next > now)
			usleep((useconds_t)((next - now) / 1000));
		else
			next = now;
	}
	st->dcpu_ms += cpu_ms(bl_daemon_pid()) - d0;
	st->qcpu_ms += cpu_ms(qpid) - q0;
	if (agentc != -1)
		bl_wait(agentc, (secs + 5) * 1000);
	/* the flood's end (its timeout) and the guest's console calm again */
	if (phases[p].guest != NULL)
		bl_sleep_ms(secs * 1000 * 2 / 10 + 800);
	st->events += drain_events(ev);
}

int
main(int argc, char **argv)
{
	int nquiet = 8, rounds = 3, secs = 4, ch;
	int quick = bl_quick_env();

	while ((ch = getopt(argc, argv, "qv:r:d:h")) != -1) {
		switch (ch) {
		case 'q':
			quick = 1;
			break;
		case 'v':
			nquiet = (int)bl_optnum("quiet VMs", optarg, 1,
			    MAXQUIET, NULL);
			break;
		case 'r':
			rounds = (int)bl_optnum("rounds", optarg, 1, 100,
			    NULL);
			break;
		case 'd':
			secs = (int)bl_optnum("seconds", optarg, 2, 600,
			    "s");
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (quick) {
		rounds = 1;
		secs = secs < 3 ? secs : 3;
		nquiet = nquiet < 4 ? nquiet : 4;
	}

	bl_init("bench_hostile");
	bl_daemon_start();
	struct client_conn c, ev;
	bl_connect(&c);
	bl_connect(&ev);
	char *quiet[MAXQUIET];
	for (int i = 0; i < nquiet; i++) {
		if (asprintf(&quiet[i], "bq%d", i) == -1)
			err(1, "asprintf");
		bl_vm_create(&c, quiet[i], 1, 1);
	}
	hostile_up(&c);
	pid_t qpid = bl_vm_pid(&c, HOSTILE);
	json_object_put(bl_call(&ev, "subscribe", bl_name_args(HOSTILE)));

	struct stat_phase st[NPHASE];
	memset(st, 0, sizeof(st));
	for (int p = 0; p < NPHASE; p++)
		bl_series_init(&st[p].lat, phases[p].name);
	for (int r = 0; r < rounds; r++)
		for (int p = 0; p < NPHASE; p++) {
			run_phase(&c, &ev, quiet, nquiet, (enum phase)p, secs,
			    qpid, &st[p]);
			if (!bl_alive(qpid))
				errx(1, "the hostile QEMU died in phase %s",
				    phases[p].name);
		}
	/* the hostile guest is still itself after all that */
	guest_expect("echo ALIVE-$((40+2))", "ALIVE-42");

	printf("%d quiet VMs (paused), one hostile guest; %d rounds of %d s "
	    "phases; a request every %llu ms (state, info, list --all, "
	    "domstats)\n", nquiet, rounds, secs, PACE_NS / 1000000);
	printf("  %-10s %9s %9s %9s %9s %6s %7s %8s %8s\n", "phase", "median",
	    "p99", "max", "answered", "failed", "events", "qlaunchd",
	    "QEMU");
	for (int p = 0; p < NPHASE; p++) {
		struct stat_phase *s = &st[p];
		if (s->lat.n == 0)
			errx(1, "phase %s: no answer at all", phases[p].name);
		printf("  %-10s %6.3f ms %6.3f ms %6.2f ms %9lld %6lld %7lld "
		    "%5lld ms %5lld ms\n", phases[p].name,
		    bl_q_ms(&s->lat, 0.5), bl_q_ms(&s->lat, 0.99),
		    bl_q_ms(&s->lat, 1.0), s->answered, s->failed, s->events,
		    s->dcpu_ms, s->qcpu_ms);
	}
	printf("  flood against quiet (p99 ratio, median ratio):\n");
	for (int p = 1; p < NPHASE; p++)
		printf("    %-10s p99 %5.2fx   median %5.2fx\n", phases[p].name,
		    bl_ratio(bl_q_ms(&st[p].lat, 0.99),
		    bl_q_ms(&st[P_QUIET].lat, 0.99)),
		    bl_ratio(bl_q_ms(&st[p].lat, 0.5),
		    bl_q_ms(&st[P_QUIET].lat, 0.5)));
	for (int p = 0; p < NPHASE; p++)
		bl_series_free(&st[p].lat);
	for (int i = 0; i < nquiet; i++)
		free(quiet[i]);
	client_close(&ev);
	client_close(&c);
	return 0;
}
