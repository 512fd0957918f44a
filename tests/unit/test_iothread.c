/*
 * IOThreads: every parse error of iothreads:, a disk's iothread= and
 * cputune's iothreadpinN (file, line and key named), the canonical text
 * and its round trip, a hot-plugged disk's device_add; the supervisor's
 * iothreadinfo, iothreadpin, iothreadadd and iothreaddel against the fake
 * QEMU (what they send, their refusals before anything is sent, QEMU's
 * refusal reaching the user unchanged, an object-add undone); pinning a
 * real thread (this test's) at start and by iothreadpin --live; a thread
 * named as QEMU names an iothread is not the emulator's.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cpukeys.h"
#include "cpupin.h"
#include "fakeqemu.h"
#include "iothreads.h"
#include "jget.h"
#include "testutil.h"
#include "util.h"
#include "vm.h"
#include "vmdef.h"

#define IO_VM PLAIN_VM "accel: tcg\niothreads: 2\n" \
	"disk: /tmp/qlt-io-a.img,format=raw,iothread=1\n"

static void
test_parse_errors(void **state)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "name: a\niothreads: x\n", "vm.conf:2: iothreads: iothreads 'x': not a number (0 to 64)" },
		{ "name: a\niothreads: 65\n", "vm.conf:2: iothreads: iothreads '65': too large (0 to 64)" },
		{ "name: a\niothreads: ids=1\n", "vm.conf:2: iothreads: 'ids=1' does not start with a number of iothreads" },
		{ "name: a\niothreads: 2,ids=1-3\n", "vm.conf:2: iothreads: 2 iothreads, but ids= lists 3" },
		{ "name: a\niothreads: 1,ids=0\n", "vm.conf:2: iothreads: ids: iothread 0 is not 1 to 64" },
		{ "name: a\niothreads: 1,ids=65\n", "vm.conf:2: iothreads: ids: iothread 65 is not 1 to 64" },
		{ "name: a\niothreads: 1,ids=x\n", "vm.conf:2: iothreads: 'x' is not a CPU list (0-3,6)" },
		{ "name: a\niothreads: 2,queues=1\n", "vm.conf:2: iothreads: unknown property 'queues'" },
		{ "name: a\niothreads: 1\niothreads: 2\n", "vm.conf:3: iothreads: given twice" },
		{ "name: a\niothreads: 2\ndisk: /a.img,format=raw,iothread=3\n", "vm.conf:3: disk: vda: iothread=3: the VM has no iothread 3 (iothreads: 2)" },
		{ "name: a\ndisk: /a.img,format=raw\ndisk: /b.img,format=raw,driver.iothread=1\n", "vm.conf:3: disk: vdb: iothread=1: the VM has no iothread 1 (iothreads: 0)" },
		{ "name: a\ndisk: /b.img,format=raw,iothread=2\niothreads: 1,ids=1\n", "vm.conf:2: disk: vda: iothread=2: the VM has no iothread 2 (iothreads: 1)" },
		{ "name: a\niothreads: 1\ndisk: /a.img,format=raw,bus=scsi,iothread=1\n", "vm.conf:3: disk: iothread=1: only a virtio disk has an iothread, not a disk on bus scsi" },
		{ "name: a\niothreads: 1\ndisk: /a.img,format=raw,bus=sata,iothread=1\n", "vm.conf:3: disk: iothread=1: only a virtio disk has an iothread, not a disk on bus sata" },
		{ "name: a\niothreads: 1\ndisk: /a.iso,format=raw,device=cdrom,iothread=1\n", "vm.conf:3: disk: iothread=1: only a virtio disk has an iothread, not a cdrom on bus ide or sata" },
		{ "name: a\niothreads: 1\ndisk: /a.img,format=raw,device=floppy,iothread=1\n", "vm.conf:3: disk: iothread=1: only a virtio disk has an iothread, not a floppy on bus fdc" },
		{ "name: a\niothreads: 1\ndisk: /a.img,format=raw,iothread=0\n", "vm.conf:3: disk: iothread '0': too small (1 to 64)" },
		{ "name: a\niothreads: 1\ndisk: /a.img,format=raw,iothread=x\n", "vm.conf:3: disk: iothread 'x': not a number (1 to 64)" },
		{ "name: a\niothreads: 1\ndisk: /a.img,format=raw,iothread=1,driver.iothread=1\n", "vm.conf:3: disk: iothread is given twice (as iothread and driver.iothread)" },
		{ "name: a\niothreads: 2\ncputune: iothreadpin3=0\n", "vm.conf:3: cputune: iothreadpin3: the VM has no iothread 3 (iothreads: 2)" },
		{ "name: a\ncputune: iothreadpin1=0\n", "vm.conf:2: cputune: iothreadpin1: the VM has no iothread 1 (iothreads: 0)" },
		{ "name: a\niothreads: 1\ncputune: iothreadpin0=0\n", "vm.conf:3: cputune: unknown item 'iothreadpin0' (vcpupinN, emulatorpin, iothreadpinN)" },
		{ "name: a\niothreads: 1\ncputune: iothreadpin65=0\n", "vm.conf:3: cputune: unknown item 'iothreadpin65' (vcpupinN, emulatorpin, iothreadpinN)" },
		{ "name: a\niothreads: 1\ncputune: iothreadpin01=0\n", "vm.conf:3: cputune: unknown item 'iothreadpin01' (vcpupinN, emulatorpin, iothreadpinN)" },
		{ "name: a\niothreads: 1\ncputune: iothreadpin1=x\n", "vm.conf:3: cputune: 'x' is not a CPU list (0-3,6)" },
		{ "name: a\niothreads: 1\ncputune: iothreadpin1=0,iothreadpin1=1\n", "vm.conf:3: cputune: 'iothreadpin1' given twice" },
		{ "name: a\niothreads: 1\ncputune: iothreadpin1=0,1\n", "vm.conf:3: cputune: '1' is not KEY=CPULIST" },
	};
	char err[512];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vmdef *d = vmdef_parse(cases[i].text, "vm.conf", err,
		    sizeof(err));
		if (d != NULL)
			fail_msg("case %zu parsed: %s", i, cases[i].text);
		if (strcmp(err, cases[i].want) != 0)
			fail_msg("case %zu:\n got  '%s'\n want '%s'", i, err,
			    cases[i].want);
	}
	/* without a file (attach-disk, flags): the key, no line */
	struct vmdef *d = vmdef_parse("name: a\niothreads: 1\n", "vm.conf", err,
	    sizeof(err));
	assert_non_null(d);
	assert_int_equal(vmdef_set(d, "disk", "/a.img,format=raw,iothread=2",
	    err, sizeof(err)), 0);
	assert_int_equal(vmdef_check(d, err, sizeof(err)), -1);
	assert_string_equal(err, "disk: vda: iothread=2: the VM has no iothread 2 "
	    "(iothreads: 1)");
	vmdef_free(d);
}

