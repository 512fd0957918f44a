/*
 * host-check: one small function a check, run from a table.  Paths
 * under /proc, /sys and /dev go through hpath() so tests can point them
 * at a fake tree.  QEMU's -version output is shown to the user and never
 * interpreted.
 */
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <linux/kvm.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "hostcheck.h"
#include "util.h"


enum hc_level { HC_PASS, HC_WARN, HC_FAIL };
static const char *const level_names[] = { "PASS", "WARN", "FAIL" };

struct hc_ctx {
	const char	*qemu;
	const char	*qemu_img;
};

struct hc_res {
	enum hc_level	 level;
	char		 detail[512];
	char		 hint[256];
};

static char	hc_root[PATH_MAX];
static int	hc_timeout_ms = 5000;

void
hostcheck_set_root(const char *root)
{
	strlcpy(hc_root, root != NULL ? root : "", sizeof(hc_root));
}

void
hostcheck_set_timeout_ms(int ms)
{
	hc_timeout_ms = ms > 0 ? ms : 5000;
}

/* A host path below the root prefix; "" (never opens) if too long. */
static const char *
hpath(char buf[PATH_MAX], const char *path)
{
	int n = snprintf(buf, PATH_MAX, "%s%s", hc_root, path);

	if (n < 0 || n >= PATH_MAX)
		buf[0] = '\0';
	return buf;
}

static int
hexists(const char *path)
{
	char b[PATH_MAX];

	return access(hpath(b, path), F_OK) == 0;
}

/* A whole host file, or NULL with errno set. */
static char *
hread(const char *path)
{
	char b[PATH_MAX];

	return read_file(hpath(b, path), NULL);
}

static void
rtrim(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
}

static void set(struct hc_res *, enum hc_level, const char *hint,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
set(struct hc_res *r, enum hc_level level, const char *hint,
    const char *fmt, ...)
{
	va_list ap;

	r->level = level;
	strlcpy(r->hint, hint != NULL ? hint : "", sizeof(r->hint));
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
	va_end(ap);
}

/* "vmx", "svm" or NULL from the flags lines of /proc/cpuinfo. */
static const char *
cpu_virt_flag(int *readable)
{
	const char *found = NULL;
	char *buf = hread("/proc/cpuinfo"), *line, *save = NULL;

	*readable = buf != NULL;
	if (buf == NULL)
		return NULL;
	for (line = strtok_r(buf, "\n", &save); line != NULL && found == NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':'), *tok, *tsave = NULL;
		if (strncmp(line, "flags", 5) != 0 || colon == NULL)
			continue;
		for (tok = strtok_r(colon + 1, " \t", &tsave); tok != NULL;
		    tok = strtok_r(NULL, " \t", &tsave)) {
			if (strcmp(tok, "vmx") == 0 || strcmp(tok, "svm") == 0) {
				found = tok[0] == 'v' ? "vmx" : "svm";
				break;
			}
		}
	}
	free(buf);
	return found;
}

static const char *
kvm_modprobe_hint(void)
{
	int readable;
	const char *f = cpu_virt_flag(&readable);

	if (f == NULL)
		return "modprobe kvm_intel (or kvm_amd); enable VT-x/AMD-V "
		    "in the firmware settings";
	return strcmp(f, "vmx") == 0 ? "modprobe kvm_intel" :
	    "modprobe kvm_amd";
}

static void
check_cpu(const struct hc_ctx *c, struct hc_res *r)
{
	int readable;
	const char *f = cpu_virt_flag(&readable);

	(void)c;
	if (!readable)
		set(r, HC_WARN, "mount /proc", "cannot read /proc/cpuinfo: %s",
		    strerror(errno));
	else if (f == NULL)
		set(r, HC_WARN, "enable VT-x/AMD-V in the firmware settings "
		    "(or nested virtualization on the outer host)",
		    "no vmx or svm flag: TCG only, slow");
	else
		set(r, HC_PASS, NULL, "%s (%s)", f,
		    strcmp(f, "vmx") == 0 ? "Intel VT-x" : "AMD-V");
}

