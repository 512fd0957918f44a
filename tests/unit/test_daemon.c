/*
 * The supervisor's parts as a library, against a fake QEMU on the other
 * end of a socketpair: jobs (steps checked in order, undo in reverse,
 * timeout, QEMU vanishing), the VM core's start job, and command handlers
 * through dispatch (error replies passed through, preconditions,
 * shutdown's timeout, screenshot, send-key).  No qlaunchd, no QEMU.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "base64.h"
#include "daemon.h"
#include "dispatch.h"
#include "events.h"
#include "jget.h"
#include "job.h"
#include "log.h"
#include "qmp.h"
#include "req.h"
#include "fakeqemu.h"
#include "testutil.h"
#include "vm.h"

/* ---- jobs ---- */

struct outcome {
	int	done;
	int	ok;
	char	class[64];
	char	desc[256];
	int	qemu;
	char	progress[256];
};

static void
job_done(void *arg, int ok, const char *class, const char *desc, int qemu)
{
	struct outcome *o = arg;

	o->done++;
	o->ok = ok;
	o->qemu = qemu;
	if (!ok) {
		strlcpy(o->class, class, sizeof(o->class));
		strlcpy(o->desc, desc, sizeof(o->desc));
	}
}

static void
job_prog(void *arg, int step, int n, const char *what)
{
	struct outcome *o = arg;
	char s[64];

	snprintf(s, sizeof(s), "%d/%d:%s ", step, n, what);
	strlcat(o->progress, s, sizeof(o->progress));
}

static int
want_answer_42(void *arg, struct json_object *ret, char *err, size_t errlen)
{
	(void)arg;
	if (jint(ret, "answer", 0) == 42)
		return 0;
	snprintf(err, errlen, "the answer was not 42");
	return -1;
}

static struct json_object *
jarg(const char *s)
{
	return json_tokener_parse(s);
}

/* Steps in order, each checked; the third fails: undo 2 then 1. */
static void
test_job_undo_in_reverse(void **state)
{
	struct fx *f = fx_new();
	struct outcome o = { 0 };

	(void)state;
	fx_bare_qmp(f);
	struct job *j = job_new(f->base, f->q, "plug", 10000, job_done, &o);
	job_step(j, "object-add", jarg("{\"id\": \"a\"}"), NULL, NULL);
	job_undo(j, "object-del", jarg("{\"id\": \"a\"}"));
	job_step(j, "device_add", jarg("{\"id\": \"b\"}"), NULL, NULL);
	job_undo(j, "device_del", jarg("{\"id\": \"b\"}"));
	job_step(j, "qom-set", NULL, NULL, NULL);
	job_progress(j, job_prog, &o);
	job_start(j);
	answer(f, expect_cmd(f, "object-add", NULL), "{}");
	answer(f, expect_cmd(f, "device_add", NULL), "{}");
	answer_error(f, expect_cmd(f, "qom-set", NULL), "GenericError",
	    "Property not found");
	struct json_object *a;
	answer(f, expect_cmd(f, "device_del", &a), "{}");
	assert_string_equal(jstr(a, "id"), "b");
	json_object_put(a);
	answer(f, expect_cmd(f, "object-del", &a), "{}");
	assert_string_equal(jstr(a, "id"), "a");
	json_object_put(a);
	assert_true(tu_pump(f->base, &o.done, 3000));
	assert_int_equal(o.ok, 0);
	assert_int_equal(o.qemu, 1);
	assert_string_equal(o.class, "GenericError");
	assert_string_equal(o.desc, "Property not found");
	assert_string_equal(o.progress,
	    "1/3:object-add 2/3:device_add 3/3:qom-set ");
	pump(f, 20);
	assert_int_equal(o.done, 1);
	fx_free(f);
}

