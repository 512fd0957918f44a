/*
 * bench_net: qlaunch's NICs against the tutorial's way, side by side in
 * one run: how long setting up one tap takes, and how fast two guests
 * talk over a bridge.
 *
 *   bench_net [-q] [-n runs] [-t tap-runs] [-m MiB]
 *
 * Needs root (skipped otherwise).  Everything happens in a network
 * namespace of the benchmark's own, made at the start (unshare, with a
 * mount namespace where /sys shows its links): the private qlaunchd,
 * every QEMU and every tap live in it, and the only address is
 * 192.168.77.1/24 on its bridge br0.
 *
 * Tap set-up (per NIC): qlaunch's own code, nics_open_one() of the
 * supervisor's library on a VM whose definition has one "network:
 * bridge=br0" line -- open the tap with TUNSETIFF and a vnet header, the
 * bridge's MTU, the alias, enslave, up, over rtnetlink -- then the
 * descriptor closed (the tap goes with it) and the name forgotten;
 * against what a tutorial types: "ip tuntap add dev tb0 mode tap", "ip
 * link set tb0 master br0", "ip link set tb0 up", the three programs
 * timed together (the "ip link del" after them is not timed).
 *
 * Throughput: two qlaunch test guests created through the private
 * qlaunchd with "network: bridge=br0,model=virtio" (taps by descriptor;
 * vhost-net when /dev/vhost-net opens, which the output says) against two
 * raw QEMUs on the same kernel, initrd and append, machine and CPU model
 * (pc, -cpu max, as qlaunch gives under TCG), -accel tcg,tb-size=32 and
 * -m 256, each making its own tap with "-netdev tap,ifname=...,script=
 * qemu-ifup,downscript=qemu-ifdown".  In each pair the receiver runs
 * busybox "nc -l -p PORT >/dev/null" and the sender "dd if=/dev/zero
 * bs=64k count=... | nc PEER PORT" (busybox nc shuts its sending side
 * down at the end of its input and exits when the receiver, having read
 * everything, closes).  The sender times itself with /proc/uptime (the
 * guest's busybox date has no %N; 10 ms steps) and prints a marker line;
 * the receiver prints how many bytes its eth0 took in, which must be at
 * least what was sent.  The host reads the qlaunch guests' lines with
 * "console-log" and the raw guests' on their serial sockets.  Pairs are
 * interleaved run by run; only the pair being measured is busy.  Under
 * TCG the guests' CPUs are the limit, not the network: the point is the
 * ratio.  Nothing here judges the numbers.
 */
#include <sys/types.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "benchlib.h"
#include "config.h"
#include "daemon.h"
#include "hostnet.h"
#include "nics.h"
#include "vm.h"
#include "vmdef.h"

#define BRIDGE		"br0"
#define BRIDGE_CIDR	"192.168.77.1/24"
#define NET		"192.168.77."
#define PORT		"5001"
#define MEMORY		"256"
#define APPEND		"console=ttyS0 panic=-1 quiet"
#define RAWTAP		"tb0"

static char	 guest[PATH_MAX], ipbin[PATH_MAX], ifup[PATH_MAX + 32],
    ifdown[PATH_MAX + 32];
static int	 vhost;

/* ---- set-up ---- */

static void
find_ip(void)
{
	const char *dirs[] = { "/usr/sbin", "/sbin", "/usr/bin", "/bin" };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(ipbin, sizeof(ipbin), "%s/ip", dirs[i]);
		if (access(ipbin, X_OK) == 0)
			return;
	}
	errx(1, "no ip (iproute2) in /usr/sbin, /sbin, /usr/bin or /bin");
}

/*
 * A network namespace of our own with br0 up and its address.  A mount
 * namespace too, with /sys mounted afresh (as "ip netns exec" does), so
 * that /sys/class/net shows this namespace's links to the scripts.
 */