static void
check_kvm_dev(const struct hc_ctx *c, struct hc_res *r)
{
	char b[PATH_MAX];
	int fd, v;

	(void)c;
	if ((fd = open(hpath(b, "/dev/kvm"), O_RDWR | O_CLOEXEC)) == -1) {
		int e = errno;
		if (e == ENOENT)
			set(r, HC_WARN, kvm_modprobe_hint(),
			    "/dev/kvm missing: TCG only, slow");
		else if (e == EACCES || e == EPERM)
			set(r, HC_WARN, "join the kvm group: usermod -aG kvm "
			    "$USER, then log in again",
			    "/dev/kvm: permission denied");
		else
			set(r, HC_WARN, "check /dev/kvm (crw-rw---- root:kvm "
			    "10:232)", "/dev/kvm: %s", strerror(e));
		return;
	}
	v = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (v == -1)
		set(r, HC_WARN, "check that /dev/kvm is the KVM character "
		    "device (10:232)", "/dev/kvm: not a KVM device (%s)",
		    strerror(errno));
	else if (v != KVM_API_VERSION)
		set(r, HC_WARN, "update the kernel",
		    "/dev/kvm: KVM API version %d, expected %d", v,
		    KVM_API_VERSION);
	else
		set(r, HC_PASS, NULL, "/dev/kvm usable, API version %d", v);
	close(fd);
}

static void
check_kvm_modules(const struct hc_ctx *c, struct hc_res *r)
{
	const char *vendor = NULL, *nested = "unknown";
	char path[64], *val;

	(void)c;
	if (!hexists("/sys/module/kvm")) {
		set(r, HC_WARN, kvm_modprobe_hint(), "kvm not loaded");
		return;
	}
	if (hexists("/sys/module/kvm_intel"))
		vendor = "kvm_intel";
	else if (hexists("/sys/module/kvm_amd"))
		vendor = "kvm_amd";
	if (vendor == NULL) {
		set(r, HC_WARN, kvm_modprobe_hint(),
		    "kvm loaded, but neither kvm_intel nor kvm_amd");
		return;
	}
	snprintf(path, sizeof(path), "/sys/module/%s/parameters/nested",
	    vendor);
	if ((val = hread(path)) != NULL) {
		rtrim(val);
		nested = strcmp(val, "Y") == 0 || strcmp(val, "1") == 0 ?
		    "on" : strcmp(val, "N") == 0 || strcmp(val, "0") == 0 ?
		    "off" : "unknown";
		free(val);
	}
	set(r, HC_PASS, NULL, "kvm, %s (nested: %s)", vendor, nested);
}

static void
check_tun(const struct hc_ctx *c, struct hc_res *r)
{
	char b[PATH_MAX];
	int fd;

	(void)c;
	if ((fd = open(hpath(b, "/dev/net/tun"), O_RDWR | O_CLOEXEC)) != -1) {
		close(fd);
		set(r, HC_PASS, NULL, "/dev/net/tun usable");
	} else if (errno == ENOENT)
		set(r, HC_WARN, "modprobe tun",
		    "/dev/net/tun missing: no tap networking");
	else
		set(r, HC_WARN, "tap networking needs access to /dev/net/tun "
		    "(run qlaunchd as root)", "/dev/net/tun: %s",
		    strerror(errno));
}

/* Resolve a bare command name along $PATH into buf. */
static const char *
find_bin(const char *bin, char buf[PATH_MAX])
{
	const char *p = getenv("PATH");

	if (strchr(bin, '/') != NULL || p == NULL)
		return bin;
	while (*p != '\0') {
		size_t n = strcspn(p, ":");
		if (n > 0 && snprintf(buf, PATH_MAX, "%.*s/%s", (int)n, p,
		    bin) < PATH_MAX && access(buf, X_OK) == 0)
			return buf;
		p += n + (p[n] == ':');
	}
	return bin;
}

/*
 * Run "bin opt" (no shell) for at most hc_timeout_ms.  0 with its
 * first output line, made printable, in ver; -1 with the reason in ver.
 */
