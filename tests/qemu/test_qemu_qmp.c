/*
 * The QMP client against a real QEMU (TCG, -S -nodefaults), and the test
 * guest booting to its shell.  Needs qemu-system-x86_64; the guest tests
 * need the guest built (make guest) and are skipped with a message
 * otherwise.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qmp.h"
#include "testutil.h"

#define READY_LINE "QLAUNCH-GUEST-READY"

struct vm {
	char		*dir;
	char		 qmp[512];
	char		 serial[512];
	char		 log[512];
	pid_t		 pid;
	struct qmp_sync	*s;
};

static void
vm_start(struct vm *vm, int guest)
{
	char qmpopt[600], seropt[600], kernel[512], initrd[512];
	const char *gdir = tu_guest_dir();
	char *argv[40];
	int n = 0;

	memset(vm, 0, sizeof(*vm));
	vm->dir = tu_mkdtemp("qemu");
	assert_non_null(vm->dir);
	snprintf(vm->qmp, sizeof(vm->qmp), "%s/qmp.sock", vm->dir);
	snprintf(vm->serial, sizeof(vm->serial), "%s/serial.sock", vm->dir);
	snprintf(vm->log, sizeof(vm->log), "%s/qemu.log", vm->dir);
	snprintf(qmpopt, sizeof(qmpopt), "unix:%s,server=on,wait=off", vm->qmp);
	snprintf(seropt, sizeof(seropt), "socket,id=ser0,path=%s,server=on,wait=off",
	    vm->serial);

	argv[n++] = (char *)tu_qemu();
	argv[n++] = "-S";
	argv[n++] = "-nodefaults";
	argv[n++] = "-no-user-config";
	argv[n++] = "-display";
	argv[n++] = "none";
	argv[n++] = "-M";
	argv[n++] = "pc";
	argv[n++] = "-accel";
	argv[n++] = "tcg,tb-size=32";
	argv[n++] = "-m";
	argv[n++] = "256";
	argv[n++] = "-qmp";
	argv[n++] = qmpopt;
	argv[n++] = "-chardev";
	argv[n++] = seropt;
	argv[n++] = "-serial";
	argv[n++] = "chardev:ser0";
	if (guest) {
		snprintf(kernel, sizeof(kernel), "%s/bzImage", gdir);
		snprintf(initrd, sizeof(initrd), "%s/initrd.img", gdir);
		argv[n++] = "-kernel";
		argv[n++] = kernel;
		argv[n++] = "-initrd";
		argv[n++] = initrd;
		argv[n++] = "-append";
		argv[n++] = "console=ttyS0 panic=-1 quiet";
		argv[n++] = "-device";
		argv[n++] = "virtio-balloon-pci,id=balloon0";
	}
	argv[n] = NULL;
	vm->pid = tu_spawn(argv, vm->log);
	assert_true(vm->pid > 0);

	char err[256];
	vm->s = qmp_sync_open(vm->qmp, 10000, NULL, err, sizeof(err));
	if (vm->s == NULL) {
		char *log = tu_slurp(vm->log, NULL);
		fail_msg("QMP: %s; QEMU said: %s", err, log ? log : "");
	}
}

static void
vm_stop(struct vm *vm)
{
	if (vm->s != NULL)
		qmp_sync_close(vm->s);
	if (vm->pid > 0) {
		kill(vm->pid, SIGTERM);
		tu_reap(vm->pid, 5000);
	}
	tu_rmtree(vm->dir);
	free(vm->dir);
}

static struct json_object *
run(struct vm *vm, const char *cmd, struct json_object *args)
{
	struct qmp_reply r;

	if (qmp_sync_execute(vm->s, cmd, args, 10000, &r) != 0)
		fail_msg("%s: %s: %s", cmd, r.eclass, r.edesc);
	struct json_object *ret = json_object_get(r.ret);
	qmp_reply_clear(&r);
	return ret;
}

static const char *
status_of(struct vm *vm, char *buf, size_t len)
{
	struct json_object *st = run(vm, "query-status", NULL);
	strlcpy(buf, json_object_get_string(json_object_object_get(st, "status")),
	    len);
	json_object_put(st);
	return buf;
}

static void
test_greeting(void **state)
{
	struct vm vm;
	int maj, min, mic;

	(void)state;
	vm_start(&vm, 0);
	qmp_version(qmp_sync_qmp(vm.s), &maj, &min, &mic);
	assert_true(maj >= 7);
	assert_true(min >= 0 && mic >= 0);
	struct json_object *g = qmp_greeting(qmp_sync_qmp(vm.s)), *body, *caps;
	assert_true(json_object_object_get_ex(g, "QMP", &body));
	assert_true(json_object_object_get_ex(body, "capabilities", &caps));
	/* every QEMU from 2.12 on offers out-of-band execution */
	assert_string_equal(json_object_get_string(
	    json_object_array_get_idx(caps, 0)), "oob");
	/* query-version agrees with the greeting */
	struct json_object *v = run(&vm, "query-version", NULL), *q;
	assert_true(json_object_object_get_ex(v, "qemu", &q));
	assert_int_equal(json_object_get_int(json_object_object_get(q, "major")), maj);
	assert_int_equal(json_object_get_int(json_object_object_get(q, "minor")), min);
	json_object_put(v);
	vm_stop(&vm);
}