static void
make_namespace(void)
{
	struct hostnet *h;
	char e[256];

	if (unshare(CLONE_NEWNET | CLONE_NEWNS) == -1)
		err(1, "unshare(CLONE_NEWNET | CLONE_NEWNS)");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		err(1, "mount --make-rprivate /");
	if (umount2("/sys", MNT_DETACH) == -1 && errno != EINVAL)
		err(1, "umount /sys");
	if (mount("sysfs", "/sys", "sysfs", 0, NULL) == -1)
		err(1, "mount sysfs on /sys");
	if ((h = hn_open(e, sizeof(e))) == NULL ||
	    hn_link_set_up(h, "lo", 1, e, sizeof(e)) == -1 ||
	    hn_bridge_add(h, BRIDGE, e, sizeof(e)) == -1 ||
	    hn_addr_add(h, BRIDGE, BRIDGE_CIDR, e, sizeof(e)) == -1 ||
	    hn_link_set_up(h, BRIDGE, 1, e, sizeof(e)) == -1)
		errx(1, "the benchmark's bridge: %s", e);
	hn_close(h);
}

static void
write_script(const char *path, const char *body)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fputs(body, f) == EOF || fclose(f) != 0 ||
	    chmod(path, 0755) == -1)
		err(1, "%s", path);
}

/*
 * The raw QEMUs' scripts: the shipped netscripts/qemu-ifup and
 * qemu-ifdown when the source tree has them; else two-line stand-ins in
 * the temporary directory, which the shipped scripts replace once they
 * are merged.
 */
static void
find_scripts(void)
{
	/* the shipped qemu-ifup's bridge (else $BRIDGE, else br0) */
	setenv("QLAUNCH_BRIDGE", BRIDGE, 1);
	snprintf(ifup, sizeof(ifup), "%s/netscripts/qemu-ifup",
	    QLAUNCH_SRCDIR);
	snprintf(ifdown, sizeof(ifdown), "%s/netscripts/qemu-ifdown",
	    QLAUNCH_SRCDIR);
	if (access(ifup, X_OK) == 0 && access(ifdown, X_OK) == 0)
		return;
	snprintf(ifup, sizeof(ifup), "%s/qemu-ifup", bl_tmp);
	snprintf(ifdown, sizeof(ifdown), "%s/qemu-ifdown", bl_tmp);
	write_script(ifup, "#!/bin/sh\n"
	    "ip link set dev \"$1\" master " BRIDGE " && "
	    "ip link set dev \"$1\" up\n");
	write_script(ifdown, "#!/bin/sh\n"
	    "ip link set dev \"$1\" down; ip link set dev \"$1\" nomaster\n");
}

/* ---- tap set-up ---- */

static struct bl_series s_tap_q, s_tap_raw;

struct tapvm {
	struct daemon		 d;
	struct event_base	*base;
	struct vm		*vm;
	struct vmdef		*def;
	struct hostnet		*chk;	/* our own, for the checks */
};

static void
tapvm_init(struct tapvm *t)
{
	static const char text[] = "name: bnettap\n"
	    "network: bridge=" BRIDGE ",model=virtio,mac=52:54:00:4e:00:01\n";
	char e[512];

	if ((t->base = event_base_new()) == NULL)
		errx(1, "event_base_new failed");
	daemon_init(&t->d, t->base, bl_qemu);
	if ((t->def = vmdef_parse(text, "bench_net", e, sizeof(e))) == NULL)
		errx(1, "%s", e);
	vmdef_nic_host(t->def, vhost);
	if ((t->vm = calloc(1, sizeof(*t->vm))) == NULL)
		err(1, "calloc");
	strlcpy(t->vm->name, "bnettap", sizeof(t->vm->name));
	t->vm->id = 1;
	t->vm->d = &t->d;
	if ((t->chk = hn_open(e, sizeof(e))) == NULL)
		errx(1, "%s", e);
}

static void
tapvm_fini(struct tapvm *t)
{
	nics_forget(t->vm, NULL);
	hn_close(t->chk);
	free(t->vm);
	vmdef_free(t->def);
	daemon_fini(&t->d);
	event_base_free(t->base);
}

/* Is tap there, on the bridge and up?  (not timed) */
static void
tap_check(struct hostnet *h, const char *tap, const char *who)
{
	struct hn_link l;
	char e[256];

	int found = hn_link_get(h, tap, &l, e, sizeof(e));
	if (found == -1)
		errx(1, "%s: %s", who, e);
	if (!found || strcmp(l.master, BRIDGE) != 0 || !l.up)
		errx(1, "%s: tap %s %s", who, tap, !found ? "missing" :
		    "not up on " BRIDGE);
}

