/*
 * bench_stats: the cost of stats polling.  N small VMs (real QEMUs,
 * paused, TCG, 64 MiB, a 1 GiB qcow2 disk each) are watched by one
 * stats-watch client every DELAY for SECONDS: qlaunchd's CPU time (from
 * /proc) against its QEMUs' own, the CPU they spent answering the very
 * queries qlaunchd sent (query-cpus-fast, query-blockstats,
 * query-balloon, qom-get guest-stats: their CPU while watched minus
 * their CPU over as long a time unwatched), printed per VM sample and as
 * a ratio.  Then the watcher leaves, and qlaunchd's CPU over an idle
 * window shows that the timer stopped.
 *
 *   bench_stats [-q] [-m VMS] [-d DELAY_MS] [-s SECONDS]
 *
 * The figure is 100 VMs (the default); -q takes 10 VMs for
 * 3 s.  Everything is destroyed at the end, also on failure (benchlib).
 */
#include <sys/types.h>

#include <err.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "benchlib.h"
#include "client.h"
#include "jget.h"
#include "proc.h"

#define MAXVMS	500

static long long
qemus_cpu_ms(const pid_t *pids, int n)
{
	long long s = 0;

	for (int i = 0; i < n; i++) {
		long long ms = proc_cputime_ms(pids[i]);
		if (ms < 0)
			errx(1, "QEMU %d is gone", (int)pids[i]);
		s += ms;
	}
	return s;
}

static pid_t
create_vm(struct client_conn *c, const char *name)
{
	struct json_object *a = bl_name_args(name),
	    *set = json_object_new_object();
	char disk[PATH_MAX + 64];

	snprintf(disk, sizeof(disk), "path=%s/%s.qcow2,size=1,format=qcow2",
	    bl_tmp, name);
	json_object_object_add(set, "memory", json_object_new_string("64"));
	json_object_object_add(set, "accel",
	    json_object_new_string("tcg,tb-size=32"));
	json_object_object_add(set, "disk", json_object_new_string(disk));
	json_object_object_add(a, "settings", set);
	json_object_object_add(a, "start", json_object_new_boolean(1));
	json_object_object_add(a, "paused", json_object_new_boolean(1));
	json_object_put(bl_call(c, "create", a));
	pid_t pid = bl_vm_pid(c, name);
	if (pid <= 0)
		errx(1, "%s: no QEMU", name);
	bl_track_foreign(pid);
	return pid;
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench_stats [-q] [-m vms] [-d delay-ms] "
	    "[-s seconds]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	int nvms = 100, delay_ms = 1000, secs = 10, ch, quick = bl_quick_env();

	while ((ch = getopt(argc, argv, "qm:d:s:h")) != -1) {
		switch (ch) {
		case 'q':
			quick = 1;
			break;
		case 'm':
			nvms = (int)bl_optnum("vms", optarg, 1, MAXVMS, NULL);
			break;
		case 'd':
			delay_ms = (int)bl_optnum("delay", optarg, 100,
			    60000, "ms");
			break;
		case 's':
			secs = (int)bl_optnum("seconds", optarg, 1, 3600, NULL);
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (quick) {
		nvms = nvms < 10 ? nvms : 10;
		secs = 3;
	}

	bl_init("bench_stats");
	pid_t d = bl_daemon_start();
	struct client_conn c, w;
	bl_connect(&c);
	pid_t *pids = calloc((size_t)nvms, sizeof(*pids));
	if (pids == NULL)
		err(1, "calloc");
	uint64_t t0 = bl_now_ns();
	for (int i = 0; i < nvms; i++) {
		char name[32];
		snprintf(name, sizeof(name), "st%03d", i + 1);
		pids[i] = create_vm(&c, name);
	}
	printf("bench_stats: %d VMs (paused, tcg, 64 MiB, one qcow2 disk) "
	    "created in %.1f s; watched every %d ms for %d s\n", nvms,
	    (double)(bl_now_ns() - t0) / 1e9, delay_ms, secs);
	bl_sleep_ms(1000);

	/* unwatched: nothing polled; the QEMUs' own idle CPU */
	long long d0 = proc_cputime_ms(d), q0 = qemus_cpu_ms(pids, nvms);
	bl_sleep_ms(secs * 1000);
	long long idle_d = proc_cputime_ms(d) - d0,
	    idle_q = qemus_cpu_ms(pids, nvms) - q0;

	/* watched */
	bl_connect(&w);
	struct json_object *args = json_object_new_object();
	json_object_object_add(args, "delay_ms", json_object_new_int64(
	    delay_ms));
	d0 = proc_cputime_ms(d);
	q0 = qemus_cpu_ms(pids, nvms);
	if (client_send(&w, "stats-watch", args) == -1)
		err(1, "stats-watch");
	long long events = 0, samples = 0, stale = 0;
	uint64_t end = bl_now_ns() + (uint64_t)secs * 1000000000ULL;
	while (bl_now_ns() < end) {
		int left = (int)((end - bl_now_ns()) / 1000000);
		struct json_object *m = client_next_event(&w, left > 0 ?
		    left : 0), *vms;
		if (m == NULL)
			continue;
		if (jget(m, "error") != NULL)
			errx(1, "stats-watch: %s", json_object_to_json_string(
			    m));
		vms = jget(jget(m, "data"), "vms");
		events++;
		for (size_t i = 0; vms != NULL &&
		    i < json_object_array_length(vms); i++) {
			struct json_object *v = json_object_array_get_idx(vms,
			    i);
			samples += jget(v, "rates") != NULL;
			stale += jget(v, "stale") != NULL;
		}
		json_object_put(m);
	}
	long long watch_d = proc_cputime_ms(d) - d0,
	    watch_q = qemus_cpu_ms(pids, nvms) - q0;
	client_close(&w);

	/* the watcher left: the timer stops */
	bl_sleep_ms(2 * delay_ms);
	d0 = proc_cputime_ms(d);
	bl_sleep_ms(secs * 1000);
	long long after_d = proc_cputime_ms(d) - d0;

	/*
	 * one sample = one VM in one round; the rounds are the events and
	 * the baseline (the first round, sent to nobody)
	 */
	long long polls = (events + 1) * nvms;
	double qemu_ms = (double)(watch_q - idle_q);
	printf("  events %lld, VM samples with rates %lld (stale %lld), "
	    "VM samples taken %lld\n", events, samples, stale, polls);
	printf("  %-34s %10s %10s\n", "CPU ms over the window", "qlaunchd",
	    "QEMUs");
	printf("  %-34s %10lld %10lld\n", "unwatched", idle_d, idle_q);
	printf("  %-34s %10lld %10lld\n", "watched", watch_d, watch_q);
	printf("  %-34s %10lld %10s\n", "after the watcher left", after_d,
	    "-");
	printf("  %-34s %10.1f %10.1f\n", "per VM sample, us",
	    (double)(watch_d - idle_d) * 1000 / (double)polls,
	    qemu_ms * 1000 / (double)polls);
	printf("  %-34s %9.2f%% %9.2f%%\n", "of one CPU while watched",
	    (double)watch_d / (secs * 10.0), (double)watch_q / (secs * 10.0));
	printf("  ratio qlaunchd / QEMUs answering the queries: %.2fx%s\n",
	    qemu_ms > 0 ? (double)(watch_d - idle_d) / qemu_ms : 0,
	    qemu_ms > 0 ? "" : " (the QEMUs' extra CPU was below /proc's "
	    "10 ms resolution)");
	return 0;
}