static int
run_version(const char *bin, const char *opt, char *ver, size_t verlen)
{
	char buf[512], *const argv[] = { (char *)bin, (char *)opt, NULL };
	size_t n = 0;
	int p[2], st = 0, timedout = 0;
	int64_t deadline = mono_ms() + hc_timeout_ms;
	pid_t pid, w;

	if (pipe2(p, O_CLOEXEC) == -1) {
		snprintf(ver, verlen, "pipe: %s", strerror(errno));
		return -1;
	}
	if ((pid = fork()) == -1) {
		snprintf(ver, verlen, "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR);
		setpgid(0, 0);
		if (nul != -1) {
			dup2(nul, 0);
			dup2(nul, 2);
		}
		dup2(p[1], 1);
		execv(bin, argv);
		_exit(127);
	}
	setpgid(pid, pid);
	close(p[1]);
	while (n < sizeof(buf) - 1) {
		struct pollfd pfd = { .fd = p[0], .events = POLLIN };
		int64_t left = deadline - mono_ms();
		ssize_t k;
		int pr = left > 0 ? poll(&pfd, 1, (int)left) : 0;
		if (pr == -1 && errno == EINTR)
			continue;
		if (pr <= 0)
			break;
		if ((k = read(p[0], buf + n, sizeof(buf) - 1 - n)) == 0)
			break;
		if (k > 0)
			n += (size_t)k;
		else if (errno != EINTR && errno != EAGAIN)
			break;
	}
	close(p[0]);
	buf[n] = '\0';
	while ((w = waitpid(pid, &st, WNOHANG)) == 0 ||
	    (w == -1 && errno == EINTR)) {
		if (mono_ms() >= deadline) {
			timedout = 1;
			kill(-pid, SIGKILL);
			waitpid(pid, &st, 0);
			break;
		}
		nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL);
	}
	buf[strcspn(buf, "\n")] = '\0';
	for (char *s = buf; *s != '\0'; s++)
		if (!isprint((unsigned char)*s))
			*s = '?';
	rtrim(buf);
	if (timedout) {
		snprintf(ver, verlen, "%s did not finish within %d ms", opt,
		    hc_timeout_ms);
		return -1;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || buf[0] == '\0') {
		snprintf(ver, verlen, "%s failed (%s %d)", opt,
		    WIFEXITED(st) ? "exit status" : "signal",
		    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		return -1;
	}
	strlcpy(ver, buf, verlen);
	return 0;
}

static void
check_binary(const char *bin, const char *opt, const char *pkg,
    struct hc_res *r)
{
	char b[PATH_MAX], hint[128], ver[256];
	struct stat sb;

	snprintf(hint, sizeof(hint), "apt-get install %s", pkg);
	if (bin == NULL || *bin == '\0') {
		set(r, HC_FAIL, hint, "no binary configured");
		return;
	}
	bin = find_bin(bin, b);
	if (stat(bin, &sb) == -1)
		set(r, HC_FAIL, hint, "%s: %s", bin, strerror(errno));
	else if (!S_ISREG(sb.st_mode) || access(bin, X_OK) == -1)
		set(r, HC_FAIL, hint, "%s: not an executable file", bin);
	else if (run_version(bin, opt, ver, sizeof(ver)) == -1)
		set(r, HC_WARN, "run it by hand to see why; reinstall it",
		    "%s: %s", bin, ver);
	else
		set(r, HC_PASS, NULL, "%s (%s)", bin, ver);
}

static void
check_qemu(const struct hc_ctx *c, struct hc_res *r)
{
	check_binary(c->qemu, "-version", "qemu-system-x86", r);
}

static void
check_qemu_img(const struct hc_ctx *c, struct hc_res *r)
{
	/* qemu-img has no -version */
	check_binary(c->qemu_img, "--version", "qemu-utils", r);
}

/* 1 when the running kernel ships name as a module or built in. */
static int
kernel_has_module(const char *name)
{
	char *rel = hread("/proc/sys/kernel/osrelease"), path[PATH_MAX];
	const char *lists[] = { "modules.builtin", "modules.dep" };
	char want[64];
	int found = 0;

	if (rel == NULL)
		return 0;
	rtrim(rel);
	snprintf(want, sizeof(want), "/%s.ko", name);
	for (size_t i = 0; i < nitems(lists) && !found; i++) {
		char *text, *line, *save = NULL;

		snprintf(path, sizeof(path), "/lib/modules/%s/%s", rel,
		    lists[i]);
		if ((text = hread(path)) == NULL)
			continue;
		for (line = strtok_r(text, "\n", &save); line != NULL && !found;
		    line = strtok_r(NULL, "\n", &save)) {
			line[strcspn(line, ":")] = '\0';
			/* kernel/net/bridge/bridge.ko[.xz] */
			char *k = strstr(line, want);
			found = k != NULL && (k[strlen(want)] == '\0' ||
			    k[strlen(want)] == '.');
		}
		free(text);
	}
	free(rel);
	return found;
}

static void
check_bridge(const struct hc_ctx *c, struct hc_res *r)
{
	(void)c;
	if (hexists("/sys/module/bridge") || hexists("/proc/sys/net/bridge"))
		set(r, HC_PASS, NULL, "bridge module loaded");
	else if (kernel_has_module("bridge"))
		set(r, HC_PASS, NULL, "bridge module available (loaded when "
		    "the first bridge is made)");
	else
		set(r, HC_WARN, "modprobe bridge",
		    "bridge module not loaded: bridged networking unavailable");
}

static void
check_vhost_net(const struct hc_ctx *c, struct hc_res *r)
{
	char b[PATH_MAX];
	int fd;

	(void)c;
	if ((fd = open(hpath(b, "/dev/vhost-net"), O_RDWR | O_CLOEXEC)) != -1) {
		close(fd);
		set(r, HC_PASS, NULL, "/dev/vhost-net usable");
	} else if (errno == ENOENT)
		set(r, HC_WARN, "modprobe vhost_net", "/dev/vhost-net missing: "
		    "virtio-net NICs run without vhost (slower)");
	else
		set(r, HC_WARN, "vhost needs access to /dev/vhost-net (run "
		    "qlaunchd as root)", "/dev/vhost-net: %s", strerror(errno));
}

/*
 * A host program in the usual directories (below the root prefix, not
 * along $PATH: the supervisor runs them as root whatever the caller's
 * PATH): its path in buf, or NULL.
 */
static const char *
find_sbin(const char *name, char buf[PATH_MAX])
{
	static const char *const dirs[] = { "/usr/local/sbin",
	    "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin" };
	char rel[PATH_MAX];

	for (size_t i = 0; i < nitems(dirs); i++) {
		snprintf(rel, sizeof(rel), "%s/%s", dirs[i], name);
		if (access(hpath(buf, rel), X_OK) == 0)
			return buf;
	}
	return NULL;
}

/* A found program and its version line, or a WARN with the package. */
static void
check_tool(const char *name, const char *pkg, const char *missing,
    struct hc_res *r)
{
	char b[PATH_MAX], hint[128], ver[256];
	const char *bin = find_sbin(name, b);

	snprintf(hint, sizeof(hint), "apt-get install %s", pkg);
	if (bin == NULL)
		set(r, HC_WARN, hint, "%s not found: %s", name, missing);
	else if (run_version(bin, "--version", ver, sizeof(ver)) == -1)
		set(r, HC_WARN, "run it by hand to see why; reinstall it",
		    "%s: %s", bin, ver);
	else
		set(r, HC_PASS, NULL, "%s (%s)", bin, ver);
}

static void
check_dnsmasq(const struct hc_ctx *c, struct hc_res *r)
{
	(void)c;
	check_tool("dnsmasq", "dnsmasq-base",
	    "NAT networks have no DHCP or DNS", r);
}

static void
check_nft(const struct hc_ctx *c, struct hc_res *r)
{
	static const char *const libs[] = {
	    "/usr/lib/x86_64-linux-gnu/libnftables.so.1",
	    "/lib/x86_64-linux-gnu/libnftables.so.1",
	    "/usr/lib64/libnftables.so.1", "/usr/lib/libnftables.so.1" };
	char b[PATH_MAX];

	(void)c;
	if (find_sbin("nft", b) != NULL) {
		check_tool("nft", "nftables", "", r);
		return;
	}
	for (size_t i = 0; i < nitems(libs); i++)
		if (hexists(libs[i])) {
			set(r, HC_PASS, NULL, "libnftables (%s), no nft "
			    "program", hpath(b, libs[i]));
			return;
		}
	set(r, HC_WARN, "apt-get install nftables", "neither nft nor "
	    "libnftables found: NAT networks cannot masquerade");
}

static void
check_cgroups(const struct hc_ctx *c, struct hc_res *r)
{
	char *ctl;

	(void)c;
	if ((ctl = hread("/sys/fs/cgroup/cgroup.controllers")) != NULL) {
		rtrim(ctl);
		set(r, HC_PASS, NULL, "mounted (controllers: %s)",
		    ctl[0] != '\0' ? ctl : "none");
		free(ctl);
	} else if (hexists("/sys/fs/cgroup/unified/cgroup.controllers"))
		set(r, HC_WARN, "boot with systemd.unified_cgroup_hierarchy=1",
		    "hybrid hierarchy: v2 only at /sys/fs/cgroup/unified");
	else
		set(r, HC_WARN, "mount -t cgroup2 none /sys/fs/cgroup",
		    "not mounted at /sys/fs/cgroup");
}

/* A number from a host file, or -1. */
static long long
hnum(const char *path)
{
	char *s = hread(path), *end;
	long long v = -1;

	if (s != NULL) {
		v = strtoll(s, &end, 10);
		if (end == s)
			v = -1;
	}
	free(s);
	return v;
}

/*
 * Each pool of /sys/kernel/mm/hugepages (what memorybacking's hugepages
 * take): "2048 kB: 8 free of 16, 1048576 kB: 0 free of 0".  0 when the
 * directory is not there.
 */
static int
hugepage_pools(struct hc_res *r)
{
	char line[sizeof(r->detail)] = "", p[PATH_MAX];
	static const unsigned sizes[] = { 2048, 1048576 };
	size_t n = 0;
	int any = 0;

	if (!hexists("/sys/kernel/mm/hugepages"))
		return 0;
	for (size_t i = 0; i < nitems(sizes); i++) {
		snprintf(p, sizeof(p), "/sys/kernel/mm/hugepages/hugepages-%ukB/"
		    "nr_hugepages", sizes[i]);
		long long total = hnum(p);
		snprintf(p, sizeof(p), "/sys/kernel/mm/hugepages/hugepages-%ukB/"
		    "free_hugepages", sizes[i]);
		long long free_pages = hnum(p);
		if (total < 0)
			continue;
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%u kB: "
		    "%lld free of %lld", any ? ", " : "", sizes[i], free_pages,
		    total);
		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		any = 1;
	}
	if (!any)
		return 0;
	set(r, HC_PASS, NULL, "%s", line);
	return 1;
}

