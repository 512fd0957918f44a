/*
 * host-check against a fake /proc, /sys and /dev tree in a temporary
 * directory (hostcheck_set_root), with shell scripts standing in for
 * QEMU and qemu-img; then once against the real host.
 * HOSTCHECK_SHOW=1 prints the real-host table.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "hostcheck.h"
#include "testutil.h"
#include "util.h"

#define NCHECKS	14

struct fake {
	char	*root;
	char	*qemu;
	char	*img;
};

static const char cpu_vmx[] =
    "processor\t: 0\nvendor_id\t: GenuineIntel\n"
    "flags\t\t: fpu vme de pse msr vmx sse2 hypervisor\n\n";
static const char cpu_none[] =
    "processor\t: 0\nvendor_id\t: GenuineIntel\n"
    "flags\t\t: fpu vme de pse msr vmxfoo sse2 hypervisor\n"
    "vmx flags\t: vnmi\n\n";
static const char cpu_svm[] =
    "processor\t: 0\nvendor_id\t: AuthenticAMD\n"
    "flags\t\t: fpu vme de svm sse2\n\n";

/* Write root/rel (creating directories) with the given mode. */
static void
put(const char *root, const char *rel, const char *text, mode_t mode)
{
	char *p = xasprintf("%s%s", root, rel), *dir = xstrdup(p);
	FILE *f;

	*strrchr(dir, '/') = '\0';
	assert_int_equal(mkdirs(dir, 0755), 0);
	assert_non_null(f = fopen(p, "w"));
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(p, mode), 0);
	free(dir);
	free(p);
}

static void
mkd(const char *root, const char *rel)
{
	char *p = xasprintf("%s%s", root, rel);

	assert_int_equal(mkdirs(p, 0755), 0);
	free(p);
}

static void
rm(const char *root, const char *rel)
{
	char *p = xasprintf("%s%s", root, rel);

	tu_rmtree(p);
	free(p);
}

/* A healthy Intel host, except that /dev/kvm is missing. */
static int
setup(void **state)
{
	struct fake *f = xcalloc(1, sizeof(*f));

	f->root = tu_mkdtemp("hostcheck");
	assert_non_null(f->root);
	put(f->root, "/proc/cpuinfo", cpu_vmx, 0644);
	put(f->root, "/proc/meminfo", "MemTotal:  1024 kB\n"
	    "HugePages_Total:      16\nHugePages_Free:  16\n"
	    "Hugepagesize:       2048 kB\n", 0644);
	mkd(f->root, "/sys/module/kvm");
	put(f->root, "/sys/module/kvm_intel/parameters/nested", "Y\n", 0644);
	mkd(f->root, "/sys/module/bridge");
	put(f->root, "/sys/fs/cgroup/cgroup.controllers", "cpu memory\n",
	    0644);
	put(f->root, "/dev/net/tun", "", 0666);
	put(f->root, "/dev/vhost-net", "", 0666);
	put(f->root, "/usr/sbin/dnsmasq", "#!/bin/sh\n"
	    "[ \"$1\" = --version ] || exit 1\n"
	    "echo 'Dnsmasq version 2.99 (fake)'\n", 0755);
	put(f->root, "/usr/sbin/nft", "#!/bin/sh\n"
	    "[ \"$1\" = --version ] || exit 1\n"
	    "echo 'nftables v9.9 (fake)'\n", 0755);
	f->qemu = xasprintf("%s/bin/qemu-system-x86_64", f->root);
	f->img = xasprintf("%s/bin/qemu-img", f->root);
	put(f->root, "/bin/qemu-system-x86_64", "#!/bin/sh\n"
	    "[ \"$1\" = -version ] || exit 1\n"
	    "echo 'QEMU emulator version 9.9.9 (fake)'\n"
	    "echo 'Copyright (c) 2003-2024 Fabrice Bellard'\n", 0755);
	put(f->root, "/bin/qemu-img", "#!/bin/sh\n"
	    "[ \"$1\" = --version ] || exit 1\n"
	    "echo 'qemu-img version 9.9.9 (fake)'\n", 0755);
	hostcheck_set_root(f->root);
	hostcheck_set_timeout_ms(5000);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fake *f = *state;

	hostcheck_set_root(NULL);
	hostcheck_set_timeout_ms(5000);
	tu_rmtree(f->root);
	free(f->root);
	free(f->qemu);
	free(f->img);
	free(f);
	return 0;
}

/* Run in JSON mode; *fails gets the return value. */
static struct json_object *
run(const char *qemu, const char *img, int *fails)
{
	struct json_object *a = NULL;

	*fails = hostcheck_run(qemu, img, 1, NULL, &a);
	assert_non_null(a);
	assert_int_equal(json_object_array_length(a), NCHECKS);
	return a;
}

