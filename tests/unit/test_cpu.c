/*
 * vCPUs against the fake QEMU: setvcpus' QMP sequence (query-hotpluggable-
 * cpus, then device_add or device_del with DEVICE_DELETED, the vCPU's or,
 * as under TCG, only its APIC's), its refusals
 * before anything is sent, a device_add QEMU refuses (the ones done are
 * unplugged again: nothing changed), an unplug the guest never finishes
 * (a clear Timeout line, the running definition as it was), --config and
 * --maximum; vcpupin's table and its refusals; pinning real threads.
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cpukeys.h"
#include "cpupin.h"
#include "fakeqemu.h"
#include "jget.h"
#include "testutil.h"
#include "util.h"
#include "vm.h"
#include "vmdef.h"

#define CPU_VM PLAIN_VM "accel: tcg\nvcpus: 1,maxvcpus=3\n"
/* after setvcpus 2 --live: vcpu1 is a device */
#define CPU_VM2 PLAIN_VM "accel: tcg\nvcpus: 2,maxvcpus=3\n" \
	"vcpu-hotplugged: vcpu1,driver=max-x86_64-cpu,socket-id=1,core-id=0," \
	"thread-id=0\n"

/* query-hotpluggable-cpus as QEMU 7.2 answers it: highest first */
static const char *
slots(int plugged1, int plugged2)
{
	static char buf[1024];

	snprintf(buf, sizeof(buf), "["
	    "{\"props\": {\"core-id\": 0, \"thread-id\": 0, \"socket-id\": 2}, "
	    "\"vcpus-count\": 1, %s\"type\": \"max-x86_64-cpu\"}, "
	    "{\"props\": {\"core-id\": 0, \"thread-id\": 0, \"socket-id\": 1}, "
	    "\"vcpus-count\": 1, %s\"type\": \"max-x86_64-cpu\"}, "
	    "{\"props\": {\"core-id\": 0, \"thread-id\": 0, \"socket-id\": 0}, "
	    "\"vcpus-count\": 1, \"qom-path\": \"/machine/unattached/device[0]\", "
	    "\"type\": \"max-x86_64-cpu\"}]",
	    plugged2 ? "\"qom-path\": \"/machine/peripheral/vcpu2\", " : "",
	    plugged1 ? "\"qom-path\": \"/machine/peripheral/vcpu1\", " : "");
	return buf;
}

static void
deleted(struct fx *f, const char *id)
{
	peer_send(f, "{\"event\": \"DEVICE_DELETED\", \"data\": {\"device\": "
	    "\"%s\", \"path\": \"/machine/peripheral/%s\"}, \"timestamp\": "
	    "{\"seconds\": 1, \"microseconds\": 0}}", id, id);
}

/* What QEMU 7.2 and 10.0 send under TCG: the vCPU's APIC only. */
static void
apic_deleted(struct fx *f, const char *id)
{
	peer_send(f, "{\"event\": \"DEVICE_DELETED\", \"data\": {\"path\": "
	    "\"/machine/peripheral/%s/lapic\"}, \"timestamp\": "
	    "{\"seconds\": 1, \"microseconds\": 0}}", id);
}

/* setvcpus count --live, QEMU's slots answered. */
static void
setvcpus_live(struct fx *f, int count, const char *slots_ret)
{
	char args[96];

	snprintf(args, sizeof(args), "{\"name\": \"t1\", \"count\": %d, "
	    "\"live\": true}", count);
	request(f, "setvcpus", args);
	answer(f, expect_cmd(f, "query-hotpluggable-cpus", NULL), slots_ret);
}

/* A request refused with a GenericError naming desc_part. */
static void
refused(struct fx *f, const char *cmd, const char *args,
    const char *desc_part)
{
	request(f, cmd, args);
	expect_error(f, "GenericError", desc_part, 0);
}

