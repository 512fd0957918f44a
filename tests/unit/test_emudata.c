/*
 * The emulator's own data directory and the argv every start, migration
 * destination and cmdline share (vm_argv): a QEMU unpacked elsewhere
 * whose search path lacks its sibling share/qemu gets -L that directory
 * right after the binary; one whose path has it (the system's), or that
 * has no such directory, gets nothing; a probe that hangs or prints
 * nothing fails in bounded time and adds nothing.  cmdline_build_uri:
 * -incoming with the URI given, last, and CMDLINE_NOSTOP leaves out -S.
 * cmdline --incoming against the fake QEMU: the machine type pinned to
 * the one qom-get gives, QEMU's error or an empty URI refused in one line.
 */
#include <sys/stat.h>

#include <fcntl.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cmdline.h"
#include "daemon.h"
#include "emudata.h"
#include "fakeqemu.h"
#include "jget.h"
#include "names.h"
#include "log.h"
#include "testutil.h"
#include "vm-argv.h"

/* DIR/usr/bin/qemu printing the lines given on -L help; its share/qemu */
static void
fake_emu(const char *dir, const char *lines, int with_share, char *emu,
    size_t len)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/usr", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/usr/bin", dir);
	mkdir(p, 0755);
	if (with_share) {
		snprintf(p, sizeof(p), "%s/usr/share", dir);
		mkdir(p, 0755);
		snprintf(p, sizeof(p), "%s/usr/share/qemu", dir);
		mkdir(p, 0755);
	}
	snprintf(emu, len, "%s/usr/bin/qemu", dir);
	FILE *f = fopen(emu, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\n[ \"$1 $2\" = \"-L help\" ] || exit 1\n%s\n",
	    lines);
	fclose(f);
	chmod(emu, 0755);
}

static void
test_probe(void **state)
{
	char *t = tu_mkdtemp("emudata");
	char dir[PATH_MAX], emu[PATH_MAX], err[512], want[PATH_MAX], lines[PATH_MAX + 64];
	(void)state;

	/* unpacked elsewhere: the system's path only */
	fake_emu(t, "echo /usr/share/qemu; echo /usr/share/seabios", 1, emu,
	    sizeof(emu));
	assert_int_equal(emudata_dir(emu, dir, sizeof(dir), err, sizeof(err)), 1);
	snprintf(want, sizeof(want), "%s/usr/share/qemu", t);
	char rw[PATH_MAX];
	assert_non_null(realpath(want, rw));
	assert_string_equal(dir, rw);

	/* its own directory on its path (as the system's QEMU): nothing */
	snprintf(lines, sizeof(lines), "echo /usr/share/qemu; echo %s/usr/bin/../share/qemu", t);
	fake_emu(t, lines, 1, emu, sizeof(emu));
	assert_int_equal(emudata_dir(emu, dir, sizeof(dir), err, sizeof(err)), 0);

	/* a probe that prints nothing, or hangs: -1, in bounded time */
	fake_emu(t, "true", 1, emu, sizeof(emu));
	assert_int_equal(emudata_dir(emu, dir, sizeof(dir), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "printed no search path"));
	fake_emu(t, "exec sleep 30", 1, emu, sizeof(emu));
	long long t0 = tu_now_ms();
	assert_int_equal(emudata_dir(emu, dir, sizeof(dir), err, sizeof(err)), -1);
	assert_true(tu_now_ms() - t0 < EMUDATA_PROBE_MS + 1000);
	assert_non_null(strstr(err, "did not answer"));
	tu_rmtree(t);
	free(t);

	/* no share/qemu beside it: nothing, and nothing run */
	t = tu_mkdtemp("emudata");
	fake_emu(t, "exit 1", 0, emu, sizeof(emu));
	assert_int_equal(emudata_dir(emu, dir, sizeof(dir), err, sizeof(err)), 0);
	assert_int_equal(emudata_dir("/nonexistent/qemu", dir, sizeof(dir), err,
	    sizeof(err)), 0);
	tu_rmtree(t);
	free(t);
}

static size_t
find(const struct argv *a, const char *s)
{
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], s) == 0)
			return i;
	return (size_t)-1;
}