/* The canonical form, and parse(print(d)) == d. */
static void
test_text(void **state)
{
	char err[256];

	(void)state;
	struct vmdef *d = vmdef_parse("name: a\niothreads: 3,ids=5,,1-2\n"
	    "cputune: iothreadpin5=0,vcpupin0=0,iothreadpin1=0\n"
	    "disk: /a.img,format=raw,driver.iothread=5\n", "vm.conf", err,
	    sizeof(err));
	if (d == NULL)
		fail_msg("%s", err);
	assert_true(iothread_has(d, 1) && iothread_has(d, 2) &&
	    iothread_has(d, 5) && !iothread_has(d, 3));
	assert_int_equal(iothread_count(d), 3);
	char *t = vmdef_print(d);
	assert_non_null(strstr(t, "\niothreads: 3,ids=1-2,,5\n"));
	assert_non_null(strstr(t, "\ncputune: vcpupin0=0,iothreadpin1=0,"
	    "iothreadpin5=0\n"));
	assert_non_null(strstr(t, ",iothread=5\n"));
	struct vmdef *e = vmdef_parse(t, "again", err, sizeof(err));
	if (e == NULL)
		fail_msg("%s", err);
	char *t2 = vmdef_print(e);
	assert_string_equal(t, t2);
	free(t);
	free(t2);
	vmdef_free(e);
	/* ids 1..N are written as N; none as no line */
	iothread_set(d, 5, 0);
	assert_int_equal(cputune_set(d, "iothreadpin5", NULL, err,
	    sizeof(err)), 0);
	char *v = iothreads_value(d);
	assert_string_equal(v, "2");
	free(v);
	d->iothreads = 0;
	assert_null(iothreads_value(d));
	assert_int_equal(iothread_id_of("iothread12"), 12);
	assert_int_equal(iothread_id_of("iothread0"), 0);
	assert_int_equal(iothread_id_of("iothread65"), 0);
	assert_int_equal(iothread_id_of("mon_iothread"), 0);
	vmdef_free(d);
}