static const char *
field(struct json_object *a, const char *check, const char *key)
{
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		struct json_object *o = json_object_array_get_idx(a, i), *v;
		json_object_object_get_ex(o, "check", &v);
		if (strcmp(json_object_get_string(v), check) != 0)
			continue;
		assert_true(json_object_object_get_ex(o, key, &v));
		return v != NULL ? json_object_get_string(v) : NULL;
	}
	fail_msg("no check '%s'", check);
	return NULL;
}

/* Assert check's result and that its detail (and hint) contain strings. */
static void
expect(const struct fake *f, const char *check, const char *result,
    const char *detail, const char *hint)
{
	int n;
	struct json_object *a = run(f->qemu, f->img, &n);

	assert_string_equal(field(a, check, "result"), result);
	if (detail != NULL && strstr(field(a, check, "detail"), detail) == NULL)
		fail_msg("%s: '%s' lacks '%s'", check,
		    field(a, check, "detail"), detail);
	if (hint != NULL && strstr(field(a, check, "hint"), hint) == NULL)
		fail_msg("%s: hint '%s' lacks '%s'", check,
		    field(a, check, "hint"), hint);
	json_object_put(a);
}

static void
test_cpu(void **state)
{
	struct fake *f = *state;

	expect(f, "CPU virtualization", "PASS", "vmx (Intel VT-x)", NULL);
	put(f->root, "/proc/cpuinfo", cpu_none, 0644);
	expect(f, "CPU virtualization", "WARN", "TCG only, slow", "VT-x");
	put(f->root, "/proc/cpuinfo", cpu_svm, 0644);
	expect(f, "CPU virtualization", "PASS", "svm (AMD-V)", NULL);
	rm(f->root, "/proc/cpuinfo");
	expect(f, "CPU virtualization", "WARN", "cannot read", NULL);
}

static void
test_kvm_device(void **state)
{
	struct fake *f = *state;

	expect(f, "KVM device", "WARN", "/dev/kvm missing: TCG only",
	    "modprobe kvm_intel");
	put(f->root, "/proc/cpuinfo", cpu_svm, 0644);
	expect(f, "KVM device", "WARN", "missing", "modprobe kvm_amd");

	/* a regular file opens but is no KVM device */
	put(f->root, "/dev/kvm", "", 0666);
	expect(f, "KVM device", "WARN", "not a KVM device", "10:232");
	if (geteuid() != 0) {
		put(f->root, "/dev/kvm", "", 0600);
		char *p = xasprintf("%s/dev/kvm", f->root);
		assert_int_equal(chmod(p, 0), 0);
		free(p);
		expect(f, "KVM device", "WARN", "permission denied",
		    "kvm group");
	}
	rm(f->root, "/dev/kvm");
	mkd(f->root, "/dev/kvm");
	expect(f, "KVM device", "WARN", "/dev/kvm: Is a directory", NULL);
}

static void
test_kvm_modules(void **state)
{
	struct fake *f = *state;

	expect(f, "KVM modules", "PASS", "kvm, kvm_intel (nested: on)", NULL);
	rm(f->root, "/sys/module/kvm_intel");
	expect(f, "KVM modules", "WARN", "neither kvm_intel nor kvm_amd",
	    "modprobe kvm_intel");
	put(f->root, "/sys/module/kvm_amd/parameters/nested", "0\n", 0644);
	expect(f, "KVM modules", "PASS", "kvm, kvm_amd (nested: off)", NULL);
	rm(f->root, "/sys/module/kvm_amd/parameters");
	expect(f, "KVM modules", "PASS", "(nested: unknown)", NULL);
	rm(f->root, "/sys/module/kvm");
	expect(f, "KVM modules", "WARN", "kvm not loaded", "modprobe");
}