/* Up from 1 to 3: two device_adds, in topology order, with their ids. */
static void
test_plug(void **state)
{
	struct fx *f = fx_new();
	struct json_object *a;

	(void)state;
	struct vm *vm = fx_running_vm(f, CPU_VM);
	setvcpus_live(f, 3, slots(0, 0));
	answer(f, expect_cmd(f, "device_add", &a), "{}");
	assert_string_equal(json_object_to_json_string_ext(a,
	    JSON_C_TO_STRING_PLAIN), "{\"driver\":\"max-x86_64-cpu\","
	    "\"id\":\"vcpu1\",\"socket-id\":1,\"core-id\":0,\"thread-id\":0}");
	json_object_put(a);
	answer(f, expect_cmd(f, "device_add", &a), "{}");
	assert_string_equal(jstr(a, "id"), "vcpu2");
	assert_int_equal(jint(a, "socket-id", -1), 2);
	json_object_put(a);
	json_object_put(expect_return(f));
	assert_int_equal(vm->def->vcpus, 3);
	assert_int_equal(vm->def->ncpudevs, 2);
	assert_string_equal(vm->def->cpudevs[1], "vcpu2,driver=max-x86_64-cpu,"
	    "socket-id=2,core-id=0,thread-id=0");
	/* the stored definition keeps its count */
	assert_int_equal(vm_persistent(vm)->vcpus, 1);
	/* the running definition says what a restore or migration needs */
	char *t = vmdef_text(vm->def);
	assert_non_null(strstr(t, "\nvcpus: 3,maxvcpus=3\n"));
	assert_non_null(strstr(t, "\nvcpu-hotplugged: vcpu1,driver="));
	free(t);
	fx_free(f);
}

/* QEMU refuses the second device_add: the first is unplugged again. */
static void
test_plug_refused(void **state)
{
	struct fx *f = fx_new();

	(void)state;
	struct vm *vm = fx_running_vm(f, CPU_VM);
	setvcpus_live(f, 3, slots(0, 0));
	answer(f, expect_cmd(f, "device_add", NULL), "{}");
	answer_error(f, expect_cmd(f, "device_add", NULL), "GenericError",
	    "CPU hotplug refused");
	answer_id(f, "device_del", "vcpu1");
	expect_error(f, "GenericError", "CPU hotplug refused", 1);
	assert_int_equal(vm->def->vcpus, 1);
	assert_int_equal(vm->def->ncpudevs, 0);
	assert_int_equal(vm->nchanges, 0);
	fx_free(f);
}

/* Down from 3 to 1: the highest first, each waiting for the guest. */
static void
test_unplug(void **state)
{
	struct fx *f = fx_new();

	(void)state;
	struct vm *vm = fx_running_vm(f, PLAIN_VM "accel: tcg\n"
	    "vcpus: 3,maxvcpus=3\n"
	    "vcpu-hotplugged: vcpu1,driver=max-x86_64-cpu,socket-id=1\n"
	    "vcpu-hotplugged: vcpu2,driver=max-x86_64-cpu,socket-id=2\n");
	setvcpus_live(f, 1, slots(1, 1));
	answer_id(f, "device_del", "vcpu2");
	/* another device's event, and vcpu1's APIC, do not end the wait */
	deleted(f, "vdb");
	apic_deleted(f, "vcpu1");
	pump(f, 50);
	assert_int_equal(f->nmsgs, 0);
	/* the guest let go: under TCG only the APIC's event comes */
	apic_deleted(f, "vcpu2");
	answer_id(f, "device_del", "vcpu1");
	/* under KVM the vCPU's own too */
	deleted(f, "vcpu1");
	json_object_put(expect_return(f));
	assert_int_equal(vm->def->vcpus, 1);
	assert_int_equal(vm->def->ncpudevs, 0);
	fx_free(f);
}