/* A check that fails undoes its own step too. */
static void
test_job_check_fails(void **state)
{
	struct fx *f = fx_new();
	struct outcome o = { 0 };

	(void)state;
	fx_bare_qmp(f);
	struct job *j = job_new(f->base, f->q, "ask", 10000, job_done, &o);
	job_step(j, "query-answer", NULL, want_answer_42, NULL);
	job_undo(j, "forget-answer", NULL);
	job_start(j);
	answer(f, expect_cmd(f, "query-answer", NULL), "{\"answer\": 41}");
	answer(f, expect_cmd(f, "forget-answer", NULL), "{}");
	assert_true(tu_pump(f->base, &o.done, 3000));
	assert_int_equal(o.ok, 0);
	assert_int_equal(o.qemu, 0);
	assert_string_equal(o.desc, "the answer was not 42");
	fx_free(f);
}

/* QEMU never answers: one timeout for the job, then the undo. */
static void
test_job_timeout(void **state)
{
	struct fx *f = fx_new();
	struct outcome o = { 0 };

	(void)state;
	fx_bare_qmp(f);
	struct job *j = job_new(f->base, f->q, "slow", 300, job_done, &o);
	job_step(j, "first", NULL, NULL, NULL);
	job_undo(j, "unfirst", NULL);
	job_step(j, "stuck", NULL, NULL, NULL);
	job_start(j);
	answer(f, expect_cmd(f, "first", NULL), "{}");
	long long stuck = expect_cmd(f, "stuck", NULL);
	answer(f, expect_cmd(f, "unfirst", NULL), "{}");
	assert_true(tu_pump(f->base, &o.done, 3000));
	assert_int_equal(o.ok, 0);
	assert_string_equal(o.class, "Timeout");
	assert_non_null(strstr(o.desc, "step 2 of 2 (stuck)"));
	/* the late reply is dropped, not given to a freed job */
	answer(f, stuck, "{}");
	pump(f, 50);
	assert_int_equal(o.done, 1);
	fx_free(f);
}

/* QEMU vanishes mid-job: Disconnected, and nothing to undo in it. */
static void
test_job_qemu_vanishes(void **state)
{
	struct fx *f = fx_new();
	struct outcome o = { 0 };

	(void)state;
	fx_bare_qmp(f);
	struct job *j = job_new(f->base, f->q, "gone", 10000, job_done, &o);
	job_step(j, "first", NULL, NULL, NULL);
	job_undo(j, "unfirst", NULL);
	job_step(j, "second", NULL, NULL, NULL);
	job_start(j);
	answer(f, expect_cmd(f, "first", NULL), "{}");
	expect_cmd(f, "second", NULL);
	close(f->peer);
	f->peer = -1;
	assert_true(tu_pump(f->base, &o.done, 3000));
	assert_int_equal(o.ok, 0);
	assert_string_equal(o.class, "Disconnected");
	assert_int_equal(o.qemu, 0);
	fx_free(f);
}

/* A step that waits for its event: after the reply, or before it. */
static void
test_job_waits_for_event(void **state)
{
	struct fx *f = fx_new();
	struct outcome o = { 0 };

	(void)state;
	fx_bare_qmp(f);
	struct job *j = job_new(f->base, f->q, "unplug", 10000, job_done, &o);
	job_step(j, "device_del", jarg("{\"id\": \"vdb\"}"), NULL, NULL);
	job_expect_event(j, "DEVICE_DELETED", "device", "vdb", 3000);
	job_step(j, "blockdev-del", jarg("{\"node-name\": \"fmt-vdb\"}"),
	    NULL, NULL);
	job_step(j, "device_del", jarg("{\"id\": \"vdc\"}"), NULL, NULL);
	job_expect_event(j, "DEVICE_DELETED", "device", "vdc", 3000);
	job_start(j);
	long long id = expect_cmd(f, "device_del", NULL);
	answer(f, id, "{}");
	/* another device's event does not count */
	peer_send(f, "{\"event\": \"DEVICE_DELETED\", \"data\": "
	    "{\"device\": \"vdz\"}, \"timestamp\": {\"seconds\": 1, "
	    "\"microseconds\": 0}}");
	pump(f, 50);
	assert_int_equal(o.done, 0);
	peer_send(f, "{\"event\": \"DEVICE_DELETED\", \"data\": "
	    "{\"device\": \"vdb\", \"path\": \"/machine/peripheral/vdb\"}, "
	    "\"timestamp\": {\"seconds\": 1, \"microseconds\": 0}}");
	answer(f, expect_cmd(f, "blockdev-del", NULL), "{}");
	/* the event before the reply */
	id = expect_cmd(f, "device_del", NULL);
	peer_send(f, "{\"event\": \"DEVICE_DELETED\", \"data\": "
	    "{\"device\": \"vdc\"}, \"timestamp\": {\"seconds\": 1, "
	    "\"microseconds\": 0}}");
	answer(f, id, "{}");
	assert_true(tu_pump(f->base, &o.done, 3000));
	assert_int_equal(o.ok, 1);
	fx_free(f);
}