static void
test_oob(void **state)
{
	struct qmp_options o;
	char err[256];
	struct vm vm;

	(void)state;
	vm_start(&vm, 0);
	qmp_sync_close(vm.s);
	qmp_options_default(&o);
	o.want_oob = 1;
	/* QEMU takes one QMP client at a time: reconnect with OOB */
	vm.s = qmp_sync_open(vm.qmp, 5000, &o, err, sizeof(err));
	assert_non_null(vm.s);
	assert_int_equal(qmp_oob_enabled(qmp_sync_qmp(vm.s)), 1);
	char buf[32];
	assert_string_equal(status_of(&vm, buf, sizeof(buf)), "prelaunch");
	vm_stop(&vm);
}

static void
test_query_status(void **state)
{
	struct vm vm;

	(void)state;
	vm_start(&vm, 0);
	struct json_object *st = run(&vm, "query-status", NULL);
	assert_string_equal(json_object_get_string(json_object_object_get(st,
	    "status")), "prelaunch");
	assert_false(json_object_get_boolean(json_object_object_get(st, "running")));
	json_object_put(st);
	vm_stop(&vm);
}

static void
test_large_schema(void **state)
{
	struct vm vm;

	(void)state;
	vm_start(&vm, 0);
	struct json_object *schema = run(&vm, "query-qmp-schema", NULL);
	assert_true(json_object_is_type(schema, json_type_array));
	size_t bytes = strlen(json_object_to_json_string_ext(schema,
	    JSON_C_TO_STRING_PLAIN));
	print_message("query-qmp-schema: %zu entries, %zu bytes\n",
	    json_object_array_length(schema), bytes);
	assert_true(bytes > 100 * 1024);
	int found = 0;
	for (size_t i = 0; i < json_object_array_length(schema); i++) {
		struct json_object *e = json_object_array_get_idx(schema, i);
		const char *name = json_object_get_string(
		    json_object_object_get(e, "name"));
		if (name != NULL && strcmp(name, "query-status") == 0)
			found = 1;
	}
	assert_true(found);
	json_object_put(schema);
	/* the connection is still in step afterwards */
	char buf[32];
	assert_string_equal(status_of(&vm, buf, sizeof(buf)), "prelaunch");
	vm_stop(&vm);
}

static void
test_stop_cont_events(void **state)
{
	struct vm vm;
	char buf[32];

	(void)state;
	vm_start(&vm, 0);
	json_object_put(run(&vm, "cont", NULL));
	struct json_object *ev = qmp_sync_wait_event(vm.s, "RESUME", 5000);
	assert_non_null(ev);
	assert_true(json_object_object_get_ex(ev, "timestamp", NULL));
	json_object_put(ev);
	assert_string_equal(status_of(&vm, buf, sizeof(buf)), "running");

	json_object_put(run(&vm, "stop", NULL));
	ev = qmp_sync_wait_event(vm.s, "STOP", 5000);
	assert_non_null(ev);
	json_object_put(ev);
	assert_string_equal(status_of(&vm, buf, sizeof(buf)), "paused");
	vm_stop(&vm);
}

static void
test_error_unchanged(void **state)
{
	struct vm vm;
	struct qmp_reply r;

	(void)state;
	vm_start(&vm, 0);
	assert_int_equal(qmp_sync_execute(vm.s, "no-such-command", NULL, 5000,
	    &r), -1);
	assert_string_equal(r.eclass, "CommandNotFound");
	assert_string_equal(r.edesc, "The command no-such-command has not been found");
	qmp_reply_clear(&r);

	struct json_object *args = json_object_new_object();
	json_object_object_add(args, "id", json_object_new_string("nope"));
	assert_int_equal(qmp_sync_execute(vm.s, "device_del", args, 5000, &r), -1);
	assert_string_equal(r.eclass, "DeviceNotFound");
	assert_non_null(strstr(r.edesc, "nope"));
	qmp_reply_clear(&r);
	vm_stop(&vm);
}