/* The guest never lets go: Timeout, one clear line, nothing changed. */
static void
test_unplug_timeout(void **state)
{
	struct fx *f = fx_new();

	(void)state;
	struct vm *vm = fx_running_vm(f, CPU_VM2);
	request(f, "setvcpus", "{\"name\": \"t1\", \"count\": 1, "
	    "\"live\": true, \"timeout_ms\": 300}");
	answer(f, expect_cmd(f, "query-hotpluggable-cpus", NULL), slots(1, 0));
	answer_id(f, "device_del", "vcpu1");
	/* no event within the 300 ms: what QEMU has is read, and the answer */
	answer(f, expect_cmd(f, "query-hotpluggable-cpus", NULL), slots(1, 0));
	expect_error(f, "Timeout", "VM 't1': setvcpus: the guest did not let "
	    "vcpu1 go within 0 s", 0);
	pump(f, 20);
	assert_int_equal(vm->def->vcpus, 2);
	assert_int_equal(vm->def->ncpudevs, 1);
	assert_int_equal(vm->nchanges, 0);
	fx_free(f);
}

/* Refused before QEMU hears of it. */
static void
test_refusals(void **state)
{
	struct fx *f = fx_new();

	(void)state;
	struct vm *vm = fx_running_vm(f, CPU_VM2);
	setvcpus_live(f, 4, slots(1, 0));
	expect_error(f, "GenericError", "setvcpus: 4 is more than the 3 vCPUs "
	    "QEMU can have (maxvcpus)", 0);
	/* -smp's vCPU 0 is no device */
	request(f, "setvcpus", "{\"name\": \"t1\", \"count\": 1, "
	    "\"live\": true}");
	answer(f, expect_cmd(f, "query-hotpluggable-cpus", NULL), "["
	    "{\"props\": {\"socket-id\": 1}, \"type\": \"max-x86_64-cpu\", "
	    "\"qom-path\": \"/machine/unattached/device[1]\"}, "
	    "{\"props\": {\"socket-id\": 0}, \"type\": \"max-x86_64-cpu\", "
	    "\"qom-path\": \"/machine/unattached/device[0]\"}]");
	expect_error(f, "GenericError", "1 is less than the 2 vCPUs of QEMU's "
	    "command line (-smp), which cannot be unplugged", 0);
	refused(f, "setvcpus", "{\"name\": \"t1\", \"count\": 0}",
	    "count: a number of vCPUs");
	refused(f, "setvcpus", "{\"name\": \"t1\", \"count\": 2, "
	    "\"live\": true, \"maximum\": true}",
	    "--maximum changes the definition only");
	refused(f, "setvcpus", "{\"name\": \"t1\", \"count\": 4, "
	    "\"config\": true}",
	    "4 is more than maxvcpus 3");
	refused(f, "setvcpus", "{\"name\": \"t1\", \"count\": 1, "
	    "\"config\": true, \"maximum\": true}",
	    "maximum 1 is less than the 2 vCPUs");
	assert_int_equal(vm->def->vcpus, 2);
	assert_int_equal(vm->nchanges, 0);
	fx_free(f);
}

/* --config and --maximum: the stored definition only, no QMP. */
static void
test_config(void **state)
{
	struct fx *f = fx_new();

	(void)state;
	struct vm *vm = fx_running_vm(f, CPU_VM);
	request(f, "setvcpus", "{\"name\": \"t1\", \"count\": 5, "
	    "\"config\": true, \"maximum\": true}");
	json_object_put(expect_return(f));
	request(f, "setvcpus", "{\"name\": \"t1\", \"count\": 4, "
	    "\"config\": true}");
	json_object_put(expect_return(f));
	assert_int_equal(vm_persistent(vm)->vcpus, 4);
	assert_int_equal(vm_persistent(vm)->maxvcpus, 5);
	assert_int_equal(vm->def->vcpus, 1);
	char *t = vmdef_text(vm_persistent(vm));
	assert_non_null(strstr(t, "\nvcpus: 4,maxvcpus=5\n"));
	free(t);
	fx_free(f);
}