/* A hot-plugged disk on an iothread: its device_add names it. */
static void
test_plug(void **state)
{
	struct json_object *steps = NULL;
	char err[256];
	size_t i;

	(void)state;
	struct vmdef *d = vmdef_parse("name: a\naccel: tcg\niothreads: 2\n",
	    "vm.conf", err, sizeof(err));
	assert_non_null(d);
	assert_int_equal(vmdef_disk_plug(d, "/x.img,format=raw,iothread=3",
	    &i, &steps, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "the VM has no iothread 3"));
	assert_int_equal(vmdef_disk_count(d), 0);
	assert_int_equal(vmdef_disk_plug(d, "/x.img,format=raw,iothread=2",
	    &i, &steps, err, sizeof(err)), 0);
	size_t n = json_object_array_length(steps);
	struct json_object *last = json_object_array_get_idx(steps, n - 1);
	assert_string_equal(jstr(last, "execute"), "device_add");
	assert_string_equal(jstr(jget(last, "arguments"), "iothread"),
	    "iothread2");
	json_object_put(steps);
	vmdef_free(d);
}

/* A request refused with a GenericError naming desc_part. */
static void
refused(struct fx *f, const char *cmd, const char *args,
    const char *desc_part)
{
	request(f, cmd, args);
	expect_error(f, "GenericError", desc_part, 0);
}

static int
first_cpu(void)
{
	cpu_set_t set;

	assert_int_equal(sched_getaffinity(0, sizeof(set), &set), 0);
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			return c;
	return 0;
}

/* query-iothreads with iothreads 1 and 2, this thread as iothread 1 */
static const char *
iothreads_ret(int with3)
{
	static char buf[512];

	snprintf(buf, sizeof(buf), "[{\"id\": \"iothread1\", \"thread-id\": "
	    "%ld, \"poll-max-ns\": 32768}, {\"id\": \"iothread2\", "
	    "\"thread-id\": 999999}%s]", (long)gettid(), with3 ?
	    ", {\"id\": \"iothread3\", \"thread-id\": 999998}" : "");
	return buf;
}

/* Shut off: the definition's table, --config changes, the refusals. */
static void
test_config(void **state)
{
	struct fx *f = fx_new();
	char args[160];

	(void)state;
	struct vm *vm = fx_vm(f, IO_VM);
	(void)vm;
	request(f, "iothreadpin", "{\"name\": \"t1\", \"id\": 2, \"cpulist\": "
	    "\"0\", \"config\": true}");
	json_object_put(expect_return(f));
	request(f, "iothreadinfo", "{\"name\": \"t1\", \"config\": true}");
	struct json_object *r = expect_return(f);
	struct json_object *a = jget(r, "iothreads");
	assert_int_equal(json_object_array_length(a), 2);
	assert_string_equal(jstr(json_object_array_get_idx(a, 1), "affinity"),
	    "0");
	json_object_put(r);
	request(f, "iothreadadd", "{\"name\": \"t1\", \"id\": 7, "
	    "\"config\": true}");
	json_object_put(expect_return(f));
	char *t = vmdef_text(vm_persistent(vm));
	assert_non_null(strstr(t, "\niothreads: 3,ids=1-2,,7\n"));
	assert_non_null(strstr(t, "\ncputune: iothreadpin2=0\n"));
	free(t);
	/* deleting the pinned one takes its pin along */
	request(f, "iothreaddel", "{\"name\": \"t1\", \"id\": 2, "
	    "\"config\": true}");
	json_object_put(expect_return(f));
	t = vmdef_text(vm_persistent(vm));
	assert_non_null(strstr(t, "\niothreads: 2,ids=1,,7\n"));
	assert_null(strstr(t, "cputune"));
	free(t);
	refused(f, "iothreaddel", "{\"name\": \"t1\", \"id\": 1, "
	    "\"config\": true}", "VM 't1': iothread 1 is used by disk vda "
	    "(its definition); detach the disk first");
	refused(f, "iothreadadd", "{\"name\": \"t1\", \"id\": 7, "
	    "\"config\": true}", "it has iothread 7 already");
	refused(f, "iothreadpin", "{\"name\": \"t1\", \"id\": 4, "
	    "\"cpulist\": \"0\", \"config\": true}", "it has no iothread 4");
	refused(f, "iothreadpin", "{\"name\": \"t1\", \"id\": 1, "
	    "\"cpulist\": \"1000\", \"config\": true}",
	    "the host has no CPU 1000");
	refused(f, "iothreadpin", "{\"name\": \"t1\", \"id\": 1, "
	    "\"cpulist\": \"0-\", \"config\": true}", "'0-' is not a CPU list");
	refused(f, "iothreadpin", "{\"name\": \"t1\", \"id\": 1, "
	    "\"config\": true}", "cpulist: a CPU list is needed");
	refused(f, "iothreadadd", "{\"name\": \"t1\", \"id\": 65}",
	    "id: an iothread id (1 to 64) is needed");
	refused(f, "iothreadadd", "{\"name\": \"t1\"}",
	    "id: an iothread id (1 to 64) is needed");
	snprintf(args, sizeof(args), "{\"name\": \"t1\", \"id\": 3, "
	    "\"live\": true}");
	request(f, "iothreadadd", args);
	expect_error(f, "InvalidState", "--live needs a running VM", 0);
	refused(f, "iothreadinfo", "{\"name\": \"t1\", \"live\": true, "
	    "\"config\": true}", "--live and --config: one of them");
	t = vmdef_text(vm_persistent(vm));
	assert_non_null(strstr(t, "\niothreads: 2,ids=1,,7\n"));
	free(t);
	fx_free(f);
}