/* The guest never lets go: a Timeout that names the event. */
static void
test_job_event_timeout(void **state)
{
	struct fx *f = fx_new();
	struct outcome o = { 0 };

	(void)state;
	fx_bare_qmp(f);
	struct json_object *steps = jarg("[{\"execute\": \"blockdev-add\", "
	    "\"arguments\": {\"node-name\": \"fmt-vdb\"}, \"undo\": "
	    "{\"execute\": \"blockdev-del\", \"arguments\": "
	    "{\"node-name\": \"fmt-vdb\"}}}]");
	struct job *j = job_new(f->base, f->q, "detach", 10000, job_done, &o);
	job_steps_from(j, steps);
	json_object_put(steps);
	job_step(j, "device_del", jarg("{\"id\": \"vdb\"}"), NULL, NULL);
	job_expect_event(j, "DEVICE_DELETED", "device", "vdb", 300);
	job_start(j);
	answer(f, expect_cmd(f, "blockdev-add", NULL), "{}");
	answer(f, expect_cmd(f, "device_del", NULL), "{}");
	/* the undo of the steps before, from the array's "undo" */
	struct json_object *a;
	answer(f, expect_cmd(f, "blockdev-del", &a), "{}");
	assert_string_equal(jstr(a, "node-name"), "fmt-vdb");
	json_object_put(a);
	assert_true(tu_pump(f->base, &o.done, 3000));
	assert_int_equal(o.ok, 0);
	assert_string_equal(o.class, "Timeout");
	assert_non_null(strstr(o.desc, "no DEVICE_DELETED for device vdb"));
	fx_free(f);
}

/* ---- the VM core ---- */

/* start: the devices' settings, the VNC port, cont; each reply checked. */
static void
test_start_job(void **state)
{
	struct fx *f = fx_new();
	struct vm *vm = fx_vm(f, "name: s1\nmemory: 256\nconsole: none\n"
	    "graphics: vnc,password=secret\n");

	(void)state;
	handshake(f);
	/* the devices' settings, in the order of the device kinds */
	struct json_object *a;
	answer(f, expect_cmd(f, "set_password", &a), "{}");
	assert_string_equal(jstr(a, "password"), "secret");
	json_object_put(a);
	answer(f, expect_cmd(f, "qom-set", NULL), "{}");
	answer(f, expect_cmd(f, "query-vnc", NULL),
	    "{\"enabled\": true, \"service\": \"5907\"}");
	answer(f, expect_cmd(f, "cont", NULL), "{}");
	for (int i = 0; i < 3000 && vm->state != VM_RUNNING; i++)
		pump(f, 1);
	assert_int_equal(vm->state, VM_RUNNING);
	assert_string_equal(vm->reason, "booted");
	assert_int_equal(vm->vnc_port, 5907);
	assert_true(vm->id > 0);
	fx_free(f);
}

/* A runtime setting QEMU refuses stops the VM, and says why. */
static void
test_start_job_fails(void **state)
{
	struct fx *f = fx_new();
	struct vm *vm = fx_vm(f, "name: s2\nmemory: 256\nconsole: none\n");

	(void)state;
	handshake(f);
	answer_error(f, expect_cmd(f, "qom-set", NULL), "GenericError",
	    "Device 'balloon0' not found");
	/* no cont: the VM is stopped instead */
	expect_cmd(f, "quit", NULL);
	assert_int_equal(vm->expect_exit, 1);
	assert_non_null(strstr(vm->reason, "start failed: GenericError: "
	    "Device 'balloon0' not found"));
	assert_non_null(strstr(vm->stop_reason, "balloon0"));
	fx_free(f);
}