static void
tap_qlaunch(struct tapvm *t, int record)
{
	struct nicfds f;
	char e[512];

	uint64_t t0 = bl_now_ns();
	if (nics_open_one(t->vm, t->def, 0, &f, e, sizeof(e)) == -1)
		errx(1, "nics_open_one: %s", e);
	uint64_t ns = bl_now_ns() - t0;
	if (f.n != (vhost ? 2u : 1u) || t->vm->ntaps != 1)
		errx(1, "nics_open_one: %zu descriptors, %zu taps", f.n,
		    t->vm->ntaps);
	tap_check(t->chk, t->vm->taps[0].name, "nics_open_one");
	nicfds_close(&f);
	nics_forget(t->vm, NULL);
	if (record)
		bl_series_add(&s_tap_q, ns);
}

static void
tap_raw(struct hostnet *h, int record)
{
	char *add[] = { ipbin, "tuntap", "add", "dev", RAWTAP, "mode", "tap",
	    NULL };
	char *master[] = { ipbin, "link", "set", RAWTAP, "master", BRIDGE,
	    NULL };
	char *up[] = { ipbin, "link", "set", RAWTAP, "up", NULL };
	char *del[] = { ipbin, "link", "del", RAWTAP, NULL };

	uint64_t ns = bl_run_timed(add) + bl_run_timed(master) +
	    bl_run_timed(up);
	tap_check(h, RAWTAP, "ip");
	bl_run_timed(del);
	if (record)
		bl_series_add(&s_tap_raw, ns);
}

static void
bench_taps(int runs, int warmup)
{
	struct tapvm t;

	tapvm_init(&t);
	bl_series_init(&s_tap_q, "qlaunch: nics_open_one");
	bl_series_init(&s_tap_raw, "ip tuntap add, set master, set up");
	for (int i = 0; i < warmup + runs; i++) {
		int record = i >= warmup;
		if (i % 2) {
			tap_qlaunch(&t, record);
			tap_raw(t.chk, record);
		} else {
			tap_raw(t.chk, record);
			tap_qlaunch(&t, record);
		}
	}
	tapvm_fini(&t);
}

/* ---- the guests ---- */

/*
 * The shell's output carries the command echoed back: markers are
 * printed as NAME-R<run>-$((6*7)), which only the command's output
 * spells NAME-R<run>-42.
 */
#define MARK	"$((6*7))"

/*
 * A guest's result line: the text after the last "WHAT-R<run>-42 ", or
 * NULL while there is none or its line has not ended yet.
 */
static const char *
marker(const char *text, const char *what, int run, char *out, size_t len)
{
	char m[64];
	const char *p, *last = NULL;

	snprintf(m, sizeof(m), "%s-R%d-42 ", what, run);
	for (p = text; (p = strstr(p, m)) != NULL; p++)
		last = p + strlen(m);
	if (last == NULL)
		return NULL;
	size_t n = strcspn(last, "\r\n");
	if (last[n] == '\0')
		return NULL;
	if (n >= len)
		n = len - 1;
	memcpy(out, last, n);
	out[n] = '\0';
	return out;
}

/* The receiver's and the sender's commands for run r of n MiB to peer. */
static void
commands(int r, int mib, const char *peer, char *recv, size_t rlen,
    char *send, size_t slen)
{
	static const char rx[] = "cat /sys/class/net/eth0/statistics/rx_bytes";
	static const char up[] = "cut -d' ' -f1 /proc/uptime";

	snprintf(recv, rlen, "r0=$(%s); nc -l -p " PORT " >/dev/null; "
	    "r1=$(%s); echo RECV-R%d-" MARK " $((r1-r0))", rx, rx, r);
	/* until: the receiver may not listen yet when the sender starts */
	snprintf(send, slen, "t0=$(%s); until dd if=/dev/zero bs=64k "
	    "count=%d 2>/dev/null | nc %s " PORT "; do sleep 0.1; t0=$(%s); "
	    "done; t1=$(%s); echo XFER-R%d-" MARK " $t0 $t1", up, mib * 16,
	    peer, up, up, r);
}