/* Live: iothreadinfo and iothreadpin on this thread, as iothread 1. */
static void
test_live_pin(void **state)
{
	struct fx *f = fx_new();
	cpu_set_t old, now;
	char args[160];

	(void)state;
	assert_int_equal(sched_getaffinity(0, sizeof(old), &old), 0);
	struct vm *vm = fx_running_vm(f, IO_VM);
	int c = first_cpu();
	snprintf(args, sizeof(args), "{\"name\": \"t1\", \"id\": 1, "
	    "\"cpulist\": \"%d\"}", c);
	request(f, "iothreadpin", args);
	answer(f, expect_cmd(f, "query-iothreads", NULL), iothreads_ret(0));
	json_object_put(expect_return(f));
	assert_int_equal(sched_getaffinity(0, sizeof(now), &now), 0);
	assert_int_equal(CPU_COUNT(&now), 1);
	assert_true(CPU_ISSET(c, &now));
	char want[32], tune[32];
	snprintf(tune, sizeof(tune), "iothreadpin1=%d", c);
	assert_string_equal(vm->def->cputune, tune);
	assert_null(vm_persistent(vm)->cputune);
	/* the live table: this thread, its affinity */
	request(f, "iothreadinfo", "{\"name\": \"t1\"}");
	answer(f, expect_cmd(f, "query-iothreads", NULL), iothreads_ret(0));
	struct json_object *r = expect_return(f);
	struct json_object *e = json_object_array_get_idx(jget(r, "iothreads"),
	    0);
	assert_int_equal(jint(e, "thread_id", 0), gettid());
	snprintf(want, sizeof(want), "%d", c);
	assert_string_equal(jstr(e, "affinity"), want);
	assert_int_equal(json_object_array_length(jget(r, "iothreads")), 2);
	json_object_put(r);
	/* QEMU without the thread: one line, nothing changed */
	request(f, "iothreadpin", "{\"name\": \"t1\", \"id\": 2, \"cpulist\": "
	    "\"0\"}");
	answer(f, expect_cmd(f, "query-iothreads", NULL), "[]");
	expect_error(f, "GenericError", "QEMU has no iothread2 to pin", 0);
	assert_string_equal(vm->def->cputune, tune);
	assert_int_equal(sched_setaffinity(0, sizeof(old), &old), 0);
	fx_free(f);
}