/* vcpupin: the table, --config, and lists the host lacks. */
static void
test_vcpupin(void **state)
{
	struct fx *f = fx_new();
	char all[32];

	(void)state;
	snprintf(all, sizeof(all), "0-%ld", sysconf(_SC_NPROCESSORS_CONF) - 1);
	if (strcmp(all, "0-0") == 0)
		strlcpy(all, "0", sizeof(all));
	struct vm *vm = fx_vm(f, CPU_VM);
	(void)vm;
	request(f, "vcpupin", "{\"name\": \"t1\", \"vcpu\": 2, \"cpulist\": "
	    "\"0\", \"config\": true}");
	json_object_put(expect_return(f));
	request(f, "vcpupin", "{\"name\": \"t1\", \"config\": true}");
	struct json_object *r = expect_return(f);
	struct json_object *v = jget(r, "vcpus");
	assert_int_equal(json_object_array_length(v), 1);
	json_object_put(r);
	assert_string_equal(vm_persistent(vm)->cputune, "vcpupin2=0");
	refused(f, "vcpupin", "{\"name\": \"t1\", \"vcpu\": 3, \"cpulist\": "
	    "\"0\", \"config\": true}",
	    "VM 't1' has no vCPU 3 (it may have 3)");
	refused(f, "vcpupin", "{\"name\": \"t1\", \"vcpu\": 0, \"cpulist\": "
	    "\"1000\", \"config\": true}",
	    "the host has no CPU 1000");
	refused(f, "emulatorpin", "{\"name\": \"t1\", \"cpulist\": \"0,x\", "
	    "\"config\": true}",
	    "'0,x' is not a CPU list");
	request(f, "emulatorpin", "{\"name\": \"t1\", \"config\": true}");
	r = expect_return(f);
	assert_string_equal(jstr(r, "emulator"), all);
	json_object_put(r);
	fx_free(f);
}

/* cpupin_apply on this process: a "vCPU" thread and the others. */
static void
test_apply(void **state)
{
	char err[256], q[128];
	cpu_set_t old, now;

	(void)state;
	assert_int_equal(sched_getaffinity(0, sizeof(old), &old), 0);
	int first = -1;
	for (int c = 0; c < CPU_SETSIZE && first < 0; c++)
		if (CPU_ISSET(c, &old))
			first = c;
	struct vmdef *d = vmdef_new();
	char list[16];
	snprintf(list, sizeof(list), "%d", first);
	assert_int_equal(cputune_set(d, "vcpupin0", list, err, sizeof(err)), 0);
	snprintf(q, sizeof(q), "[{\"cpu-index\": 0, \"thread-id\": %ld}]",
	    (long)gettid());
	struct json_object *cpus = json_tokener_parse(q);
	assert_int_equal(cpupin_apply(getpid(), d, cpus, err, sizeof(err)), 0);
	assert_int_equal(sched_getaffinity(0, sizeof(now), &now), 0);
	assert_int_equal(CPU_COUNT(&now), 1);
	assert_true(CPU_ISSET(first, &now));
	/* the emulator's threads are the others: none here */
	pid_t tids[4];
	assert_int_equal(cpupin_emulator_tids(getpid(), cpus, tids, 4), 0);
	/* a list the host lacks: refused, nothing changed */
	assert_int_equal(cputune_set(d, "vcpupin0", "1000", err, sizeof(err)),
	    0);
	assert_int_equal(cpupin_apply(getpid(), d, cpus, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "the host has no CPU 1000"));
	assert_int_equal(sched_getaffinity(0, sizeof(now), &now), 0);
	assert_int_equal(CPU_COUNT(&now), 1);
	json_object_put(cpus);
	vmdef_free(d);
	assert_int_equal(sched_setaffinity(0, sizeof(old), &old), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plug),
		cmocka_unit_test(test_plug_refused),
		cmocka_unit_test(test_unplug),
		cmocka_unit_test(test_unplug_timeout),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_vcpupin),
		cmocka_unit_test(test_apply),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