static void
test_other_checks(void **state)
{
	struct fake *f = *state;

	expect(f, "TUN device", "PASS", "usable", NULL);
	rm(f->root, "/dev/net");
	expect(f, "TUN device", "WARN", "no tap networking", "modprobe tun");

	expect(f, "Bridge support", "PASS", NULL, NULL);
	rm(f->root, "/sys/module/bridge");
	expect(f, "Bridge support", "WARN", "not loaded", "modprobe bridge");
	mkd(f->root, "/proc/sys/net/bridge");
	expect(f, "Bridge support", "PASS", "loaded", NULL);

	expect(f, "cgroups v2", "PASS", "controllers: cpu memory", NULL);
	rm(f->root, "/sys/fs/cgroup");
	put(f->root, "/sys/fs/cgroup/unified/cgroup.controllers", "", 0644);
	expect(f, "cgroups v2", "WARN", "hybrid", "unified_cgroup_hierarchy");
	rm(f->root, "/sys/fs/cgroup");
	expect(f, "cgroups v2", "WARN", "not mounted", "mount -t cgroup2");

	expect(f, "Hugepages", "PASS", "16 pages of 2048 kB", NULL);
	rm(f->root, "/proc/meminfo");
	expect(f, "Hugepages", "PASS", "unknown", NULL);
	/* the pools in sysfs, when there */
	put(f->root, "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages",
	    "16\n", 0644);
	put(f->root, "/sys/kernel/mm/hugepages/hugepages-2048kB/"
	    "free_hugepages", "9\n", 0644);
	put(f->root, "/sys/kernel/mm/hugepages/hugepages-1048576kB/"
	    "nr_hugepages", "1\n", 0644);
	put(f->root, "/sys/kernel/mm/hugepages/hugepages-1048576kB/"
	    "free_hugepages", "1\n", 0644);
	expect(f, "Hugepages", "PASS", "2048 kB: 9 free of 16, 1048576 kB: 1 "
	    "free of 1", NULL);
	rm(f->root, "/sys/kernel/mm/hugepages");

	expect(f, "KSM", "PASS", "not in this kernel", NULL);
	put(f->root, "/sys/kernel/mm/ksm/run", "1\n", 0644);
	put(f->root, "/sys/kernel/mm/ksm/pages_sharing", "42\n", 0644);
	expect(f, "KSM", "PASS", "running, 42 pages shared", NULL);
	put(f->root, "/sys/kernel/mm/ksm/run", "0\n", 0644);
	expect(f, "KSM", "PASS", "stopped, 42 pages shared", NULL);

	expect(f, "NUMA nodes", "PASS", "no NUMA information", NULL);
	put(f->root, "/sys/devices/system/node/node0/cpulist", "0-1\n", 0644);
	put(f->root, "/sys/devices/system/node/node1/cpulist", "2-3\n", 0644);
	expect(f, "NUMA nodes", "PASS", "2: node0 (CPUs 0-1), node1 (CPUs 2-3)",
	    NULL);
}

/* What networking needs: bridge, vhost-net, dnsmasq, nft. */
static void
test_net_checks(void **state)
{
	struct fake *f = *state;

	/* the bridge module not loaded, but there to be loaded */
	rm(f->root, "/sys/module/bridge");
	put(f->root, "/proc/sys/kernel/osrelease", "6.1.0-99-amd64\n", 0644);
	put(f->root, "/lib/modules/6.1.0-99-amd64/modules.dep",
	    "kernel/net/llc/llc.ko.xz:\n"
	    "kernel/net/bridge/bridge.ko.xz: kernel/net/802/stp.ko.xz "
	    "kernel/net/llc/llc.ko.xz\n", 0644);
	expect(f, "Bridge support", "PASS", "available", NULL);
	put(f->root, "/lib/modules/6.1.0-99-amd64/modules.dep",
	    "kernel/net/bridge/br_netfilter.ko.xz: kernel/net/bridge/"
	    "bridge.ko.xz\n", 0644);
	expect(f, "Bridge support", "WARN", "not loaded", "modprobe bridge");
	put(f->root, "/lib/modules/6.1.0-99-amd64/modules.builtin",
	    "kernel/net/bridge/bridge.ko\n", 0644);
	expect(f, "Bridge support", "PASS", "available", NULL);

	expect(f, "vhost-net", "PASS", "/dev/vhost-net usable", NULL);
	rm(f->root, "/dev/vhost-net");
	expect(f, "vhost-net", "WARN", "/dev/vhost-net missing: virtio-net "
	    "NICs run without vhost", "modprobe vhost_net");
	mkd(f->root, "/dev/vhost-net");
	expect(f, "vhost-net", "WARN", "Is a directory", NULL);

	expect(f, "dnsmasq", "PASS", "/usr/sbin/dnsmasq (Dnsmasq version "
	    "2.99 (fake))", NULL);
	put(f->root, "/usr/sbin/dnsmasq", "#!/bin/sh\nexit 2\n", 0755);
	expect(f, "dnsmasq", "WARN", "--version failed (exit status 2)",
	    NULL);
	rm(f->root, "/usr/sbin/dnsmasq");
	put(f->root, "/usr/local/bin/dnsmasq", "#!/bin/sh\necho 'Dnsmasq "
	    "version 3'\n", 0755);
	expect(f, "dnsmasq", "PASS", "/usr/local/bin/dnsmasq (Dnsmasq "
	    "version 3)", NULL);
	rm(f->root, "/usr/local/bin/dnsmasq");
	expect(f, "dnsmasq", "WARN", "dnsmasq not found: NAT networks have "
	    "no DHCP", "apt-get install dnsmasq-base");

	expect(f, "nftables", "PASS", "/usr/sbin/nft (nftables v9.9 (fake))",
	    NULL);
	rm(f->root, "/usr/sbin/nft");
	expect(f, "nftables", "WARN", "neither nft nor libnftables",
	    "apt-get install nftables");
	put(f->root, "/usr/lib/x86_64-linux-gnu/libnftables.so.1", "", 0644);
	expect(f, "nftables", "PASS", "libnftables (", NULL);
}