/* A VNC port that is not a port fails the start (no atoi guessing). */
static void
test_start_bad_vnc_port(void **state)
{
	struct fx *f = fx_new();
	struct vm *vm = fx_vm(f, "name: s3\nmemory: 256\nconsole: none\n"
	    "balloon: off\ngraphics: vnc\n");

	(void)state;
	handshake(f);
	answer(f, expect_cmd(f, "query-vnc", NULL),
	    "{\"enabled\": true, \"service\": \"59x1\"}");
	expect_cmd(f, "quit", NULL);
	assert_non_null(strstr(vm->reason, "query-vnc gave port '59x1'"));
	assert_int_equal(vm->vnc_port, 0);
	fx_free(f);
}

/* ---- handlers ---- */

static void
test_dispatch_preconditions(void **state)
{
	struct fx *f = fx_new();
	char err[256];

	(void)state;
	request(f, "frobnicate", "{}");
	expect_error(f, "CommandNotFound", "no command 'frobnicate'", 0);
	request(f, "info", "{}");
	expect_error(f, "GenericError", "info needs \"name\"", 0);
	request(f, "info", "{\"name\": \"nope\"}");
	expect_error(f, "NotFound", "no VM named 'nope'", 0);
	struct vmdef *d = vmdef_parse(PLAIN_VM, "t", err, sizeof(err));
	vm_add(&f->d, d);
	request(f, "suspend", "{\"name\": \"t1\"}");
	expect_error(f, "InvalidState", "VM 't1' is shut off", 0);
	/* another user's VM */
	struct vmdef *o = vmdef_parse("name: t2\nowner: 4242\n", "t", err,
	    sizeof(err));
	vm_add(&f->d, o);
	dispatch(req_new(&f->d, &test_ops, f, "info",
	    json_object_new_int(2), jarg("{\"name\": \"t2\"}"), 4243, 1));
	expect_error(f, "PermissionDenied", "belongs to another user", 0);
	fx_free(f);
}

/* QEMU's error reaches the client unchanged, marked as QEMU's. */
static void
test_qemu_error_passes_through(void **state)
{
	struct fx *f = fx_new();

	(void)state;
	fx_running_vm(f, "name: m1\nmemory: 512\nconsole: none\n"
	    "balloon: on\n");
	request(f, "setmem", "{\"name\": \"m1\", \"size_mib\": 256}");
	answer_error(f, expect_cmd(f, "balloon", NULL), "DeviceNotActive",
	    "No balloon device has been activated");
	expect_error(f, "DeviceNotActive", "No balloon device", 1);
	request(f, "setmem", "{\"name\": \"m1\", \"size_mib\": 1024}");
	expect_error(f, "GenericError", "more than the VM's memory", 0);
	fx_free(f);
}

/* A VM named as virsh names a domain: by id, by UUID, by name. */
static void
test_lookup(void **state)
{
	struct fx *f = fx_new();
	struct vm *vm = fx_running_vm(f, PLAIN_VM
	    "uuid: 0b6c1a2e-3f4d-4e5f-8a9b-0c1d2e3f4a5b\n");
	char req[128];

	(void)state;
	snprintf(req, sizeof(req), "{\"name\": \"%d\"}", vm->id);
	request(f, "state", req);
	struct json_object *r = expect_return(f);
	assert_string_equal(jstr(r, "state"), "running");
	json_object_put(r);
	request(f, "state",
	    "{\"name\": \"0B6C1A2E-3F4D-4E5F-8A9B-0C1D2E3F4A5B\"}");
	json_object_put(expect_return(f));
	request(f, "state", "{\"name\": \"t1\"}");
	json_object_put(expect_return(f));
	snprintf(req, sizeof(req), "{\"name\": \"%d\"}", vm->id + 1);
	request(f, "state", req);
	expect_error(f, "NotFound", "no VM named", 0);
	fx_free(f);
}

