/*
 * bench_scale: qlaunchd with many VMs.  Its memory (RSS, and PSS and
 * private memory from /proc/PID/smaps_rollup) with 0, 10 and 100 paused
 * VMs, after destroying and after undefining them all (does it give the
 * memory back?), its CPU time while idle with all of them, and the time
 * of "qlaunch list --all" at each size; printed per VM.
 *
 *   bench_scale [-q] [-m max-vms] [-n runs]
 *
 * Then one VM is started and destroyed as many times, to see whether
 * each cycle leaves memory behind.
 *
 * Each VM: create NAME --memory 64 --accel tcg,tb-size=32 --start
 * --paused, one after another.  The baselines, measured in the same run:
 * for memory, what each VM's own QEMU uses (mean over the running QEMUs),
 * so the supervisor's cost per VM reads as a share of the VM's; for list,
 * "qlaunch version" (the same process start and round trip with a
 * constant-size reply), so what grows with the VMs stands out.  libvirtd
 * is not measured here; a reference from an earlier measurement on the
 * same kind of machine is printed for comparison.  All VMs are destroyed
 * and the temporary directory removed at the end, also on failure.
 */
#include <sys/types.h>

#include <err.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "benchlib.h"
#include "proc.h"

#define MAXVMS	2000
#define NPOINT	3

static pid_t	 qpids[MAXVMS];
static int	 nvms;

struct point {
	int		 vms;
	struct bl_mem	 mem;
	struct bl_series list, ver, req;
};

static void
name_of(int i, char *buf, size_t len)
{
	snprintf(buf, len, "s%04d", i + 1);
}

static void
grow_to(struct client_conn *c, int want, struct bl_series *create)
{
	char name[32];

	while (nvms < want) {
		name_of(nvms, name, sizeof(name));
		uint64_t t0 = bl_now_ns();
		bl_vm_create(c, name, 1, 1);
		bl_series_add(create, bl_now_ns() - t0);
		qpids[nvms] = bl_vm_pid(c, name);
		nvms++;
	}
}

static void
measure_list(struct client_conn *c, struct point *p, int runs)
{
	char *list_argv[] = { bl_qlaunch, "list", "--all", NULL };
	char *ver_argv[] = { bl_qlaunch, "version", NULL };

	bl_series_init(&p->list, "list");
	bl_series_init(&p->ver, "version");
	bl_series_init(&p->req, "request");
	bl_run_timed(list_argv);	/* warm-up */
	bl_run_timed(ver_argv);
	for (int i = 0; i < runs; i++) {
		if (i % 2 == 0) {
			bl_series_add(&p->list, bl_run_timed(list_argv));
			bl_series_add(&p->ver, bl_run_timed(ver_argv));
		} else {
			bl_series_add(&p->ver, bl_run_timed(ver_argv));
			bl_series_add(&p->list, bl_run_timed(list_argv));
		}
	}
	/* the request alone, from a persistent connection */
	for (int i = 0; i < runs * 5; i++) {
		struct json_object *a = json_object_new_object();
		json_object_object_add(a, "all", json_object_new_boolean(1));
		uint64_t t0 = bl_now_ns();
		struct json_object *ret = bl_call(c, "list", a);
		bl_series_add(&p->req, bl_now_ns() - t0);
		if ((int)json_object_array_length(ret) != nvms)
			errx(1, "list: %zu VMs, expected %d",
			    json_object_array_length(ret), nvms);
		json_object_put(ret);
	}
}

static void
measure_mem(struct point *p)
{
	/* let the last replies and log lines settle */
	bl_sleep_ms(200);
	if (bl_proc_mem(bl_daemon_pid(), &p->mem) == -1)
		err(1, "qlaunchd's memory");
}