/* getfd over SCM_RIGHTS, then closefd by the same name. */
static void
test_getfd(void **state)
{
	struct vm vm;
	struct qmp_reply r;
	int p[2];

	(void)state;
	vm_start(&vm, 0);
	assert_int_equal(pipe(p), 0);
	struct json_object *args = json_object_new_object();
	json_object_object_add(args, "fdname", json_object_new_string("testfd"));
	if (qmp_sync_execute_fd(vm.s, "getfd", args, p[1], 5000, &r) != 0)
		fail_msg("getfd: %s: %s", r.eclass, r.edesc);
	qmp_reply_clear(&r);
	close(p[1]);
	/* QEMU holds the write end now: what it would write, we could read */
	close(p[0]);
	/* closefd succeeds only if QEMU holds an fd by that name */
	args = json_object_new_object();
	json_object_object_add(args, "fdname", json_object_new_string("testfd"));
	int rc = qmp_sync_execute(vm.s, "closefd", args, 5000, &r);
	if (rc != 0)
		fail_msg("closefd: %s: %s", r.eclass, r.edesc);
	qmp_reply_clear(&r);
	/* a second closefd fails: the name is gone */
	args = json_object_new_object();
	json_object_object_add(args, "fdname", json_object_new_string("testfd"));
	assert_int_equal(qmp_sync_execute(vm.s, "closefd", args, 5000, &r), -1);
	assert_string_equal(r.eclass, "GenericError");
	qmp_reply_clear(&r);
	vm_stop(&vm);
}

static void
test_quit(void **state)
{
	struct vm vm;
	struct qmp_reply r;

	(void)state;
	vm_start(&vm, 0);
	/* the reply may race with EOF; either way SHUTDOWN comes first */
	qmp_sync_execute(vm.s, "quit", NULL, 5000, &r);
	qmp_reply_clear(&r);
	struct json_object *ev = qmp_sync_wait_event(vm.s, "SHUTDOWN", 5000);
	assert_non_null(ev);
	struct json_object *data, *reason;
	assert_true(json_object_object_get_ex(ev, "data", &data));
	assert_true(json_object_object_get_ex(data, "reason", &reason));
	assert_string_equal(json_object_get_string(reason), "host-qmp-quit");
	json_object_put(ev);
	assert_int_equal(qmp_sync_wait_closed(vm.s, 5000), 0);
	assert_string_equal(qmp_sync_closed_reason(vm.s), "end of file");
	int st = tu_reap(vm.pid, 5000);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	vm.pid = -1;
	vm_stop(&vm);
}

/* Read serial output until needle appears; returns what was read. */
static char *
serial_expect(int fd, const char *needle, int timeout_ms)
{
	long long end = tu_now_ms() + timeout_ms;
	size_t len = 0, cap = 65536;
	char *buf = calloc(1, cap);

	while (tu_now_ms() < end) {
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, 100) <= 0)
			continue;
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, needle) != NULL)
			return buf;
		if (len > cap - 1024) {
			memmove(buf, buf + cap / 2, len - cap / 2);
			len -= cap / 2;
			buf[len] = '\0';
		}
	}
	fail_msg("no '%s' on the serial console in %d ms; got: %s", needle,
	    timeout_ms, buf);
	return NULL;
}

static void
test_guest_boots(void **state)
{
	struct vm vm;

	(void)state;
	if (tu_guest_dir() == NULL) {
		print_message("SKIP: the test guest is not built (make guest)\n");
		skip();
	}
	vm_start(&vm, 1);
	int ser = tu_connect_unix(vm.serial, 5000);
	assert_true(ser >= 0);
	long long t0 = tu_now_ms();
	json_object_put(run(&vm, "cont", NULL));
	free(serial_expect(ser, READY_LINE, 60000));
	print_message("guest ready after %lld ms under TCG\n", tu_now_ms() - t0);

	/* a command typed on the console runs in the guest */
	tu_write_str(ser, "echo sum=$((6*7))\n");
	free(serial_expect(ser, "sum=42", 10000));
	/* the guest sees its virtio balloon (virtio id 5) */
	tu_write_str(ser, "cat /sys/bus/virtio/devices/*/device\n");
	free(serial_expect(ser, "0x0005", 10000));

	/* ACPI power button: the guest's acpid powers it off */
	json_object_put(run(&vm, "system_powerdown", NULL));
	struct json_object *ev = qmp_sync_wait_event(vm.s, "SHUTDOWN", 30000);
	assert_non_null(ev);
	struct json_object *data = json_object_object_get(ev, "data");
	assert_true(json_object_get_boolean(json_object_object_get(data, "guest")));
	json_object_put(ev);
	int st = tu_reap(vm.pid, 10000);
	assert_true(WIFEXITED(st));
	vm.pid = -1;
	close(ser);
	vm_stop(&vm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_greeting),
		cmocka_unit_test(test_oob),
		cmocka_unit_test(test_query_status),
		cmocka_unit_test(test_large_schema),
		cmocka_unit_test(test_stop_cont_events),
		cmocka_unit_test(test_error_unchanged),
		cmocka_unit_test(test_getfd),
		cmocka_unit_test(test_quit),
		cmocka_unit_test(test_guest_boots),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("qemu-qmp", tests, NULL, NULL);
}