/* MB/s (10^6 bytes a second) from the two lines; ns in *ns. */
static double
result(const char *who, const char *xfer, const char *recv, int mib,
    uint64_t *ns)
{
	double t0, t1;
	long long got;

	if (sscanf(xfer, "%lf %lf", &t0, &t1) != 2 || t1 < t0)
		errx(1, "%s: sender said '%s'", who, xfer);
	if (sscanf(recv, "%lld", &got) != 1 ||
	    got < (long long)mib * 1048576)
		errx(1, "%s: the receiver took in '%s' bytes, less than the "
		    "%d MiB sent", who, recv, mib);
	if (t1 - t0 < 0.01)
		t1 = t0 + 0.01;	/* /proc/uptime's step */
	*ns = (uint64_t)((t1 - t0) * 1e9);
	return (double)mib * 1048576 / 1e6 / (t1 - t0);
}

/* -- qlaunch guests, through qlaunchd -- */


/* What the VM's serial console printed (its log's tail); malloc'd. */
static char *
console_log(struct client_conn *c, const char *name)
{
	struct json_object *r = bl_call(c, "console-log", bl_name_args(name));
	struct json_object *l;

	if (!json_object_object_get_ex(r, "log", &l))
		errx(1, "console-log %s: no log in the reply", name);
	char *s = strdup(json_object_get_string(l));
	json_object_put(r);
	if (s == NULL)
		err(1, "strdup");
	return s;
}

/* Wait for WHAT-R<run>-42 on the VM's console; its text in out. */
static void
q_wait(struct client_conn *c, const char *name, const char *what, int run,
    char *out, size_t len, int timeout_ms)
{
	uint64_t end = bl_now_ns() + (uint64_t)timeout_ms * 1000000;

	for (;;) {
		char *log = console_log(c, name);
		const char *m = marker(log, what, run, out, len);
		free(log);
		if (m != NULL)
			return;
		if (bl_now_ns() > end)
			errx(1, "%s: no %s-R%d line in %d ms", name, what, run,
			    timeout_ms);
		bl_sleep_ms(200);
	}
}

static void
q_create(struct client_conn *c, const char *name, const char *mac)
{
	char k[PATH_MAX + 16], i[PATH_MAX + 16], n[128];
	struct json_object *a = bl_name_args(name), *set;

	snprintf(k, sizeof(k), "%s/bzImage", guest);
	snprintf(i, sizeof(i), "%s/initrd.img", guest);
	snprintf(n, sizeof(n), "bridge=" BRIDGE ",model=virtio,mac=%s", mac);
	set = json_object_new_object();
	json_object_object_add(set, "memory", json_object_new_string(MEMORY));
	json_object_object_add(set, "accel", json_object_new_string(
	    "tcg,tb-size=32"));
	json_object_object_add(set, "kernel", json_object_new_string(k));
	json_object_object_add(set, "initrd", json_object_new_string(i));
	json_object_object_add(set, "append", json_object_new_string(APPEND));
	json_object_object_add(set, "network", json_object_new_string(n));
	json_object_object_add(a, "settings", set);
	json_object_object_add(a, "start", json_object_new_boolean(1));
	json_object_put(bl_call(c, "create", a));
	bl_track_foreign(bl_vm_pid(c, name));
}

/* Until the VM's shell answers; then eth0 gets addr. */
static void
q_ready(struct client_conn *c, const char *name, const char *addr)
{
	char cmd[256], out[64];

	for (int i = 0; ; i++) {
		free(bl_console_cmd(name, "echo RDY-R0-" MARK " x", 300));
		char *log = console_log(c, name);
		const char *m = marker(log, "RDY", 0, out, sizeof(out));
		free(log);
		if (m != NULL)
			break;
		if (i == 300)
			errx(1, "%s did not answer on its console", name);
		bl_sleep_ms(200);
	}
	snprintf(cmd, sizeof(cmd), "ip link set eth0 up && ip addr add %s/24 "
	    "dev eth0 && echo ADDR-R0-" MARK " ok", addr);
	free(bl_console_cmd(name, cmd, 300));
	q_wait(c, name, "ADDR", 0, out, sizeof(out), 30000);
}