static void
test_binaries(void **state)
{
	struct fake *f = *state;
	struct json_object *a;
	int n;

	a = run(f->qemu, f->img, &n);
	assert_int_equal(n, 0);
	assert_string_equal(field(a, "QEMU", "result"), "PASS");
	assert_non_null(strstr(field(a, "QEMU", "detail"),
	    "QEMU emulator version 9.9.9 (fake)"));
	assert_null(strstr(field(a, "QEMU", "detail"), "Copyright"));
	assert_non_null(strstr(field(a, "qemu-img", "detail"),
	    "qemu-img version 9.9.9 (fake)"));
	json_object_put(a);

	/* missing binaries FAIL, and are counted */
	char *none = xasprintf("%s/bin/nonexistent", f->root);
	a = run(none, f->img, &n);
	assert_int_equal(n, 1);
	assert_string_equal(field(a, "QEMU", "result"), "FAIL");
	assert_non_null(strstr(field(a, "QEMU", "detail"),
	    "No such file or directory"));
	assert_string_equal(field(a, "QEMU", "hint"),
	    "apt-get install qemu-system-x86");
	json_object_put(a);
	a = run(none, NULL, &n);
	assert_int_equal(n, 2);
	assert_string_equal(field(a, "qemu-img", "hint"),
	    "apt-get install qemu-utils");
	json_object_put(a);
	free(none);

	/* not executable */
	put(f->root, "/bin/qemu-img", "#!/bin/sh\n", 0644);
	a = run(f->qemu, f->img, &n);
	assert_int_equal(n, 1);
	assert_string_equal(field(a, "qemu-img", "result"), "FAIL");
	assert_non_null(strstr(field(a, "qemu-img", "detail"),
	    "not an executable file"));
	json_object_put(a);

	/* runs but fails: WARN */
	put(f->root, "/bin/qemu-img", "#!/bin/sh\necho oops\nexit 3\n", 0755);
	expect(f, "qemu-img", "WARN", "--version failed (exit status 3)", NULL);
	put(f->root, "/bin/qemu-img", "#!/bin/sh\nkill -9 $$\n", 0755);
	expect(f, "qemu-img", "WARN", "--version failed (signal 9)", NULL);

	/* hangs, with a child holding the pipe: killed at the timeout */
	put(f->root, "/bin/qemu-img", "#!/bin/sh\necho 'qemu-img version 1'\n"
	    "sleep 30\n", 0755);
	hostcheck_set_timeout_ms(300);
	long long t0 = tu_now_ms();
	expect(f, "qemu-img", "WARN", "did not finish within 300 ms", NULL);
	assert_true(tu_now_ms() - t0 < 3000);

	/* a bare name is looked up along $PATH */
	char *oldpath = xstrdup(getenv("PATH"));
	char *path = xasprintf("%s/bin:%s", f->root, oldpath);
	setenv("PATH", path, 1);
	a = run("qemu-system-x86_64", "qemu-img", &n);
	setenv("PATH", oldpath, 1);
	assert_string_equal(field(a, "QEMU", "result"), "PASS");
	assert_non_null(strstr(field(a, "QEMU", "detail"), f->qemu));
	json_object_put(a);
	free(path);
	free(oldpath);
}

