/*
 * bench_start: how long "qlaunch start NAME" takes, against exec of the
 * same QEMU command line by hand until QEMU answers qmp_capabilities (the
 * baseline), in the same run; and against "virsh start" of an equivalent
 * libvirt domain when libvirt is installed and libvirtd answers.
 *
 *   bench_start [-q] [-n runs] [-w warmup]
 *
 * The VM: --memory 64 --accel tcg,tb-size=32, no kernel (QEMU starts with
 * -S and waits; nothing boots).  A private qlaunchd runs in a temporary
 * directory.  The raw QEMU runs the argv of "qlaunch cmdline NAME" with
 * its own runtime directory, in its own session like qlaunchd's; the
 * benchmark connects to its QMP socket (retrying every 100 us), reads the
 * greeting, sends qmp_capabilities (ready), then cont (what "start" does
 * after ready, unless --paused).  Methods are interleaved run by run, in
 * a rotating order.  Nothing here judges the times.
 *
 * libvirt: the domain is type qemu (TCG), pc, 64 MiB, one vCPU, a 32 MiB
 * translation cache, a pty serial console, a balloon, no display, NIC or
 * USB.  Where /dev/kvm is root-only and libvirt runs QEMU as
 * libvirt-qemu, libvirtd finds its cached capabilities stale on every
 * call ("KVM was enabled when probing ... but it is not available now")
 * and probes QEMU again each time, seconds per virsh command; run it
 * with user = "root" in qemu.conf (qlaunchd's QEMUs run as root too) or
 * give libvirt-qemu access to /dev/kvm.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "benchlib.h"

#define VM		"bs1"

enum {
	M_RAW,		/* raw QEMU: greeting, capabilities, cont */
	M_CLI_PAUSED,	/* qlaunch start --paused */
	M_CLI,		/* qlaunch start */
	M_LIB,		/* "start" over a persistent connection */
	M_VIRSH,	/* virsh start */
	NMETHOD
};

static struct bl_series s_conn, s_greet, s_caps, s_cont, s_cli_p, s_cli, s_lib,
    s_virsh;
static char	 rawdir[4096];
static char	 dom[64];

static void
raw_once(char **argv, int record)
{
	char sock[4200], log[4200];
	struct bl_line l;
	static const char cont[] = "{\"execute\": \"cont\"}\n";
	static const char quit[] = "{\"execute\": \"quit\"}\n";

	bl_argv_qmp_path(argv, sock, sizeof(sock));
	snprintf(log, sizeof(log), "%s/qemu.log", rawdir);
	unlink(sock);
	uint64_t t0 = bl_now_ns();
	pid_t pid = bl_spawn(argv, log, 1);
	int fd = bl_unix_connect(sock, 20000, pid);
	uint64_t tsock = bl_now_ns();
	bl_line_init(&l, fd);
	const char *g = bl_line_read(&l);
	uint64_t tg = bl_now_ns();
	if (strncmp(g, "{\"QMP\"", 6) != 0)
		errx(1, "raw QEMU: not a greeting: %.200s", g);
	static const char caps[] = "{\"execute\": \"qmp_capabilities\"}\n";
	bl_write_all(fd, caps, sizeof(caps) - 1);
	const char *r = bl_line_reply(&l);
	uint64_t tc = bl_now_ns();
	if (strncmp(r, "{\"return\"", 9) != 0)
		errx(1, "raw QEMU: qmp_capabilities: %.200s", r);
	bl_write_all(fd, cont, sizeof(cont) - 1);
	r = bl_line_reply(&l);
	uint64_t tk = bl_now_ns();
	if (strncmp(r, "{\"return\"", 9) != 0)
		errx(1, "raw QEMU: cont: %.200s", r);
	if (record) {
		bl_series_add(&s_conn, tsock - t0);
		bl_series_add(&s_greet, tg - t0);
		bl_series_add(&s_caps, tc - t0);
		bl_series_add(&s_cont, tk - t0);
	}
	bl_write_all(fd, quit, sizeof(quit) - 1);
	/* QEMU closes the socket as it exits */
	char buf[4096];
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	bl_line_close(&l);
	if (bl_wait(pid, 10000) == -1)
		warnx("raw QEMU did not quit; killed it");
}

static void
cli_once(struct client_conn *c, int paused, int record)
{
	char *argv[] = { bl_qlaunch, "start", VM, paused ? "--paused" : NULL,
	    NULL };
	uint64_t ns = bl_run_timed(argv);

	if (record)
		bl_series_add(paused ? &s_cli_p : &s_cli, ns);
	pid_t pid = bl_vm_pid(c, VM);
	bl_track_foreign(pid);
	bl_vm_destroy(c, VM);
	bl_untrack_foreign(pid);
}