/* shutdown --wait: the guest ignores it; the VM is running again. */
static void
test_shutdown_ignored(void **state)
{
	struct fx *f = fx_new();
	struct vm *vm = fx_running_vm(f, PLAIN_VM);

	(void)state;
	request(f, "shutdown", "{\"name\": \"t1\", \"wait\": 1}");
	answer(f, expect_cmd(f, "system_powerdown", NULL), "{}");
	expect_error(f, "Timeout", "ignored the shutdown request for 1 s", 0);
	assert_int_equal(vm->state, VM_RUNNING);
	assert_string_equal(vm->reason,
	    "the guest ignored a shutdown request for 1 s");
	request(f, "shutdown", "{\"name\": \"t1\", \"mode\": \"signal\"}");
	expect_error(f, "GenericError", "the modes are acpi and agent", 0);
	request(f, "shutdown", "{\"name\": \"t1\", \"mode\": \"agent\"}");
	expect_error(f, "GenericError", "has no guest agent channel "
	    "(guest-agent: on)", 0);
	fx_free(f);
}

/* QEMU gone in the middle of a command: one line that says so. */
static void
test_qemu_lost_mid_command(void **state)
{
	struct fx *f = fx_new();

	(void)state;
	fx_running_vm(f, PLAIN_VM);
	request(f, "qmp", "{\"name\": \"t1\", \"command\": \"query-status\"}");
	expect_cmd(f, "query-status", NULL);
	close(f->peer);
	f->peer = -1;
	expect_error(f, "Disconnected", "lost QEMU (end of file); 'qlaunch "
	    "dominfo' shows how it ended", 0);
	fx_free(f);
}

/* shutdown --wait --force: destroyed after the timeout, and says so. */
static void
test_shutdown_force(void **state)
{
	struct fx *f = fx_new();
	struct vm *vm = fx_running_vm(f, PLAIN_VM);

	(void)state;
	request(f, "shutdown", "{\"name\": \"t1\", \"wait\": 1, \"force\": true}");
	answer(f, expect_cmd(f, "system_powerdown", NULL), "{}");
	expect_cmd(f, "quit", NULL);
	assert_int_equal(vm->expect_exit, 1);
	assert_string_equal(vm->stop_reason,
	    "destroyed after the guest ignored shutdown for 1 s");
	fx_free(f);
}

#define INSTALL_VM PLAIN_VM "install: cdrom\n" \
	"disk: /srv/install.iso,format=raw,device=cdrom\n"

static void
guest_event(struct fx *f, const char *reason)
{
	peer_send(f, "{\"event\": \"SHUTDOWN\", \"data\": {\"guest\": true, "
	    "\"reason\": \"%s\"}, \"timestamp\": {\"seconds\": 1, "
	    "\"microseconds\": 0}}", reason);
}

/* The stored definition on disk has an install: line? */
static int
stored_install(struct fx *f)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/t1.conf", f->d.defdir);
	char *t = tu_slurp(path, NULL);
	assert_non_null(t);
	int r = strstr(t, "install:") != NULL;
	free(t);
	return r;
}

/*
 * The guest reboots in its install phase: the install is over (the
 * stored definition loses it), QEMU is asked to quit and the VM is to
 * start again from what remains.  What runs keeps it until then.
 */
static void
test_install_ends_at_reboot(void **state)
{
	struct fx *f = fx_new();
	struct vm *vm = fx_running_vm(f, INSTALL_VM);
	char err[512];

	(void)state;
	vm_define(&f->d, vmdef_dup(vm->def), &vm, err, sizeof(err));
	assert_true(stored_install(f));
	guest_event(f, "guest-reset");
	expect_cmd(f, "quit", NULL);
	assert_int_equal(vm->restart_on_exit, 1);
	assert_int_equal(vm->expect_exit, 1);
	assert_string_equal(vm->stop_reason,
	    "install finished; restarting from the disks");
	assert_int_equal(vm->def->install.kind, INSTALL_CDROM);
	assert_int_equal(vm_persistent(vm)->install.kind, INSTALL_NONE);
	assert_false(stored_install(f));
	fx_free(f);
}