static void
check_hugepages(const struct hc_ctx *c, struct hc_res *r)
{
	char *mi = hread("/proc/meminfo"), *t, *s;
	long long total = -1, size = -1;

	(void)c;
	if (mi != NULL && (t = strstr(mi, "HugePages_Total:")) != NULL)
		total = strtoll(t + 16, NULL, 10);
	if (mi != NULL && (s = strstr(mi, "Hugepagesize:")) != NULL)
		size = strtoll(s + 13, NULL, 10);
	free(mi);
	if (hugepage_pools(r))
		return;
	if (total < 0)
		set(r, HC_PASS, NULL, "count unknown (no HugePages_Total in "
		    "/proc/meminfo)");
	else if (size > 0)
		set(r, HC_PASS, NULL, "%lld pages of %lld kB", total, size);
	else
		set(r, HC_PASS, NULL, "%lld pages", total);
}

/* KSM (memorybacking's mergeable): /sys/kernel/mm/ksm/run and its pages. */
static void
check_ksm(const struct hc_ctx *c, struct hc_res *r)
{
	static const char *const runs[] = { "stopped", "running",
	    "stopped, unmerging" };
	long long run = hnum("/sys/kernel/mm/ksm/run");
	long long sharing = hnum("/sys/kernel/mm/ksm/pages_sharing");

	(void)c;
	if (run < 0)
		set(r, HC_PASS, NULL, "not in this kernel (mergeable= does "
		    "nothing)");
	else if (run > 2)
		set(r, HC_PASS, NULL, "run %lld", run);
	else if (sharing >= 0)
		set(r, HC_PASS, NULL, "%s, %lld pages shared", runs[run],
		    sharing);
	else
		set(r, HC_PASS, NULL, "%s", runs[run]);
}