/* Live add and delete: object-add/object-del, QEMU's refusal, undo. */
static void
test_live_add_del(void **state)
{
	struct fx *f = fx_new();
	struct json_object *a;

	(void)state;
	struct vm *vm = fx_running_vm(f, IO_VM);
	request(f, "iothreadadd", "{\"name\": \"t1\", \"id\": 3}");
	long long id = expect_cmd(f, "object-add", &a);
	assert_string_equal(jstr(a, "qom-type"), "iothread");
	assert_string_equal(jstr(a, "id"), "iothread3");
	json_object_put(a);
	answer(f, id, "{}");
	answer(f, expect_cmd(f, "query-iothreads", NULL), iothreads_ret(1));
	json_object_put(expect_return(f));
	assert_true(iothread_has(vm->def, 3));
	assert_false(iothread_has(vm_persistent(vm), 3));
	/* QEMU refuses: its words, nothing changed */
	request(f, "iothreadadd", "{\"name\": \"t1\", \"id\": 4}");
	answer_error(f, expect_cmd(f, "object-add", NULL), "GenericError",
	    "attempt to add duplicate property 'iothread4'");
	expect_error(f, "GenericError", "attempt to add duplicate property "
	    "'iothread4'", 1);
	assert_false(iothread_has(vm->def, 4));
	/* added, but not there after: undone with object-del */
	request(f, "iothreadadd", "{\"name\": \"t1\", \"id\": 5}");
	answer(f, expect_cmd(f, "object-add", NULL), "{}");
	answer(f, expect_cmd(f, "query-iothreads", NULL), iothreads_ret(0));
	answer_id(f, "object-del", "iothread5");
	expect_error(f, "GenericError", "QEMU has no iothread5 after "
	    "object-add", 0);
	assert_false(iothread_has(vm->def, 5));
	/* the disk's: refused before QEMU hears of it */
	refused(f, "iothreaddel", "{\"name\": \"t1\", \"id\": 1}",
	    "iothread 1 is used by disk vda (running)");
	/* --live --config: both */
	request(f, "iothreaddel", "{\"name\": \"t1\", \"id\": 2, \"live\": true, "
	    "\"config\": true}");
	answer_id(f, "object-del", "iothread2");
	answer(f, expect_cmd(f, "query-iothreads", NULL), "[{\"id\": "
	    "\"iothread1\", \"thread-id\": 5}, {\"id\": \"iothread3\", "
	    "\"thread-id\": 6}]");
	json_object_put(expect_return(f));
	assert_false(iothread_has(vm->def, 2));
	assert_true(iothread_has(vm->def, 3));
	assert_false(iothread_has(vm_persistent(vm), 2));
	char *t = vmdef_text(vm_persistent(vm));
	assert_non_null(strstr(t, "\niothreads: 1\n"));
	free(t);
	fx_free(f);
}

/*
 * --live --config when the stored definition cannot be written (its
 * file is a directory here): the thread's affinity is put back, an
 * object-add is undone with object-del, the running definition is as
 * it was.
 */
static void
test_store_fails(void **state)
{
	struct fx *f = fx_new();
	cpu_set_t old, now;
	char path[4200], args[200];

	(void)state;
	assert_int_equal(sched_getaffinity(0, sizeof(old), &old), 0);
	struct vm *vm = fx_running_vm(f, IO_VM);
	snprintf(path, sizeof(path), "%s/t1.conf", f->d.defdir);
	(void)unlink(path);	/* the fixture may not have stored it */
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(args, sizeof(args), "%s/x", path);
	assert_int_equal(mkdir(args, 0700), 0);
	snprintf(args, sizeof(args), "{\"name\": \"t1\", \"id\": 1, "
	    "\"cpulist\": \"%d\", \"live\": true, \"config\": true}",
	    first_cpu());
	request(f, "iothreadpin", args);
	answer(f, expect_cmd(f, "query-iothreads", NULL), iothreads_ret(0));
	expect_error(f, "GenericError", "cannot write", 0);
	assert_int_equal(sched_getaffinity(0, sizeof(now), &now), 0);
	assert_true(CPU_EQUAL(&now, &old));
	assert_null(vm->def->cputune);
	request(f, "iothreadadd", "{\"name\": \"t1\", \"id\": 3, "
	    "\"live\": true, \"config\": true}");
	answer(f, expect_cmd(f, "object-add", NULL), "{}");
	answer(f, expect_cmd(f, "query-iothreads", NULL), iothreads_ret(1));
	answer_id(f, "object-del", "iothread3");
	expect_error(f, "GenericError", "cannot write", 0);
	assert_false(iothread_has(vm->def, 3));
	snprintf(args, sizeof(args), "%s/x", path);
	rmdir(args);
	rmdir(path);
	assert_int_equal(sched_setaffinity(0, sizeof(old), &old), 0);
	fx_free(f);
}