static void
mem_row(const char *what, const struct bl_mem *m)
{
	printf("  %-30s %9ld %9ld %9ld %9ld %9ld %5d\n", what, m->rss_kb,
	    m->pss_kb, m->priv_kb, m->anon_kb, m->hwm_kb, m->fds);
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench_scale [-q] [-m max-vms] [-n runs]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	int maxvms = 100, runs = 20, ch, quick = bl_quick_env();
	int idle_ms = 3000;

	while ((ch = getopt(argc, argv, "qm:n:h")) != -1) {
		switch (ch) {
		case 'q':
			quick = 1;
			break;
		case 'm':
			maxvms = (int)bl_optnum("max-vms", optarg, 2,
			    MAXVMS, "");
			break;
		case 'n':
			runs = (int)bl_optnum("runs", optarg, 1, 100000, NULL);
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (quick) {
		maxvms = maxvms < 20 ? maxvms : 20;
		runs = runs < 5 ? runs : 5;
		idle_ms = 500;
	}
	int mid = maxvms >= 20 ? 10 : maxvms / 2;

	bl_init("bench_scale");
	bl_daemon_start();
	struct client_conn c;
	bl_connect(&c);

	struct point pt[NPOINT];
	struct bl_series create;
	bl_series_init(&create, "create --start --paused");
	int want[NPOINT] = { 0, mid, maxvms };
	uint64_t t_create = 0;
	for (int i = 0; i < NPOINT; i++) {
		uint64_t t0 = bl_now_ns();
		grow_to(&c, want[i], &create);
		t_create += bl_now_ns() - t0;
		pt[i].vms = nvms;
		measure_mem(&pt[i]);
		measure_list(&c, &pt[i], runs);
	}

	/* the baseline: the VMs' own QEMUs */
	long q_rss = 0, q_pss = 0, q_priv = 0;
	int nq = 0;
	for (int i = 0; i < nvms; i++) {
		struct bl_mem m;
		if (bl_proc_mem(qpids[i], &m) == 0) {
			q_rss += m.rss_kb;
			q_pss += m.pss_kb;
			q_priv += m.priv_kb;
			nq++;
		}
	}
	if (nq == 0)
		errx(1, "cannot read the QEMUs' memory");

	/* idle: does qlaunchd poll anything? */
	double c0 = (double)proc_cputime_ms(bl_daemon_pid());
	bl_sleep_ms(idle_ms);
	double idle_cpu = (double)proc_cputime_ms(bl_daemon_pid()) - c0;

	/* destroy and undefine all: is the memory given back? */
	struct bl_series destroy;
	bl_series_init(&destroy, "destroy");
	uint64_t t0 = bl_now_ns();
	for (int i = 0; i < nvms; i++) {
		char name[32];
		name_of(i, name, sizeof(name));
		uint64_t t1 = bl_now_ns();
		bl_vm_destroy(&c, name);
		bl_series_add(&destroy, bl_now_ns() - t1);
		bl_untrack_foreign(qpids[i]);
	}
	uint64_t t_destroy = bl_now_ns() - t0;
	struct bl_mem after_destroy, after_undefine;
	bl_sleep_ms(200);
	bl_proc_mem(bl_daemon_pid(), &after_destroy);
	for (int i = 0; i < nvms; i++) {
		char name[32];
		name_of(i, name, sizeof(name));
		json_object_put(bl_call(&c, "undefine", bl_name_args(name)));
	}
	bl_sleep_ms(200);
	bl_proc_mem(bl_daemon_pid(), &after_undefine);

	/* churn: start and destroy one VM again and again; does it leak? */
	struct bl_mem churn0, churn1;
	int cycles = maxvms;
	bl_vm_create(&c, "churn", 0, 0);
	for (int i = 0; i < 5; i++) {
		pid_t p = bl_vm_start(&c, "churn", 1);
		bl_vm_destroy(&c, "churn");
		bl_untrack_foreign(p);
	}
	bl_sleep_ms(100);
	bl_proc_mem(bl_daemon_pid(), &churn0);
	for (int i = 0; i < cycles; i++) {
		pid_t p = bl_vm_start(&c, "churn", 1);
		bl_vm_destroy(&c, "churn");
		bl_untrack_foreign(p);
	}
	bl_sleep_ms(200);
	bl_proc_mem(bl_daemon_pid(), &churn1);

	printf("bench_scale: qlaunchd with up to %d paused VMs (pc, 64 MiB, "
	    "tcg,tb-size=32)\n%s\n\n", maxvms, bl_qemu);
	printf("  %-30s %9s %9s %9s %9s %9s %5s\n", "qlaunchd memory, KiB",
	    "RSS", "PSS", "private", "anon", "peak RSS", "fds");
	for (int i = 0; i < NPOINT; i++) {
		char w[64];
		snprintf(w, sizeof(w), "%d VMs running", pt[i].vms);
		mem_row(w, &pt[i].mem);
	}
	char w[64];
	snprintf(w, sizeof(w), "%d defined, all destroyed", nvms);
	mem_row(w, &after_destroy);
	mem_row("all undefined", &after_undefine);
	snprintf(w, sizeof(w), "1 VM, before %d start/destroy", cycles);
	mem_row(w, &churn0);
	snprintf(w, sizeof(w), "1 VM, after %d start/destroy", cycles);
	mem_row(w, &churn1);

	const struct bl_mem *m0 = &pt[0].mem, *mn = &pt[NPOINT - 1].mem;
	int dn = pt[NPOINT - 1].vms - pt[0].vms;
	double per_rss = (double)(mn->rss_kb - m0->rss_kb) / dn;
	double per_pss = (double)(mn->pss_kb - m0->pss_kb) / dn;
	double per_priv = (double)(mn->priv_kb - m0->priv_kb) / dn;
	printf("  %-30s %9.1f %9.1f %9.1f\n", "per VM (0 -> max), KiB", per_rss,
	    per_pss, per_priv);
	printf("  %-30s %9.1f %9.1f %9.1f\n", "QEMU per VM (baseline), KiB",
	    (double)q_rss / nq, (double)q_pss / nq, (double)q_priv / nq);
	printf("  %-30s %8.2f%% %8.2f%% %8.2f%%\n", "qlaunchd per VM / QEMU",
	    100 * bl_ratio(per_rss, (double)q_rss / nq),
	    100 * bl_ratio(per_pss, (double)q_pss / nq),
	    100 * bl_ratio(per_priv, (double)q_priv / nq));
	printf("  %-30s %9.0f %9.0f %9.0f   (bytes per cycle)\n",
	    "start/destroy churn growth",
	    1024.0 * (double)(churn1.rss_kb - churn0.rss_kb) / cycles,
	    1024.0 * (double)(churn1.pss_kb - churn0.pss_kb) / cycles,
	    1024.0 * (double)(churn1.priv_kb - churn0.priv_kb) / cycles);
	printf("  %-30s %8.2f MiB RSS, %.2f MiB private, with %d VMs\n",
	    "qlaunchd total", (double)mn->rss_kb / 1024,
	    (double)mn->priv_kb / 1024, pt[NPOINT - 1].vms);
	printf("  (reference, not measured in this run: libvirtd 18-23 MB "
	    "idle, 35 MB with 10\n   paused guests, measured earlier on this "
	    "kind of machine)\n");

	printf("\n  %-22s %11s %11s %11s %13s\n", "list --all, ms (median)",
	    "list --all", "version", "difference", "list request");
	for (int i = 0; i < NPOINT; i++) {
		char r[64];
		snprintf(r, sizeof(r), "%d VMs", pt[i].vms);
		double l = bl_q_ms(&pt[i].list, 0.5), v = bl_q_ms(&pt[i].ver, 0.5);
		printf("  %-22s %11.3f %11.3f %+11.3f %13.3f\n", r, l, v, l - v,
		    bl_q_ms(&pt[i].req, 0.5));
	}
	struct point *p0 = &pt[0], *pn = &pt[NPOINT - 1];
	printf("  %-22s %11.1f %11s %11.1f %13.1f   (us per VM)\n",
	    "per VM (0 -> max)",
	    1000 * (bl_q_ms(&pn->list, 0.5) - bl_q_ms(&p0->list, 0.5)) / dn, "",
	    1000 * ((bl_q_ms(&pn->list, 0.5) - bl_q_ms(&pn->ver, 0.5)) -
	    (bl_q_ms(&p0->list, 0.5) - bl_q_ms(&p0->ver, 0.5))) / dn,
	    1000 * (bl_q_ms(&pn->req, 0.5) - bl_q_ms(&p0->req, 0.5)) / dn);
	printf("  %-22s %11.3f %11s %11s %13s   (p90, ms)\n", "list --all p90",
	    bl_q_ms(&pn->list, 0.9), "", "", "");
	printf("  (%d process runs per cell, interleaved with version; list "
	    "request: %d from a\n   persistent connection)\n", runs, runs * 5);

	printf("\n  %-40s %9.1f ms in %d ms\n",
	    "qlaunchd CPU while idle, all VMs up", idle_cpu, idle_ms);
	printf("  %-40s %9.1f ms median, %.1f s for %d\n",
	    "create --start --paused, per VM", bl_q_ms(&create, 0.5),
	    (double)t_create / 1e9, nvms);
	printf("  %-40s %9.1f ms median, %.1f s for %d\n",
	    "destroy, per VM", bl_q_ms(&destroy, 0.5),
	    (double)t_destroy / 1e9, nvms);

	for (int i = 0; i < NPOINT; i++) {
		bl_series_free(&pt[i].list);
		bl_series_free(&pt[i].ver);
		bl_series_free(&pt[i].req);
	}
	bl_series_free(&create);
	bl_series_free(&destroy);
	client_close(&c);
	return 0;
}