static void
test_argv(void **state)
{
	char *t = tu_mkdtemp("emudata");
	char emu[PATH_MAX], text[PATH_MAX + 64], err[512];
	struct vmpaths p;
	struct argv a;
	struct daemon d;
	(void)state;

	fake_emu(t, "echo /usr/share/qemu", 1, emu, sizeof(emu));
	snprintf(text, sizeof(text), "name: v\nemulator: %s\n", emu);
	struct vmdef *def = tu_parse_ok(text);
	assert_int_equal(vmpaths_init(&p, "/run/x", "v", err, sizeof(err)), 0);
	memset(&d, 0, sizeof(d));
	d.qemu = "/usr/bin/qemu-system-x86_64";

	/* a start: -S, no -incoming, -L its data directory after argv[0] */
	assert_int_equal(vm_argv(&d, def, &p, ACCEL_TCG, 0, NULL, &a, err,
	    sizeof(err)), 0);
	assert_string_equal(a.v[0], emu);
	assert_string_equal(a.v[1], "-L");
	assert_non_null(strstr(a.v[2], "/usr/share/qemu"));
	assert_true(find(&a, "-S") != (size_t)-1);
	assert_true(find(&a, "-incoming") == (size_t)-1);
	assert_null(a.v[a.n]);
	size_t n = a.n;
	argv_free(&a);

	/*
	 * the answer is kept by the binary's file: the same file (mtime
	 * kept) that would now hang is not run again
	 */
	struct stat st;
	assert_int_equal(stat(emu, &st), 0);
	fake_emu(t, "exec sleep 30", 1, emu, sizeof(emu));
	struct timespec ts[2] = { st.st_atim, st.st_mtim };
	assert_int_equal(utimensat(AT_FDCWD, emu, ts, 0), 0);
	long long t0 = tu_now_ms();
	assert_int_equal(vm_argv(&d, def, &p, ACCEL_TCG, 0, NULL, &a, err,
	    sizeof(err)), 0);
	assert_true(tu_now_ms() - t0 < 1000);
	assert_string_equal(a.v[1], "-L");
	argv_free(&a);

	/* a destination: -incoming defer, last */
	assert_int_equal(vm_argv(&d, def, &p, ACCEL_TCG, CMDLINE_INCOMING,
	    NULL, &a, err, sizeof(err)), 0);
	assert_int_equal(a.n, n + 2);
	assert_string_equal(a.v[a.n - 2], "-incoming");
	assert_string_equal(a.v[a.n - 1], "defer");
	argv_free(&a);

	/* cmdline --incoming: the URI, and no -S; else the same */
	assert_int_equal(vm_argv(&d, def, &p, ACCEL_TCG, CMDLINE_INCOMING |
	    CMDLINE_NOSTOP, "tcp:0:7777", &a, err, sizeof(err)), 0);
	assert_int_equal(a.n, n + 1);
	assert_true(find(&a, "-S") == (size_t)-1);
	assert_string_equal(a.v[a.n - 1], "tcp:0:7777");
	argv_free(&a);
	vmdef_free(def);

	/* the daemon's default, its directory on its path: no -L */
	snprintf(text, sizeof(text), "echo %s/usr/share/qemu", t);
	fake_emu(t, text, 1, emu, sizeof(emu));
	d.qemu = emu;
	def = tu_parse_ok("name: v\n");
	assert_int_equal(vm_argv(&d, def, &p, ACCEL_TCG, 0, NULL, &a, err,
	    sizeof(err)), 0);
	assert_string_equal(a.v[0], emu);
	assert_true(find(&a, "-L") == (size_t)-1);
	argv_free(&a);
	vmdef_free(def);
	emudata_free(d.emudata);
	tu_rmtree(t);
	free(t);
}

static struct json_object *
argv_of(struct json_object *ret)
{
	struct json_object *a = jget(ret, "argv");

	assert_non_null(a);
	assert_true(json_object_is_type(a, json_type_array));
	return a;
}

static const char *
arg(struct json_object *a, size_t i)
{
	return json_object_get_string(json_object_array_get_idx(a, i));
}

static void
test_cmdline_incoming(void **state)
{
	struct fx *f = fx_new();
	(void)state;

	fx_running_vm(f, PLAIN_VM "machine: pc\n");
	request(f, "cmdline", "{\"name\": \"t1\", \"incoming\": "
	    "\"tcp:0:7777\"}");
	answer(f, expect_cmd(f, "qom-get", NULL), "\"pc-i440fx-7.2-machine\"");
	struct json_object *ret = expect_return(f), *a = argv_of(ret);
	size_t n = json_object_array_length(a);
	int machine = 0;
	for (size_t i = 0; i < n; i++) {
		assert_string_not_equal(arg(a, i), "-S");
		if (strcmp(arg(a, i), "-machine") == 0) {
			assert_string_equal(arg(a, i + 1), "pc-i440fx-7.2");
			machine = 1;
		}
	}
	assert_true(machine);
	assert_string_equal(arg(a, n - 2), "-incoming");
	assert_string_equal(arg(a, n - 1), "tcp:0:7777");
	assert_string_equal(jstr(ret, "machine"), "pc-i440fx-7.2");
	json_object_put(ret);

	/* QEMU's error, and an empty URI: one line each */
	request(f, "cmdline", "{\"name\": \"t1\", \"incoming\": "
	    "\"tcp:0:7777\"}");
	answer_error(f, expect_cmd(f, "qom-get", NULL), "GenericError",
	    "no machine here");
	expect_error(f, ERR_GENERIC, "no machine here", 0);
	request(f, "cmdline", "{\"name\": \"t1\", \"incoming\": \"\"}");
	expect_error(f, ERR_GENERIC, "--incoming needs a URI", 0);

	/* without --incoming: start's argv, -S and the definition's type */
	request(f, "cmdline", "{\"name\": \"t1\"}");
	ret = expect_return(f);
	a = argv_of(ret);
	n = json_object_array_length(a);
	int stop = 0;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(arg(a, i), "-S") == 0)
			stop = 1;
		if (strcmp(arg(a, i), "-machine") == 0)
			assert_string_equal(arg(a, i + 1), "pc");
	}
	assert_true(stop);
	json_object_put(ret);
	fx_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_argv),
		cmocka_unit_test(test_cmdline_incoming),
	};

	log_init("test_emudata", 1, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