/* Start pins the iothreads of cputune (query-iothreads' thread ids). */
static void
test_start_pins(void **state)
{
	struct fx *f = fx_new();
	cpu_set_t old, now;
	char text[512];

	(void)state;
	assert_int_equal(sched_getaffinity(0, sizeof(old), &old), 0);
	int c = first_cpu();
	snprintf(text, sizeof(text), "%scputune: iothreadpin1=%d\n", IO_VM, c);
	struct vm *vm = fx_vm(f, text);
	handshake(f);
	int asked = 0;
	for (;;) {
		struct json_object *m = peer_recv(f);
		const char *name = jstr(m, "execute");
		int cont = strcmp(name, "cont") == 0;
		const char *ret = "{}";
		if (strcmp(name, "query-cpus-fast") == 0)
			ret = "[]";
		else if (strcmp(name, "query-iothreads") == 0) {
			ret = iothreads_ret(0);
			asked = 1;
		}
		answer(f, jint(m, "id", -1), ret);
		json_object_put(m);
		if (cont)
			break;
	}
	for (int i = 0; i < 3000 && vm->state != VM_RUNNING; i++)
		pump(f, 1);
	assert_int_equal(vm->state, VM_RUNNING);
	assert_true(asked);
	assert_int_equal(sched_getaffinity(0, sizeof(now), &now), 0);
	assert_int_equal(CPU_COUNT(&now), 1);
	assert_true(CPU_ISSET(c, &now));
	assert_int_equal(sched_setaffinity(0, sizeof(old), &old), 0);
	fx_free(f);
}

struct named {
	const char	*name;
	pid_t		 tid;
	int		 go, done;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
};

static void *
named_thread(void *arg)
{
	struct named *n = arg;

	pthread_setname_np(pthread_self(), n->name);
	pthread_mutex_lock(&n->mu);
	n->tid = gettid();
	n->go = 1;
	pthread_cond_broadcast(&n->cv);
	while (!n->done)
		pthread_cond_wait(&n->cv, &n->mu);
	pthread_mutex_unlock(&n->mu);
	return NULL;
}

/* Is tid among the emulator's threads of this process? */
static int
emulator_has(pid_t tid)
{
	struct json_object *cpus = json_object_new_array();
	pid_t tids[64];
	size_t n = cpupin_emulator_tids(getpid(), cpus, tids, 64);
	int found = 0;

	for (size_t i = 0; i < n; i++)
		found |= tids[i] == tid;
	json_object_put(cpus);
	return found;
}

/* emulatorpin leaves "IO iothreadK" alone, not "IO mon_iothread". */
static void
test_emulator_threads(void **state)
{
	static const struct {
		const char	*name;
		int		 emulator;
	} threads[] = {
		{ "IO iothread1", 0 }, { "IO iothread64", 0 },
		{ "IO mon_iothread", 1 }, { "IO iothread65", 1 },
		{ "worker", 1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(threads) / sizeof(threads[0]); i++) {
		struct named n = { threads[i].name, 0, 0, 0,
		    PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER };
		pthread_t t;
		assert_int_equal(pthread_create(&t, NULL, named_thread, &n), 0);
		pthread_mutex_lock(&n.mu);
		while (!n.go)
			pthread_cond_wait(&n.cv, &n.mu);
		pthread_mutex_unlock(&n.mu);
		if (emulator_has(n.tid) != threads[i].emulator)
			fail_msg("%s: emulator's is %d", threads[i].name,
			    !threads[i].emulator);
		assert_true(emulator_has(gettid()));
		pthread_mutex_lock(&n.mu);
		n.done = 1;
		pthread_cond_broadcast(&n.cv);
		pthread_mutex_unlock(&n.mu);
		pthread_join(t, NULL);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_plug),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_live_pin),
		cmocka_unit_test(test_live_add_del),
		cmocka_unit_test(test_store_fails),
		cmocka_unit_test(test_start_pins),
		cmocka_unit_test(test_emulator_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