/* NUMA nodes (numa: hostnodes=): each with its CPUs. */
static void
check_numa(const struct hc_ctx *c, struct hc_res *r)
{
	char line[sizeof(r->detail)] = "", p[PATH_MAX];
	size_t n = 0;
	int count = 0;

	(void)c;
	for (int i = 0; i < 64; i++) {
		snprintf(p, sizeof(p), "/sys/devices/system/node/node%d/cpulist",
		    i);
		char *cpus = hread(p);
		if (cpus == NULL)
			continue;
		rtrim(cpus);
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%snode%d "
		    "(CPUs %s)", count ? ", " : "", i, cpus);
		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		free(cpus);
		count++;
	}
	if (count == 0)
		set(r, HC_PASS, NULL, "no NUMA information (one node)");
	else
		set(r, HC_PASS, NULL, "%d: %s", count, line);
}

static const struct hc_check {
	const char	*name;
	void		(*fn)(const struct hc_ctx *, struct hc_res *);
} checks[] = {
	{ "CPU virtualization",	check_cpu },
	{ "KVM device",		check_kvm_dev },
	{ "KVM modules",	check_kvm_modules },
	{ "TUN device",		check_tun },
	{ "QEMU",		check_qemu },
	{ "qemu-img",		check_qemu_img },
	{ "Bridge support",	check_bridge },
	{ "vhost-net",		check_vhost_net },
	{ "dnsmasq",		check_dnsmasq },
	{ "nftables",		check_nft },
	{ "cgroups v2",		check_cgroups },
	{ "Hugepages",		check_hugepages },
	{ "KSM",		check_ksm },
	{ "NUMA nodes",		check_numa },
};