static void
lib_once(struct client_conn *c, int record)
{
	uint64_t t0 = bl_now_ns();
	pid_t pid = bl_vm_start(c, VM, 0);
	uint64_t t1 = bl_now_ns();

	if (record)
		bl_series_add(&s_lib, t1 - t0);
	bl_vm_destroy(c, VM);
	bl_untrack_foreign(pid);
}

static void
virsh_once(int record)
{
	uint64_t ns = bl_virsh_timed("start", dom);

	if (record)
		bl_series_add(&s_virsh, ns);
	if (bl_virsh_quiet("destroy", dom) != 0)
		errx(1, "virsh destroy %s failed", dom);
}

static void
run_method(int m, struct client_conn *c, char **rawargv, int record)
{
	switch (m) {
	case M_RAW:
		raw_once(rawargv, record);
		break;
	case M_CLI_PAUSED:
		cli_once(c, 1, record);
		break;
	case M_CLI:
		cli_once(c, 0, record);
		break;
	case M_LIB:
		lib_once(c, record);
		break;
	case M_VIRSH:
		virsh_once(record);
		break;
	}
}

int
main(int argc, char **argv)
{
	int runs = 30, warmup = 2;

	bl_run_options(argc, argv, "bench_start", &runs, &warmup, 5);

	bl_init("bench_start");
	bl_daemon_start();
	struct client_conn c;
	bl_connect(&c);
	bl_vm_create(&c, VM, 0, 0);
	snprintf(rawdir, sizeof(rawdir), "%s/raw", bl_tmp);
	if (mkdir(rawdir, 0700) == -1)
		err(1, "%s", rawdir);
	char **rawargv = bl_vm_cmdline(&c, VM, rawdir);

	char why[256];
	int virsh = bl_libvirt_usable(why, sizeof(why));
	if (virsh) {
		snprintf(dom, sizeof(dom), "qlbench-start-%ld", (long)getpid());
		bl_libvirt_define(dom);
	}

	bl_series_init(&s_conn, "raw QEMU: exec -> QMP socket connects");
	bl_series_init(&s_greet, "raw QEMU: exec -> QMP greeting");
	bl_series_init(&s_caps, "raw QEMU: exec -> qmp_capabilities reply");
	bl_series_init(&s_cont, "raw QEMU: exec -> caps -> cont reply");
	bl_series_init(&s_cli_p, "qlaunch start --paused NAME (process)");
	bl_series_init(&s_cli, "qlaunch start NAME (process)");
	bl_series_init(&s_lib, "\"start\" request, persistent client");
	bl_series_init(&s_virsh, "virsh start NAME (process)");

	int nm = virsh ? NMETHOD : M_VIRSH;
	for (int i = 0; i < warmup + runs; i++)
		for (int k = 0; k < nm; k++)
			run_method((i + k) % nm, &c, rawargv, i >= warmup);

	printf("bench_start: VM start to ready, %s\n", bl_qemu);
	printf("VM: pc, 64 MiB, 1 vCPU, tcg,tb-size=32, balloon, serial "
	    "socket, no kernel (-S)\n");
	printf("%d runs per method after %d warm-up, interleaved\n\n", runs,
	    warmup);
	printf("  %-44s %9s %9s %9s\n", "start until ready", "median ms",
	    "p90 ms", "min ms");
	bl_row(&s_conn);
	bl_row(&s_greet);
	bl_row(&s_caps);
	bl_row(&s_cont);
	bl_row(&s_cli_p);
	bl_row(&s_cli);
	bl_row(&s_lib);
	if (virsh)
		bl_row(&s_virsh);
	else
		printf("  %-44s (skipped: %s)\n", "virsh start NAME", why);

	printf("\n  %-44s %9s %11s %11s\n", "median against baseline", "ratio",
	    "difference", "paired");
	bl_compare("start --paused / raw to qmp_capabilities", &s_cli_p, &s_caps);
	bl_compare("start / raw to qmp_capabilities", &s_cli, &s_caps);
	bl_compare("start / raw to cont reply", &s_cli, &s_cont);
	bl_compare("start request (no client process) / raw cont", &s_lib,
	    &s_cont);
	if (virsh) {
		bl_compare("start / virsh start", &s_cli, &s_virsh);
		bl_compare("virsh start / raw to cont reply", &s_virsh, &s_cont);
	} else
		printf("  %-44s (skipped: libvirt column not measured)\n",
		    "start / virsh start");
	printf("\n(\"start\" answers once QEMU is QMP-ready and running: it "
	    "sends cont after\nqmp_capabilities; --paused answers at ready. "
	    "The process rows include\nstarting the client; the raw rows "
	    "poll QEMU's socket every 100 us.)\n");

	bl_argv_free(rawargv);
	client_close(&c);
	bl_series_free(&s_conn);
	bl_series_free(&s_greet);
	bl_series_free(&s_caps);
	bl_series_free(&s_cont);
	bl_series_free(&s_cli_p);
	bl_series_free(&s_cli);
	bl_series_free(&s_lib);
	bl_series_free(&s_virsh);
	return 0;
}