/*
 * A poweroff ends the install too, with on_poweroff as always (destroy:
 * no restart); a panic does not; and without an install a reset is what
 * on_reboot says.
 */
static void
test_install_poweroff_and_panic(void **state)
{
	struct fx *f = fx_new();
	struct vm *vm = fx_running_vm(f, INSTALL_VM);
	char err[512];

	(void)state;
	vm_define(&f->d, vmdef_dup(vm->def), &vm, err, sizeof(err));
	guest_event(f, "guest-panic");
	pump(f, 50);
	assert_true(stored_install(f));
	guest_event(f, "guest-shutdown");
	expect_cmd(f, "quit", NULL);
	assert_int_equal(vm->restart_on_exit, 0);
	assert_string_equal(vm->stop_reason, "guest powered off");
	assert_false(stored_install(f));
	fx_free(f);

	f = fx_new();
	vm = fx_running_vm(f, PLAIN_VM "on_reboot: destroy\n");
	guest_event(f, "guest-reset");
	expect_cmd(f, "quit", NULL);
	assert_int_equal(vm->restart_on_exit, 0);
	assert_string_equal(vm->stop_reason, "guest rebooted");
	fx_free(f);
}

static void
test_send_key(void **state)
{
	struct fx *f = fx_new();
	struct json_object *a;

	(void)state;
	fx_running_vm(f, PLAIN_VM);
	request(f, "send-key", "{\"name\": \"t1\", \"keys\": []}");
	expect_error(f, "GenericError", "1 to 16 keys", 0);
	request(f, "send-key", "{\"name\": \"t1\", \"keys\": [{\"type\": "
	    "\"scancode\", \"data\": 1}]}");
	expect_error(f, "GenericError", "item 1 is not", 0);
	request(f, "send-key", "{\"name\": \"t1\", \"hold_time\": 50, "
	    "\"keys\": [{\"type\": \"qcode\", \"data\": \"ctrl\"}, "
	    "{\"type\": \"number\", \"data\": 56}]}");
	answer(f, expect_cmd(f, "send-key", &a), "{}");
	assert_string_equal(json_object_to_json_string_ext(jget(a, "keys"),
	    JSON_C_TO_STRING_PLAIN), "[{\"type\":\"qcode\",\"data\":\"ctrl\"},"
	    "{\"type\":\"number\",\"data\":56}]");
	assert_int_equal(jint(a, "hold-time", 0), 50);
	json_object_put(a);
	json_object_put(expect_return(f));
	fx_free(f);
}

/* screendump: PNG, or PPM from a QEMU without PNG; bytes come back. */
static void
test_screenshot(void **state)
{
	struct fx *f = fx_new();
	struct json_object *a;
	static const char img[] = "P6\n2 1\n255\n\x01\x02\x03\x04\x05\x06";

	(void)state;
	fx_running_vm(f, PLAIN_VM);
	request(f, "screenshot", "{\"name\": \"t1\"}");
	long long id = expect_cmd(f, "screendump", &a);
	assert_string_equal(jstr(a, "format"), "png");
	json_object_put(a);
	answer_error(f, id, "GenericError",
	    "Parameter 'format' does not accept value 'png'");
	id = expect_cmd(f, "screendump", &a);
	assert_null(jget(a, "format"));
	/* QEMU writes the file where it was told */
	FILE *fp = fopen(jstr(a, "filename"), "w");
	assert_non_null(fp);
	fwrite(img, 1, sizeof(img) - 1, fp);
	fclose(fp);
	char path[512];
	strlcpy(path, jstr(a, "filename"), sizeof(path));
	json_object_put(a);
	answer(f, id, "{}");
	struct json_object *r = expect_return(f);
	assert_string_equal(jstr(r, "format"), "ppm");
	size_t len;
	char *data = base64_decode(jstr(r, "data"), &len);
	assert_non_null(data);
	assert_int_equal(len, sizeof(img) - 1);
	assert_memory_equal(data, img, len);
	free(data);
	json_object_put(r);
	assert_int_equal(access(path, F_OK), -1);	/* cleaned up */
	fx_free(f);
}