/* -- raw QEMUs, through their serial sockets -- */

struct raw {
	const char	*name;
	pid_t		 pid;
	int		 ser;
	char		*buf;		/* what the serial port printed */
	size_t		 len, cap;
};

static void
raw_start(struct raw *r, const char *name, const char *tap, const char *mac)
{
	char k[PATH_MAX + 16], i[PATH_MAX + 16], sock[PATH_MAX + 32],
	    chr[PATH_MAX + 64], nd[PATH_MAX * 2 + 128], dev[128],
	    log[PATH_MAX + 32];

	memset(r, 0, sizeof(*r));
	r->name = name;
	snprintf(k, sizeof(k), "%s/bzImage", guest);
	snprintf(i, sizeof(i), "%s/initrd.img", guest);
	snprintf(sock, sizeof(sock), "%s/%s.ser", bl_tmp, name);
	snprintf(log, sizeof(log), "%s/%s.log", bl_tmp, name);
	snprintf(chr, sizeof(chr), "socket,id=s0,path=%s,server=on,wait=off",
	    sock);
	snprintf(nd, sizeof(nd), "tap,id=n0,ifname=%s,script=%s,"
	    "downscript=%s", tap, ifup, ifdown);
	snprintf(dev, sizeof(dev), "virtio-net-pci,netdev=n0,mac=%s", mac);
	char *argv[] = { (char *)bl_qemu, "-name", (char *)name, "-nodefaults",
	    "-no-user-config", "-display", "none", "-machine", "pc",
	    "-accel", "tcg,tb-size=32", "-cpu", "max", "-m", MEMORY,
	    "-kernel", k, "-initrd", i, "-append", APPEND,
	    "-netdev", nd, "-device", dev, "-chardev", chr,
	    "-serial", "chardev:s0", NULL };
	r->pid = bl_spawn(argv, log, 1);
	r->ser = bl_unix_connect(sock, 20000, r->pid);
	r->cap = 1 << 16;
	if ((r->buf = malloc(r->cap)) == NULL)
		err(1, "malloc");
	r->buf[0] = '\0';
}

/* Read what the serial port has (waiting up to 200 ms for it). */
static void
raw_read(struct raw *r)
{
	struct pollfd pfd = { r->ser, POLLIN, 0 };

	if (poll(&pfd, 1, 200) <= 0)
		return;
	if (r->len + 4096 >= r->cap) {
		/* keep the tail: markers are looked for afresh */
		size_t keep = 4096;
		memmove(r->buf, r->buf + r->len - keep, keep);
		r->len = keep;
	}
	ssize_t n = read(r->ser, r->buf + r->len, r->cap - r->len - 1);
	if (n <= 0)
		errx(1, "%s: its serial socket closed", r->name);
	r->len += (size_t)n;
	r->buf[r->len] = '\0';
	/* a NUL from the guest would hide what follows it */
	for (size_t j = r->len - (size_t)n; j < r->len; j++)
		if (r->buf[j] == '\0')
			r->buf[j] = ' ';
}

/* Read the serial port until needle (or die after timeout_ms). */
static void
raw_read_until(struct raw *r, const char *needle, int timeout_ms)
{
	uint64_t end = bl_now_ns() + (uint64_t)timeout_ms * 1000000;

	while (strstr(r->buf, needle) == NULL) {
		if (bl_now_ns() > end)
			errx(1, "%s: no '%s' in %d ms", r->name, needle,
			    timeout_ms);
		raw_read(r);
	}
}

static void
raw_type(struct raw *r, const char *cmd)
{
	bl_write_all(r->ser, cmd, strlen(cmd));
	bl_write_all(r->ser, "\n", 1);
}

/* Wait for WHAT-R<run>-42 on its serial port; the text in out. */
static void
raw_wait(struct raw *r, const char *what, int run, char *out, size_t len,
    int timeout_ms)
{
	uint64_t end = bl_now_ns() + (uint64_t)timeout_ms * 1000000;

	while (marker(r->buf, what, run, out, len) == NULL) {
		if (bl_now_ns() > end)
			errx(1, "%s: no %s-R%d line in %d ms", r->name, what,
			    run, timeout_ms);
		raw_read(r);
	}
	/* what was read is done with */
	r->len = 0;
	r->buf[0] = '\0';
}