int
hostcheck_run(const char *qemu, const char *qemu_img, int json, FILE *out,
    struct json_object **jout)
{
	const struct hc_ctx c = { qemu, qemu_img };
	struct json_object *arr = NULL;
	size_t width = 0, i;
	int fails = 0;

	for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++)
		if (strlen(checks[i].name) > width)
			width = strlen(checks[i].name);
	if (json)
		arr = json_object_new_array();
	for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		struct hc_res r = { .level = HC_PASS };
		checks[i].fn(&c, &r);
		if (r.level == HC_FAIL)
			fails++;
		if (json) {
			struct json_object *o = json_object_new_object();
			json_object_object_add(o, "check",
			    json_object_new_string(checks[i].name));
			json_object_object_add(o, "result",
			    json_object_new_string(level_names[r.level]));
			json_object_object_add(o, "detail",
			    json_object_new_string(r.detail));
			json_object_object_add(o, "hint", r.level == HC_PASS ?
			    NULL : json_object_new_string(r.hint));
			json_object_array_add(arr, o);
			continue;
		}
		fprintf(out, "  %s  %s:%*s %s\n", level_names[r.level],
		    checks[i].name, (int)(width - strlen(checks[i].name)), "",
		    r.detail);
		if (r.level != HC_PASS && r.hint[0] != '\0')
			fprintf(out, "        hint: %s\n", r.hint);
	}
	if (json)
		*jout = arr;
	return fails;
}