/* ---- disks ---- */

/* An image file in the fixture's directory (its format is given). */
static const char *
fx_image(struct fx *f, const char *name)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fclose(fp);
	return path;
}

static int
has_disk(struct fx *f, const char *args, const char *target)
{
	request(f, "blklist", args);
	struct json_object *r = expect_return(f);
	int found = 0;

	for (size_t i = 0; i < json_object_array_length(r); i++)
		if (strcmp(jstr(json_object_array_get_idx(r, i), "target"),
		    target) == 0)
			found = 1;
	json_object_put(r);
	return found;
}

/* Hot-plug: QEMU refuses the device; both blockdevs go, in reverse. */
static void
test_attach_disk_rolls_back(void **state)
{
	struct fx *f = fx_new();
	char req[1024];
	struct json_object *a;

	(void)state;
	fx_running_vm(f, PLAIN_VM);
	snprintf(req, sizeof(req), "{\"name\": \"t1\", \"live\": true, "
	    "\"disk\": \"path=%s,format=qcow2,target=vdb\"}",
	    fx_image(f, "add.qcow2"));
	request(f, "attach-disk", req);
	answer(f, expect_cmd(f, "blockdev-add", &a), "{}");
	assert_string_equal(jstr(a, "node-name"), "file-vdb");
	json_object_put(a);
	answer(f, expect_cmd(f, "blockdev-add", &a), "{}");
	assert_string_equal(jstr(a, "node-name"), "fmt-vdb");
	json_object_put(a);
	answer_error(f, expect_cmd(f, "device_add", &a), "GenericError",
	    "Bus 'pci.0' does not support hotplugging");
	assert_string_equal(jstr(a, "id"), "vdb");
	json_object_put(a);
	answer(f, expect_cmd(f, "blockdev-del", &a), "{}");
	assert_string_equal(jstr(a, "node-name"), "fmt-vdb");
	json_object_put(a);
	answer(f, expect_cmd(f, "blockdev-del", &a), "{}");
	assert_string_equal(jstr(a, "node-name"), "file-vdb");
	json_object_put(a);
	expect_error(f, "GenericError", "does not support hotplugging", 1);
	assert_false(has_disk(f, "{\"name\": \"t1\"}", "vdb"));
	fx_free(f);
}

/* Hot-plug that works changes what runs, not what is stored. */
static void
test_attach_disk_live(void **state)
{
	struct fx *f = fx_new();
	char req[1024];

	(void)state;
	fx_running_vm(f, PLAIN_VM);
	snprintf(req, sizeof(req), "{\"name\": \"t1\", \"live\": true, "
	    "\"disk\": \"%s,format=raw\"}", fx_image(f, "add.img"));
	request(f, "attach-disk", req);
	answer(f, expect_cmd(f, "blockdev-add", NULL), "{}");
	answer(f, expect_cmd(f, "blockdev-add", NULL), "{}");
	answer(f, expect_cmd(f, "device_add", NULL), "{}");
	json_object_put(expect_return(f));
	assert_true(has_disk(f, "{\"name\": \"t1\"}", "vda"));
	assert_false(has_disk(f, "{\"name\": \"t1\", \"inactive\": true}",
	    "vda"));
	fx_free(f);
}