/* QEMU ends on SIGTERM, running its downscript. */
static void
raw_stop(struct raw *r)
{
	close(r->ser);
	free(r->buf);
	kill(r->pid, SIGTERM);
	if (bl_wait(r->pid, 10000) == -1)
		warnx("%s did not end on SIGTERM; killed it", r->name);
}

static void
raw_ready(struct raw *r, const char *addr)
{
	char cmd[256], out[64];

	raw_read_until(r, "QLAUNCH-GUEST-READY", 300000);
	bl_sleep_ms(300);
	snprintf(cmd, sizeof(cmd), "ip link set eth0 up && ip addr add %s/24 "
	    "dev eth0 && echo ADDR-R0-" MARK " ok", addr);
	raw_type(r, cmd);
	raw_wait(r, "ADDR", 0, out, sizeof(out), 30000);
}

/* ---- throughput ---- */

static struct bl_series s_thr_q, s_thr_raw;
static double mbs_q[1000], mbs_raw[1000];
static int nq, nraw;

static void
xfer_qlaunch(struct client_conn *c, int run, int mib, int record)
{
	char recv[512], send[512], x[128], rcv[128];
	uint64_t ns;

	commands(run, mib, NET "12", recv, sizeof(recv), send, sizeof(send));
	free(bl_console_cmd("bn2", recv, 300));
	free(bl_console_cmd("bn1", send, 300));
	q_wait(c, "bn1", "XFER", run, x, sizeof(x), 600000);
	q_wait(c, "bn2", "RECV", run, rcv, sizeof(rcv), 30000);
	double mbs = result("qlaunch guests", x, rcv, mib, &ns);
	if (record) {
		bl_series_add(&s_thr_q, ns);
		mbs_q[nq++] = mbs;
	}
}

static void
xfer_raw(struct raw *a, struct raw *b, int run, int mib, int record)
{
	char recv[512], send[512], x[128], rcv[128];
	uint64_t ns;

	commands(run, mib, NET "22", recv, sizeof(recv), send, sizeof(send));
	raw_type(b, recv);
	bl_sleep_ms(300);
	raw_type(a, send);
	raw_wait(a, "XFER", run, x, sizeof(x), 600000);
	raw_wait(b, "RECV", run, rcv, sizeof(rcv), 30000);
	double mbs = result("raw guests", x, rcv, mib, &ns);
	if (record) {
		bl_series_add(&s_thr_raw, ns);
		mbs_raw[nraw++] = mbs;
	}
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n ? v[(n - 1) / 2] : 0;
}

static void
mbs_row(const char *name, double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	printf("  %-44s %9.2f %9.2f %9.2f\n", name, median(v, n), v[0],
	    v[n - 1]);
}