static void
test_json_shape(void **state)
{
	static const char *const names[NCHECKS] = { "CPU virtualization",
	    "KVM device", "KVM modules", "TUN device", "QEMU", "qemu-img",
	    "Bridge support", "vhost-net", "dnsmasq", "nftables", "cgroups v2",
	    "Hugepages", "KSM", "NUMA nodes" };
	struct fake *f = *state;
	struct json_object *a, *v;
	int n;

	a = run(f->qemu, NULL, &n);
	assert_int_equal(n, 1);
	assert_true(json_object_is_type(a, json_type_array));
	for (size_t i = 0; i < NCHECKS; i++) {
		struct json_object *o = json_object_array_get_idx(a, i);
		assert_true(json_object_is_type(o, json_type_object));
		assert_int_equal(json_object_object_length(o), 4);
		assert_true(json_object_object_get_ex(o, "check", &v));
		assert_string_equal(json_object_get_string(v), names[i]);
		assert_true(json_object_object_get_ex(o, "detail", &v));
		assert_true(json_object_is_type(v, json_type_string));
		assert_true(json_object_object_get_ex(o, "result", &v));
		const char *res = json_object_get_string(v);
		assert_true(strcmp(res, "PASS") == 0 ||
		    strcmp(res, "WARN") == 0 || strcmp(res, "FAIL") == 0);
		assert_true(json_object_object_get_ex(o, "hint", &v));
		if (strcmp(res, "PASS") == 0)
			assert_null(v);
		else
			assert_true(json_object_is_type(v, json_type_string) &&
			    json_object_get_string_len(v) > 0);
	}
	assert_string_equal(field(a, "KVM device", "result"), "WARN");
	assert_string_equal(field(a, "qemu-img", "result"), "FAIL");
	json_object_put(a);
}

/*
 * Every line is a result or the hint under a WARN/FAIL; the details
 * start in one column.  Returns the number of result lines.  Splits
 * text in place.
 */
static int
check_table(char *text, const char *expect_qemu)
{
	char *line, *save = NULL;
	int results = 0, want_hint = 0;
	long col = -1;

	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "        hint: ", 14) == 0) {
			assert_true(want_hint);
			want_hint = 0;
			continue;
		}
		assert_false(want_hint);
		assert_true(strncmp(line, "  PASS  ", 8) == 0 ||
		    strncmp(line, "  WARN  ", 8) == 0 ||
		    strncmp(line, "  FAIL  ", 8) == 0);
		want_hint = line[2] != 'P';
		char *c = strchr(line + 8, ':');
		assert_non_null(c);
		c++;
		while (*c == ' ')
			c++;
		if (col == -1)
			col = c - line;
		assert_int_equal(c - line, col);
		if (strncmp(line + 8, "QEMU:", 5) == 0 && expect_qemu != NULL)
			assert_true(strncmp(line, expect_qemu,
			    strlen(expect_qemu)) == 0);
		results++;
	}
	assert_false(want_hint);
	return results;
}

static void
test_text(void **state)
{
	struct fake *f = *state;
	char *buf = NULL;
	size_t len = 0;
	FILE *out;

	put(f->root, "/proc/cpuinfo", cpu_none, 0644);
	assert_non_null(out = open_memstream(&buf, &len));
	assert_int_equal(hostcheck_run(f->qemu, "", 0, out, NULL), 1);
	assert_int_equal(fclose(out), 0);
	assert_non_null(strstr(buf, "  WARN  CPU virtualization: "
	    "no vmx or svm flag: TCG only, slow\n        hint: "));
	assert_non_null(strstr(buf, "  FAIL  qemu-img:           "
	    "no binary configured\n        hint: apt-get install "
	    "qemu-utils\n"));
	assert_non_null(strstr(buf, "  PASS  Hugepages:          "
	    "16 pages of 2048 kB\n"));
	assert_int_equal(check_table(buf, "  PASS  QEMU: "), NCHECKS);
	free(buf);
}

static void
test_real_host(void **state)
{
	const char *qemu = "/usr/bin/qemu-system-x86_64";
	char *buf = NULL;
	size_t len = 0;
	FILE *out;

	(void)state;
	if (access(qemu, X_OK) != 0)
		skip();
	hostcheck_set_root(NULL);
	assert_non_null(out = open_memstream(&buf, &len));
	int n = hostcheck_run(qemu, "/usr/bin/qemu-img", 0, out, NULL);
	assert_int_equal(fclose(out), 0);
	if (getenv("HOSTCHECK_SHOW") != NULL)
		printf("%s(%d FAIL)\n", buf, n);
	if (access("/usr/bin/qemu-img", X_OK) == 0)
		assert_int_equal(n, 0);
	if (access("/usr/bin/qemu-img", X_OK) == 0)
		assert_non_null(strstr(buf, "  PASS  qemu-img: "));
	assert_int_equal(check_table(buf, "  PASS  QEMU: "), NCHECKS);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cpu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kvm_device, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_kvm_modules, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_other_checks, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_net_checks, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_binaries, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_json_shape, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_text, setup, teardown),
		cmocka_unit_test(test_real_host),
	};
	return cmocka_run_group_tests_name("hostcheck", tests, NULL, NULL);
}