/* Unplug: device_del, the guest lets go, then the nodes. */
static void
test_detach_disk(void **state)
{
	struct fx *f = fx_new();
	char conf[1024];

	(void)state;
	snprintf(conf, sizeof(conf), PLAIN_VM "disk: %s,format=raw\n",
	    fx_image(f, "d.img"));
	fx_running_vm(f, conf);
	request(f, "detach-disk", "{\"name\": \"t1\", \"target\": \"vda\", "
	    "\"live\": true, \"config\": true}");
	long long id = expect_cmd(f, "device_del", NULL);
	answer(f, id, "{}");
	peer_send(f, "{\"event\": \"DEVICE_DELETED\", \"data\": "
	    "{\"device\": \"vda\"}, \"timestamp\": {\"seconds\": 1, "
	    "\"microseconds\": 0}}");
	answer(f, expect_cmd(f, "blockdev-del", NULL), "{}");
	answer(f, expect_cmd(f, "blockdev-del", NULL), "{}");
	json_object_put(expect_return(f));
	assert_false(has_disk(f, "{\"name\": \"t1\"}", "vda"));
	assert_false(has_disk(f, "{\"name\": \"t1\", \"inactive\": true}",
	    "vda"));
	request(f, "detach-disk", "{\"name\": \"t1\", \"target\": \"vdq\"}");
	expect_error(f, "NotFound", "vdq", 0);
	fx_free(f);
}

/* ---- events ---- */

struct seen {
	char	names[8][32];
	int	n;
	int	removed;
};

static void
seen_sink(void *arg, const struct vm_event *ev)
{
	struct seen *s = arg;

	if (ev->kind == VMEV_REMOVED)
		s->removed++;
	if (ev->kind == VMEV_MESSAGE && s->n < 8)
		strlcpy(s->names[s->n++], ev->name, sizeof(s->names[0]));
}

static void
unsink_in_sink(void *arg, const struct vm_event *ev)
{
	(void)ev;
	events_unsink(&F->d, *(struct sink **)arg);
}

/* Sinks see the core's events; renamed VMs keep their identity. */
static void
test_events_and_rename(void **state)
{
	struct fx *f = fx_new();
	struct seen s = { 0 };
	char err[256];
	struct vm *vm;

	(void)state;
	struct sink *mine = events_sink(&f->d, seen_sink, &s);
	struct sink *self = NULL;
	self = events_sink(&f->d, unsink_in_sink, &self);
	struct vmdef *d = vmdef_parse(PLAIN_VM, "t", err, sizeof(err));
	assert_int_equal(vm_define(&f->d, d, &vm, err, sizeof(err)), 0);
	assert_int_equal(vm_rename(vm, "t9", err, sizeof(err)), 0);
	assert_string_equal(vm->name, "t9");
	assert_non_null(vm_find(&f->d, "t9"));
	assert_null(vm_find(&f->d, "t1"));
	assert_int_equal(vm_undefine(vm, err, sizeof(err)), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.names[0], "VM_DEFINED");
	assert_string_equal(s.names[1], "VM_RENAMED");
	assert_string_equal(s.names[2], "VM_UNDEFINED");
	assert_int_equal(s.removed, 1);
	events_unsink(&f->d, mine);
	fx_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_job_undo_in_reverse),
		cmocka_unit_test(test_job_check_fails),
		cmocka_unit_test(test_job_timeout),
		cmocka_unit_test(test_job_qemu_vanishes),
		cmocka_unit_test(test_job_waits_for_event),
		cmocka_unit_test(test_job_event_timeout),
		cmocka_unit_test(test_start_job),
		cmocka_unit_test(test_start_job_fails),
		cmocka_unit_test(test_start_bad_vnc_port),
		cmocka_unit_test(test_dispatch_preconditions),
		cmocka_unit_test(test_qemu_error_passes_through),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_shutdown_ignored),
		cmocka_unit_test(test_shutdown_force),
		cmocka_unit_test(test_install_ends_at_reboot),
		cmocka_unit_test(test_install_poweroff_and_panic),
		cmocka_unit_test(test_send_key),
		cmocka_unit_test(test_screenshot),
		cmocka_unit_test(test_attach_disk_rolls_back),
		cmocka_unit_test(test_attach_disk_live),
		cmocka_unit_test(test_detach_disk),
		cmocka_unit_test(test_events_and_rename),
		cmocka_unit_test(test_qemu_lost_mid_command),
	};

	log_init("test_daemon", 1, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