/* ---- main ---- */

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: bench_net [-q] [-n runs] [-t tap-runs] "
	    "[-m MiB]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	int runs = 7, taps = 300, mib = 16, ch, quick = bl_quick_env();
	int nset = 0, tset = 0, mset = 0;

	while ((ch = getopt(argc, argv, "qn:t:m:h")) != -1) {
		switch (ch) {
		case 'q':
			quick = 1;
			break;
		case 'n':
			runs = (int)bl_optnum("runs", optarg, 1, 1000, NULL);
			nset = 1;
			break;
		case 't':
			taps = (int)bl_optnum("tap runs", optarg, 1,
			    100000, NULL);
			tset = 1;
			break;
		case 'm':
			mib = (int)bl_optnum("MiB", optarg, 1, 4096, NULL);
			mset = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (quick) {
		runs = nset ? runs : 1;
		taps = tset ? taps : 50;
		mib = mset ? mib : 8;
	}
	if (geteuid() != 0) {
		printf("bench_net: skipped: needs root (a network namespace, "
		    "a bridge and taps)\n");
		return 0;
	}
	find_ip();
	make_namespace();
	bl_init("bench_net");
	vhost = nics_vhost_net();
	find_scripts();
	bl_guest_dir(guest, sizeof(guest));

	/* tap set-up, before any guest runs */
	bench_taps(taps, taps / 10 < 10 ? taps / 10 : 10);

	/* four guests: two under qlaunchd, two raw */
	fprintf(stderr, "bench_net: booting four guests\n");
	bl_daemon_start();
	struct client_conn c;
	bl_connect(&c);
	struct raw ra, rb;
	raw_start(&ra, "braw1", "rb1", "52:54:00:4e:02:01");
	raw_start(&rb, "braw2", "rb2", "52:54:00:4e:02:02");
	q_create(&c, "bn1", "52:54:00:4e:01:01");
	q_create(&c, "bn2", "52:54:00:4e:01:02");
	raw_ready(&ra, NET "21");
	raw_ready(&rb, NET "22");
	q_ready(&c, "bn1", NET "11");
	q_ready(&c, "bn2", NET "12");

	bl_series_init(&s_thr_q, "qlaunch guests (tap by fd)");
	bl_series_init(&s_thr_raw, "raw QEMU guests (script tap)");
	/* run 0: one MiB each way, a warm-up (ARP, translated code) */
	fprintf(stderr, "bench_net: %d run%s of %d MiB each way\n", runs,
	    runs == 1 ? "" : "s", mib);
	xfer_qlaunch(&c, 1, 1, 0);
	xfer_raw(&ra, &rb, 1, 1, 0);
	for (int i = 0; i < runs; i++) {
		if (i % 2) {
			xfer_raw(&ra, &rb, i + 2, mib, 1);
			xfer_qlaunch(&c, i + 2, mib, 1);
		} else {
			xfer_qlaunch(&c, i + 2, mib, 1);
			xfer_raw(&ra, &rb, i + 2, mib, 1);
		}
	}
	bl_vm_destroy(&c, "bn1");
	bl_vm_destroy(&c, "bn2");
	raw_stop(&ra);
	raw_stop(&rb);

	printf("bench_net: tap set-up and guest-to-guest throughput, %s\n",
	    bl_qemu);
	printf("in a network namespace of its own, bridge " BRIDGE " "
	    BRIDGE_CIDR "\n");
	printf("vhost-net: %s\n", vhost ? "/dev/vhost-net opens: qlaunch's "
	    "NICs use it, the raw QEMUs (as typed in tutorials) do not" :
	    "no /dev/vhost-net on this host: neither side uses vhost "
	    "(QEMU's own virtio-net backend)");
	printf("raw scripts: %s, %s\n\n", ifup, ifdown);

	printf("tap set-up, one NIC: %d runs each, interleaved\n", taps);
	printf("  %-44s %9s %9s %9s\n", "", "median ms", "p90 ms", "min ms");
	bl_row(&s_tap_q);
	bl_row(&s_tap_raw);
	printf("  %-44s %9s %11s %11s\n", "", "ratio", "difference",
	    "paired");
	bl_compare("qlaunch / ip commands", &s_tap_q, &s_tap_raw);
	printf("  (qlaunch also sets a vnet header, the bridge's MTU and an "
	    "alias; closing the\n  descriptor and ip link del are not "
	    "timed)\n\n");

	printf("guest to guest over " BRIDGE ": %d MiB from busybox dd | nc "
	    "to nc -l, %d run%s each, interleaved\n", mib, runs,
	    runs == 1 ? "" : "s");
	printf("guests: pc, -cpu max, %s MiB, tcg,tb-size=32, virtio-net\n",
	    MEMORY);
	printf("  %-44s %9s %9s %9s\n", "", "median MB/s", "min", "max");
	double mq = median(mbs_q, nq), mr = median(mbs_raw, nraw);
	mbs_row(s_thr_q.name, mbs_q, nq);
	mbs_row(s_thr_raw.name, mbs_raw, nraw);
	printf("  %-44s %8.2fx\n", "throughput qlaunch / raw", bl_ratio(mq,
	    mr));
	printf("  %-44s %9s %11s %11s\n", "transfer time", "ratio",
	    "difference", "paired");
	bl_compare("qlaunch / raw", &s_thr_q, &s_thr_raw);
	printf("  (times from the sender's /proc/uptime, 10 ms steps; "
	    "under TCG the guests' CPUs are the limit)\n");

	client_close(&c);
	return 0;
}
